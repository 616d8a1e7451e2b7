#include "net/address_policy.h"

#include <cstdint>

namespace cordon {
namespace {

uint32_t V4Word(const uint8_t* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

bool InV4(uint32_t addr, uint32_t net, int prefix) {
  const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return (addr & mask) == (net & mask);
}

constexpr uint32_t Q(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | uint32_t{d};
}

AddressClass ClassifyV4(uint32_t a) {
  // Exact metadata addresses first: they sit inside wider ranges below.
  if (a == Q(169, 254, 169, 254) || a == Q(100, 100, 100, 200)) return AddressClass::kMetadata;
  if (a == Q(255, 255, 255, 255)) return AddressClass::kBroadcast;
  if (InV4(a, Q(0, 0, 0, 0), 8)) return AddressClass::kUnspecified;
  if (InV4(a, Q(127, 0, 0, 0), 8)) return AddressClass::kLoopback;
  if (InV4(a, Q(10, 0, 0, 0), 8) || InV4(a, Q(172, 16, 0, 0), 12) ||
      InV4(a, Q(192, 168, 0, 0), 16)) {
    return AddressClass::kPrivate;
  }
  if (InV4(a, Q(100, 64, 0, 0), 10)) return AddressClass::kCarrierNat;
  if (InV4(a, Q(169, 254, 0, 0), 16)) return AddressClass::kLinkLocal;
  if (InV4(a, Q(224, 0, 0, 0), 4)) return AddressClass::kMulticast;
  if (InV4(a, Q(240, 0, 0, 0), 4) || InV4(a, Q(192, 0, 0, 0), 24) ||
      InV4(a, Q(198, 18, 0, 0), 15)) {
    return AddressClass::kReserved;
  }
  return AddressClass::kPublic;
}

bool AllZero(const uint8_t* b, int n) {
  for (int i = 0; i < n; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

}  // namespace

AddressClass ClassifyAddress(const IpAddress& ip) {
  const uint8_t* b = ip.bytes.data();
  if (ip.is_v4()) return ClassifyV4(V4Word(b));

  // ::ffff:a.b.c.d (IPv4-mapped): the kernel connects such a socket to the IPv4 address.
  if (AllZero(b, 10) && b[10] == 0xff && b[11] == 0xff) return ClassifyV4(V4Word(b + 12));
  if (AllZero(b, 16)) return AddressClass::kUnspecified;
  if (AllZero(b, 15) && b[15] == 1) return AddressClass::kLoopback;
  // ::a.b.c.d (deprecated IPv4-compatible) and ::ffff:0:a.b.c.d (SIIT IPv4-translated).
  if (AllZero(b, 12)) return ClassifyV4(V4Word(b + 12));
  if (AllZero(b, 8) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0) {
    return ClassifyV4(V4Word(b + 12));
  }
  // 64:ff9b::/96, the well-known NAT64 prefix: a NAT64 gateway would reach the IPv4 address.
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && AllZero(b + 4, 8)) {
    return ClassifyV4(V4Word(b + 12));
  }
  // 64:ff9b:1::/48, the local-use NAT64 prefix (RFC 8215): the embedding is operator-chosen.
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0x00 &&
      b[5] == 0x01) {
    return AddressClass::kPrivate;
  }
  // 2002::/16 (6to4): the IPv4 address of the relay-side host is in bits 16..47.
  if (b[0] == 0x20 && b[1] == 0x02) {
    const AddressClass embedded = ClassifyV4(V4Word(b + 2));
    if (embedded != AddressClass::kPublic) return embedded;
  }
  // fd00:ec2::254 (AWS IMDS over IPv6) sits inside fc00::/7: check it first.
  static constexpr uint8_t kAwsMetadata[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0,    0,
                                               0,    0,    0,    0,    0, 0, 0x02, 0x54};
  bool is_aws_metadata = true;
  for (int i = 0; i < 16; ++i) is_aws_metadata = is_aws_metadata && b[i] == kAwsMetadata[i];
  if (is_aws_metadata) return AddressClass::kMetadata;
  if ((b[0] & 0xfe) == 0xfc) return AddressClass::kPrivate;                    // fc00::/7
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressClass::kLinkLocal;  // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return AddressClass::kPrivate;    // fec0::/10
  if (b[0] == 0xff) return AddressClass::kMulticast;                           // ff00::/8
  return AddressClass::kPublic;
}

const char* AddressClassName(AddressClass c) {
  switch (c) {
    case AddressClass::kPublic:
      return "public";
    case AddressClass::kUnspecified:
      return "unspecified";
    case AddressClass::kLoopback:
      return "loopback";
    case AddressClass::kPrivate:
      return "private";
    case AddressClass::kCarrierNat:
      return "carrier-grade NAT";
    case AddressClass::kLinkLocal:
      return "link-local";
    case AddressClass::kMetadata:
      return "cloud metadata service";
    case AddressClass::kMulticast:
      return "multicast";
    case AddressClass::kBroadcast:
      return "broadcast";
    case AddressClass::kReserved:
      return "reserved";
  }
  return "unknown";
}

}  // namespace cordon
