#include "net/http_proxy_request.h"

#include <algorithm>
#include <charconv>
#include <vector>

namespace cordon {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ProxyRequest Fail(int status, std::string message) {
  ProxyRequest r;
  r.kind = ProxyRequest::Kind::kError;
  r.status = status;
  r.error = std::move(message);
  return r;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

// Headers that describe one connection, not the message (RFC 9110 7.6.1), and the proxy's own.
bool IsHopByHop(std::string_view lower_name) {
  static constexpr std::string_view kNames[] = {
      "connection",
      "keep-alive",
      "proxy-connection",
      "proxy-authorization",
      "proxy-authenticate",
      "te",
      "trailer",
      "upgrade",
      "host"};  // Host is rewritten from the request URI, as RFC 9112 3.2.2 requires.
  return std::find(std::begin(kNames), std::end(kNames), lower_name) != std::end(kNames);
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "Connection established";  // only used for CONNECT
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

}  // namespace

bool ParseAuthority(std::string_view authority, uint16_t default_port, std::string* host,
                    uint16_t* port) {
  std::string_view h = authority;
  std::string_view p;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    h = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      p = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      h = authority.substr(0, colon);
      p = authority.substr(colon + 1);
      if (h.find(':') != std::string_view::npos) return false;  // unbracketed IPv6
    }
  }
  if (h.empty()) return false;
  if (p.empty()) {
    if (default_port == 0) return false;
    *port = default_port;
  } else {
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
    if (ec != std::errc() || ptr != p.data() + p.size() || value == 0 || value > 65535) {
      return false;
    }
    *port = static_cast<uint16_t>(value);
  }
  *host = std::string(h);
  return true;
}

ProxyRequest ParseProxyRequest(std::string_view data, size_t max_head) {
  const size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos || end + 4 > max_head) {
    if (data.size() >= max_head) return Fail(431, "cordon: the request head is too large");
    return ProxyRequest{};
  }
  const size_t head_size = end + 4;
  const std::string_view head = data.substr(0, end + 2);  // every line ends with \r\n

  const size_t line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) {
    return Fail(400, "cordon: malformed request line");
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method) || target.empty() || target.find(' ') != std::string_view::npos ||
      (version != "HTTP/1.1" && version != "HTTP/1.0")) {
    return Fail(400, "cordon: malformed request line");
  }

  ProxyRequest r;
  r.head_size = head_size;
  if (method == "CONNECT") {
    if (!ParseAuthority(target, 0, &r.host, &r.port)) {
      return Fail(400, "cordon: CONNECT needs host:port");
    }
    r.kind = ProxyRequest::Kind::kConnect;
    return r;
  }

  const std::string lower_target = Lower(target.substr(0, std::min<size_t>(target.size(), 8)));
  if (lower_target.starts_with("https://")) {
    return Fail(400, "cordon: use CONNECT for https:// URLs (set HTTPS_PROXY)");
  }
  if (!lower_target.starts_with("http://")) {
    return Fail(400, "cordon: this is a proxy; send absolute http:// URLs or CONNECT, not \"" +
                         std::string(target.substr(0, 100)) + "\"");
  }
  const std::string_view rest = target.substr(7);
  const size_t path_start = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, path_start);
  if (authority.find('@') != std::string_view::npos) {
    return Fail(400, "cordon: credentials in the URL are not supported");
  }
  if (!ParseAuthority(authority, 80, &r.host, &r.port)) {
    return Fail(400, "cordon: malformed host in the request URL");
  }
  std::string path =
      path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (path.front() == '#') path = "/";
  if (path.front() == '?') path = "/" + path;
  if (const size_t hash = path.find('#'); hash != std::string::npos) path.resize(hash);

  // Headers: drop hop-by-hop ones and those the Connection header names.
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::vector<std::string> connection_named;
  size_t pos = line_end + 2;
  while (pos < head.size()) {
    const size_t eol = head.find("\r\n", pos);
    const std::string_view h = head.substr(pos, eol - pos);
    pos = eol + 2;
    if (h.front() == ' ' || h.front() == '\t') {
      return Fail(400, "cordon: folded header lines are not supported");
    }
    const size_t colon = h.find(':');
    if (colon == std::string_view::npos || !IsToken(h.substr(0, colon))) {
      return Fail(400, "cordon: malformed header line");
    }
    const std::string_view name = h.substr(0, colon);
    const std::string_view value = Trim(h.substr(colon + 1));
    if (Lower(name) == "connection") {
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        if (comma == std::string_view::npos) comma = value.size();
        connection_named.push_back(Lower(Trim(value.substr(start, comma - start))));
        start = comma + 1;
      }
    }
    headers.emplace_back(name, value);
  }

  std::string out;
  out.reserve(head.size() + 64);
  out.append(method).append(" ").append(path).append(" ").append(version).append("\r\n");
  const bool v6 = r.host.find(':') != std::string::npos;
  out.append("Host: ").append(v6 ? "[" + r.host + "]" : r.host);
  if (r.port != 80) out.append(":").append(std::to_string(r.port));
  out.append("\r\n");
  for (const auto& [name, value] : headers) {
    const std::string lower = Lower(name);
    if (IsHopByHop(lower)) continue;
    if (std::find(connection_named.begin(), connection_named.end(), lower) !=
        connection_named.end()) {
      continue;
    }
    out.append(name).append(": ").append(value).append("\r\n");
  }
  out.append("Connection: close\r\n\r\n");
  r.upstream_head = std::move(out);
  r.kind = ProxyRequest::Kind::kForward;
  return r;
}

std::string HttpResponse(int status, std::string_view body) {
  const std::string text = std::string(body) + "\n";
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + ReasonPhrase(status) + "\r\n";
  if (status != 200) {
    out += "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " +
           std::to_string(text.size()) + "\r\nConnection: close\r\n";
  }
  out += "\r\n";
  if (status != 200) out += text;
  return out;
}

}  // namespace cordon
