// SOCKS5 (RFC 1928) messages, without any I/O: the method greeting, the request, the reply.
// cordon offers only "no authentication" and only the CONNECT command; domain-name requests
// (ATYP 3) are resolved by the proxy, so the policy sees names, not addresses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/ip_address.h"

namespace cordon {

enum Socks5Reply : uint8_t {
  kSocksSucceeded = 0x00,
  kSocksGeneralFailure = 0x01,
  kSocksNotAllowed = 0x02,  // "connection not allowed by ruleset"
  kSocksNetworkUnreachable = 0x03,
  kSocksHostUnreachable = 0x04,
  kSocksConnectionRefused = 0x05,
  kSocksTtlExpired = 0x06,
  kSocksCommandNotSupported = 0x07,
  kSocksAddressTypeNotSupported = 0x08,
};

enum class ParseState { kIncomplete, kOk, kError };

struct Socks5Greeting {
  ParseState state = ParseState::kIncomplete;
  size_t size = 0;       // bytes used
  bool no_auth = false;  // the client offered method 0x00
};
Socks5Greeting ParseSocks5Greeting(std::string_view data);

struct Socks5Request {
  ParseState state = ParseState::kIncomplete;
  size_t size = 0;
  uint8_t command = 0;                         // 1 CONNECT, 2 BIND, 3 UDP ASSOCIATE
  uint8_t error_reply = kSocksGeneralFailure;  // kError: what to answer
  std::string host;                            // a name (ATYP 3) or canonical IP text (ATYP 1/4)
  bool host_is_ip = false;
  uint16_t port = 0;
};
Socks5Request ParseSocks5Request(std::string_view data);

// A reply with the given code and bound address (0.0.0.0:0 when `bound` is null).
std::string MakeSocks5Reply(uint8_t code, const IpAddress* bound = nullptr, uint16_t port = 0);

}  // namespace cordon
