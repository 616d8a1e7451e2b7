// Parsing of HTTP proxy request heads and the origin-form head sent upstream.
#include "net/http_proxy_request.h"

#include <gtest/gtest.h>

namespace cordon {
namespace {

TEST(HttpProxyRequest, IncompleteUntilTheBlankLine) {
  EXPECT_EQ(ParseProxyRequest("GET http://a.test/ HTTP/1.1\r\nHost: a", 1024).kind,
            ProxyRequest::Kind::kIncomplete);
}

TEST(HttpProxyRequest, ConnectGivesHostAndPort) {
  const std::string data = "CONNECT github.com:443 HTTP/1.1\r\nHost: github.com:443\r\n\r\nTLS";
  const ProxyRequest r = ParseProxyRequest(data, 1024);
  ASSERT_EQ(r.kind, ProxyRequest::Kind::kConnect);
  EXPECT_EQ(r.host, "github.com");
  EXPECT_EQ(r.port, 443);
  EXPECT_EQ(data.substr(r.head_size), "TLS");

  const ProxyRequest v6 = ParseProxyRequest("CONNECT [2001:db8::1]:8443 HTTP/1.1\r\n\r\n", 1024);
  ASSERT_EQ(v6.kind, ProxyRequest::Kind::kConnect);
  EXPECT_EQ(v6.host, "2001:db8::1");
  EXPECT_EQ(v6.port, 8443);
  EXPECT_EQ(ParseProxyRequest("CONNECT github.com HTTP/1.1\r\n\r\n", 1024).status, 400);
}

TEST(HttpProxyRequest, AbsoluteUriIsRewrittenToOriginForm) {
  const std::string data =
      "POST http://Api.Test:8080/v1/x?q=1#frag HTTP/1.1\r\n"
      "Host: wrong.test\r\n"
      "Proxy-Connection: keep-alive\r\n"
      "Proxy-Authorization: Basic Zm9v\r\n"
      "Connection: keep-alive, X-Secret\r\n"
      "X-Secret: 1\r\n"
      "Keep-Alive: timeout=5\r\n"
      "Content-Length: 4\r\n"
      "User-Agent: t\r\n"
      "\r\n"
      "body";
  const ProxyRequest r = ParseProxyRequest(data, 4096);
  ASSERT_EQ(r.kind, ProxyRequest::Kind::kForward) << r.error;
  EXPECT_EQ(r.host, "Api.Test");
  EXPECT_EQ(r.port, 8080);
  EXPECT_EQ(r.upstream_head,
            "POST /v1/x?q=1 HTTP/1.1\r\n"
            "Host: Api.Test:8080\r\n"
            "Content-Length: 4\r\n"
            "User-Agent: t\r\n"
            "Connection: close\r\n\r\n");
  EXPECT_EQ(data.substr(r.head_size), "body");
}

TEST(HttpProxyRequest, DefaultPortAndPath) {
  const ProxyRequest r = ParseProxyRequest("GET http://a.test HTTP/1.0\r\n\r\n", 1024);
  ASSERT_EQ(r.kind, ProxyRequest::Kind::kForward);
  EXPECT_EQ(r.port, 80);
  EXPECT_EQ(r.upstream_head, "GET / HTTP/1.0\r\nHost: a.test\r\nConnection: close\r\n\r\n");
}

TEST(HttpProxyRequest, RefusesWhatItCannotForward) {
  EXPECT_EQ(ParseProxyRequest("GET /index.html HTTP/1.1\r\n\r\n", 1024).status, 400);
  EXPECT_EQ(ParseProxyRequest("GET https://a.test/ HTTP/1.1\r\n\r\n", 1024).status, 400);
  EXPECT_EQ(ParseProxyRequest("GET http://u:p@a.test/ HTTP/1.1\r\n\r\n", 1024).status, 400);
  EXPECT_EQ(ParseProxyRequest("GET http://a.test/ HTTP/2\r\n\r\n", 1024).status, 400);
  EXPECT_EQ(
      ParseProxyRequest("GET http://a.test/ HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 1024).status,
      400);
  EXPECT_EQ(ParseProxyRequest("garbage\r\n\r\n", 1024).status, 400);
  EXPECT_EQ(ParseProxyRequest(std::string(2000, 'a'), 1024).status, 431);
}

TEST(HttpProxyRequest, ResponsesCarryTheBody) {
  const std::string r = HttpResponse(403, "cordon: blocked");
  EXPECT_EQ(r,
            "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 16\r\nConnection: close\r\n\r\ncordon: blocked\n");
  EXPECT_EQ(HttpResponse(200, ""), "HTTP/1.1 200 Connection established\r\n\r\n");
}

TEST(ParseAuthority, SplitsHostAndPort) {
  std::string host;
  uint16_t port = 0;
  EXPECT_TRUE(ParseAuthority("a.test:81", 80, &host, &port));
  EXPECT_EQ(host, "a.test");
  EXPECT_EQ(port, 81);
  EXPECT_TRUE(ParseAuthority("[::1]", 80, &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 80);
  EXPECT_FALSE(ParseAuthority("::1:80", 80, &host, &port));
  EXPECT_FALSE(ParseAuthority("a.test:99999", 80, &host, &port));
  EXPECT_FALSE(ParseAuthority(":80", 80, &host, &port));
}

}  // namespace
}  // namespace cordon
