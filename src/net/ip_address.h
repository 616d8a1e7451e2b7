// IpAddress: an IPv4 or IPv6 address as a plain value, with the conversions the proxy needs
// (text, sockaddr). The proxy checks exactly one of these against the address policy and then
// connects to that same value, so nothing between the check and the connect can re-resolve it.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cordon {

struct IpAddress {
  int family = AF_INET;             // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};  // network order; an IPv4 address uses the first 4 bytes

  static IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  // Parses a numeric literal: "10.0.0.1", "::1", "[::1]" (brackets optional for IPv6).
  // Only the strict dotted-quad form is IPv4 ("127.1" and "0x7f.0.0.1" are not literals).
  static std::optional<IpAddress> Parse(std::string_view text);
  static std::optional<IpAddress> FromSockaddr(const sockaddr* sa, socklen_t len);

  bool is_v4() const { return family == AF_INET; }
  // Canonical text: "10.0.0.1", "2001:db8::1" (no brackets).
  std::string ToString() const;
  // "10.0.0.1:80" or "[2001:db8::1]:443".
  std::string ToString(uint16_t port) const;
  // Fills `out` for connect(2); returns the length to pass with it.
  socklen_t ToSockaddr(uint16_t port, sockaddr_storage* out) const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

}  // namespace cordon
