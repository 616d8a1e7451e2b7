#include "net/socks5.h"

#include <cstring>

namespace cordon {

Socks5Greeting ParseSocks5Greeting(std::string_view data) {
  Socks5Greeting g;
  if (data.size() < 2) return g;
  if (static_cast<uint8_t>(data[0]) != 5) {
    g.state = ParseState::kError;
    return g;
  }
  const size_t n = static_cast<uint8_t>(data[1]);
  if (data.size() < 2 + n) return g;
  for (size_t i = 0; i < n; ++i) {
    if (data[2 + i] == 0) g.no_auth = true;
  }
  g.size = 2 + n;
  g.state = ParseState::kOk;
  return g;
}

Socks5Request ParseSocks5Request(std::string_view data) {
  Socks5Request r;
  if (data.size() < 5) return r;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(data[i]); };
  if (byte(0) != 5 || byte(2) != 0) {
    r.state = ParseState::kError;
    return r;
  }
  r.command = byte(1);
  size_t addr_end = 0;
  switch (byte(3)) {
    case 1:
      addr_end = 4 + 4;
      break;
    case 4:
      addr_end = 4 + 16;
      break;
    case 3:
      addr_end = 5 + byte(4);
      break;
    default:
      r.state = ParseState::kError;
      r.error_reply = kSocksAddressTypeNotSupported;
      return r;
  }
  if (data.size() < addr_end + 2) return r;
  r.size = addr_end + 2;
  r.port = static_cast<uint16_t>((byte(addr_end) << 8) | byte(addr_end + 1));
  if (byte(3) == 3) {
    r.host = std::string(data.substr(5, byte(4)));
    // A name that is an IP literal is treated as that literal (policy-wise it is one).
    if (const auto ip = IpAddress::Parse(r.host)) {
      r.host = ip->ToString();
      r.host_is_ip = true;
    }
  } else {
    IpAddress ip;
    ip.family = byte(3) == 1 ? AF_INET : AF_INET6;
    std::memcpy(ip.bytes.data(), data.data() + 4, addr_end - 4);
    r.host = ip.ToString();
    r.host_is_ip = true;
  }
  if (r.command != 1) {
    r.state = ParseState::kError;
    r.error_reply = kSocksCommandNotSupported;
    return r;
  }
  if (r.host.empty() || r.port == 0) {
    r.state = ParseState::kError;
    r.error_reply = kSocksGeneralFailure;
    return r;
  }
  r.state = ParseState::kOk;
  return r;
}

std::string MakeSocks5Reply(uint8_t code, const IpAddress* bound, uint16_t port) {
  std::string out = {5, static_cast<char>(code), 0};
  if (bound != nullptr && !bound->is_v4()) {
    out.push_back(4);
    out.append(reinterpret_cast<const char*>(bound->bytes.data()), 16);
  } else {
    out.push_back(1);
    if (bound != nullptr) {
      out.append(reinterpret_cast<const char*>(bound->bytes.data()), 4);
    } else {
      out.append(4, '\0');
    }
  }
  out.push_back(static_cast<char>(port >> 8));
  out.push_back(static_cast<char>(port & 0xff));
  return out;
}

}  // namespace cordon
