// The address policy's classification table: every range that must be refused, in IPv4, IPv6
// and in the IPv6 forms that embed an IPv4 address.
#include "net/address_policy.h"

#include <gtest/gtest.h>

namespace cordon {
namespace {

AddressClass Classify(const char* text) {
  const auto ip = IpAddress::Parse(text);
  EXPECT_TRUE(ip.has_value()) << text;
  return ip ? ClassifyAddress(*ip) : AddressClass::kPublic;
}

struct Case {
  const char* address;
  AddressClass expected;
};

TEST(AddressPolicy, ClassifiesTable) {
  const Case cases[] = {
      // IPv4
      {"0.0.0.0", AddressClass::kUnspecified},
      {"0.1.2.3", AddressClass::kUnspecified},
      {"127.0.0.1", AddressClass::kLoopback},
      {"127.255.255.254", AddressClass::kLoopback},
      {"10.0.0.1", AddressClass::kPrivate},
      {"10.255.255.255", AddressClass::kPrivate},
      {"172.16.0.1", AddressClass::kPrivate},
      {"172.31.255.255", AddressClass::kPrivate},
      {"172.15.255.255", AddressClass::kPublic},
      {"172.32.0.0", AddressClass::kPublic},
      {"192.168.1.1", AddressClass::kPrivate},
      {"192.169.0.1", AddressClass::kPublic},
      {"100.64.0.1", AddressClass::kCarrierNat},
      {"100.127.255.255", AddressClass::kCarrierNat},
      {"100.128.0.0", AddressClass::kPublic},
      {"100.63.255.255", AddressClass::kPublic},
      {"169.254.1.1", AddressClass::kLinkLocal},
      {"169.254.169.254", AddressClass::kMetadata},
      {"100.100.100.200", AddressClass::kMetadata},
      {"224.0.0.1", AddressClass::kMulticast},
      {"239.255.255.250", AddressClass::kMulticast},
      {"255.255.255.255", AddressClass::kBroadcast},
      {"240.0.0.1", AddressClass::kReserved},
      {"192.0.0.170", AddressClass::kReserved},
      {"198.18.0.1", AddressClass::kReserved},
      {"8.8.8.8", AddressClass::kPublic},
      {"140.82.112.3", AddressClass::kPublic},
      // IPv6
      {"::", AddressClass::kUnspecified},
      {"::1", AddressClass::kLoopback},
      {"fc00::1", AddressClass::kPrivate},
      {"fdff:ffff::1", AddressClass::kPrivate},
      {"fd00:ec2::254", AddressClass::kMetadata},
      {"fe80::1", AddressClass::kLinkLocal},
      {"febf::1", AddressClass::kLinkLocal},
      {"fec0::1", AddressClass::kPrivate},
      {"ff02::1", AddressClass::kMulticast},
      {"2001:4860:4860::8888", AddressClass::kPublic},
      {"2606:4700::1111", AddressClass::kPublic},
      // IPv4-mapped
      {"::ffff:127.0.0.1", AddressClass::kLoopback},
      {"::ffff:10.1.2.3", AddressClass::kPrivate},
      {"::ffff:169.254.169.254", AddressClass::kMetadata},
      {"::ffff:100.100.100.200", AddressClass::kMetadata},
      {"::ffff:0.0.0.0", AddressClass::kUnspecified},
      {"::ffff:8.8.8.8", AddressClass::kPublic},
      // IPv4-compatible and IPv4-translated
      {"::127.0.0.1", AddressClass::kLoopback},
      {"::10.0.0.1", AddressClass::kPrivate},
      {"::ffff:0:192.168.0.1", AddressClass::kPrivate},
      // NAT64
      {"64:ff9b::127.0.0.1", AddressClass::kLoopback},
      {"64:ff9b::a9fe:a9fe", AddressClass::kMetadata},  // 169.254.169.254
      {"64:ff9b::10.0.0.1", AddressClass::kPrivate},
      {"64:ff9b::8.8.8.8", AddressClass::kPublic},
      {"64:ff9b:1::1", AddressClass::kPrivate},
      // 6to4
      {"2002:7f00:1::", AddressClass::kLoopback},      // 127.0.0.1
      {"2002:a9fe:a9fe::1", AddressClass::kMetadata},  // 169.254.169.254
      {"2002:0808:0808::1", AddressClass::kPublic},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Classify(c.address), c.expected)
        << c.address << " classified as " << AddressClassName(Classify(c.address));
  }
}

TEST(AddressPolicy, IsLocalTargetMeansNotPublic) {
  EXPECT_TRUE(IsLocalTarget(*IpAddress::Parse("127.0.0.1")));
  EXPECT_TRUE(IsLocalTarget(*IpAddress::Parse("::ffff:192.168.0.1")));
  EXPECT_FALSE(IsLocalTarget(*IpAddress::Parse("1.1.1.1")));
}

TEST(IpAddress, ParsesOnlyStrictLiterals) {
  EXPECT_TRUE(IpAddress::Parse("1.2.3.4"));
  EXPECT_TRUE(IpAddress::Parse("[::1]"));
  EXPECT_TRUE(IpAddress::Parse("::1"));
  EXPECT_FALSE(IpAddress::Parse("127.1"));
  EXPECT_FALSE(IpAddress::Parse("0x7f.0.0.1"));
  EXPECT_FALSE(IpAddress::Parse("2130706433"));
  EXPECT_FALSE(IpAddress::Parse("[1.2.3.4]"));
  EXPECT_FALSE(IpAddress::Parse("example.com"));
  EXPECT_FALSE(IpAddress::Parse(""));
  EXPECT_EQ(IpAddress::Parse("[2001:DB8:0::1]")->ToString(), "2001:db8::1");
  EXPECT_EQ(IpAddress::Parse("::1")->ToString(443), "[::1]:443");
  EXPECT_EQ(IpAddress::V4(10, 0, 0, 1).ToString(80), "10.0.0.1:80");
}

TEST(IpAddress, RoundTripsThroughSockaddr) {
  for (const char* text : {"10.1.2.3", "2001:db8::7"}) {
    const IpAddress ip = *IpAddress::Parse(text);
    sockaddr_storage ss;
    const socklen_t len = ip.ToSockaddr(8080, &ss);
    const auto back = IpAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, ip);
  }
}

}  // namespace
}  // namespace cordon
