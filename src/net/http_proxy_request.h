// Parsing of what a client sends to an HTTP proxy, without any I/O: the request head of an
// absolute-URI request ("GET http://host:port/path HTTP/1.1") or of a CONNECT ("CONNECT host:443
// HTTP/1.1"), and the head that is sent upstream in its place (origin-form request line,
// hop-by-hop and Proxy-* headers removed, "Connection: close" added: cordon forwards one request
// per upstream connection).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cordon {

struct ProxyRequest {
  enum class Kind { kIncomplete, kConnect, kForward, kError };
  Kind kind = Kind::kIncomplete;
  std::string host;  // as the client wrote it, without IPv6 brackets
  uint16_t port = 0;
  size_t head_size = 0;       // bytes of `data` that the head used (body or tunnel bytes follow)
  std::string upstream_head;  // kForward: the head to send to the origin server
  int status = 0;             // kError: the HTTP status to answer with
  std::string error;          // kError: a message for the response body
};

// Parses the request head at the start of `data`. kIncomplete until "\r\n\r\n" arrives; an error
// (431) when no complete head fits in `max_head` bytes.
ProxyRequest ParseProxyRequest(std::string_view data, size_t max_head);

// Splits "host:port", "[v6]:port" or "host" (then `default_port`, 0 = port required).
bool ParseAuthority(std::string_view authority, uint16_t default_port, std::string* host,
                    uint16_t* port);

// A complete "HTTP/1.1 <status> <reason>" response whose body is `body` plus a newline.
std::string HttpResponse(int status, std::string_view body);

}  // namespace cordon
