// SOCKS5 message parsing and replies.
#include "net/socks5.h"

#include <gtest/gtest.h>

namespace cordon {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

TEST(Socks5, Greeting) {
  EXPECT_EQ(ParseSocks5Greeting(Bytes({5})).state, ParseState::kIncomplete);
  EXPECT_EQ(ParseSocks5Greeting(Bytes({5, 2, 0})).state, ParseState::kIncomplete);
  const Socks5Greeting g = ParseSocks5Greeting(Bytes({5, 2, 2, 0}));
  EXPECT_EQ(g.state, ParseState::kOk);
  EXPECT_TRUE(g.no_auth);
  EXPECT_EQ(g.size, 4u);
  EXPECT_FALSE(ParseSocks5Greeting(Bytes({5, 1, 2})).no_auth);
  EXPECT_EQ(ParseSocks5Greeting(Bytes({4, 1, 0})).state, ParseState::kError);
}

TEST(Socks5, ConnectByName) {
  std::string req = Bytes({5, 1, 0, 3, 10}) + "github.com" + Bytes({1, 187});
  EXPECT_EQ(ParseSocks5Request(req.substr(0, 8)).state, ParseState::kIncomplete);
  const Socks5Request r = ParseSocks5Request(req + "extra");
  ASSERT_EQ(r.state, ParseState::kOk);
  EXPECT_EQ(r.host, "github.com");
  EXPECT_FALSE(r.host_is_ip);
  EXPECT_EQ(r.port, 443);
  EXPECT_EQ(r.size, req.size());
}

TEST(Socks5, ConnectByAddress) {
  const Socks5Request v4 = ParseSocks5Request(Bytes({5, 1, 0, 1, 10, 0, 0, 1, 0, 80}));
  ASSERT_EQ(v4.state, ParseState::kOk);
  EXPECT_EQ(v4.host, "10.0.0.1");
  EXPECT_TRUE(v4.host_is_ip);
  std::string v6req = Bytes({5, 1, 0, 4});
  v6req += std::string(15, '\0') + Bytes({1, 0x1f, 0x90});
  const Socks5Request v6 = ParseSocks5Request(v6req);
  ASSERT_EQ(v6.state, ParseState::kOk);
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 8080);
  // A "name" that is an IP literal is a literal.
  const Socks5Request named =
      ParseSocks5Request(Bytes({5, 1, 0, 3, 9}) + "127.0.0.1" + Bytes({0, 80}));
  EXPECT_TRUE(named.host_is_ip);
}

TEST(Socks5, UnsupportedCommandsAndTypes) {
  const Socks5Request bind = ParseSocks5Request(Bytes({5, 2, 0, 1, 1, 2, 3, 4, 0, 80}));
  EXPECT_EQ(bind.state, ParseState::kError);
  EXPECT_EQ(bind.error_reply, kSocksCommandNotSupported);
  const Socks5Request udp = ParseSocks5Request(Bytes({5, 3, 0, 1, 1, 2, 3, 4, 0, 80}));
  EXPECT_EQ(udp.error_reply, kSocksCommandNotSupported);
  const Socks5Request atyp = ParseSocks5Request(Bytes({5, 1, 0, 9, 1, 2, 3, 4, 0, 80}));
  EXPECT_EQ(atyp.error_reply, kSocksAddressTypeNotSupported);
}

TEST(Socks5, Replies) {
  EXPECT_EQ(MakeSocks5Reply(kSocksNotAllowed), Bytes({5, 2, 0, 1, 0, 0, 0, 0, 0, 0}));
  const IpAddress ip = IpAddress::V4(127, 0, 0, 1);
  EXPECT_EQ(MakeSocks5Reply(kSocksSucceeded, &ip, 0x1234),
            Bytes({5, 0, 0, 1, 127, 0, 0, 1, 0x12, 0x34}));
  const IpAddress v6 = *IpAddress::Parse("::1");
  EXPECT_EQ(MakeSocks5Reply(kSocksSucceeded, &v6, 1).size(), 4u + 16u + 2u);
}

}  // namespace
}  // namespace cordon
