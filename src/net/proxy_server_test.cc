// The proxy with real sockets on loopback: real clients (Debian's curl, raw sockets) talk to a
// ProxyServer accepting on listening sockets the test creates, and test servers on 127.0.0.1
// stand in for the internet. Test names resolve through resolver overrides only (no DNS query
// leaves this process), and no address but loopback is ever connected to: the private-address
// cases assert that the proxy made no connection attempt at all.
#include "net/proxy_server.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <functional>
#include <future>
#include <thread>

#include "base/sys.h"
#include "net/socks5.h"
#include "net/test_servers.h"

namespace cordon {
namespace {

using testing::ConnectLoopback;
using testing::EchoRoundTrip;
using testing::ListenLoopback;
using testing::LoopbackServer;
using testing::ReadN;
using testing::ReadToEof;
using testing::ReadUntil;

struct Proxy {
  std::unique_ptr<ProxyServer> server;
  uint16_t http_port = 0;
  uint16_t socks_port = 0;
  std::vector<uint16_t> forward_ports;
};

DomainRules Rules(const std::vector<std::pair<std::string, std::string>>& entries) {
  auto r = DomainRules::Parse(entries);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : DomainRules();
}

Proxy StartProxy(ProxyOptions options, std::unique_ptr<Resolver> resolver,
                 std::vector<uint16_t> host_ports = {}) {
  Proxy p;
  std::vector<ProxyListener> listeners;
  auto http = ListenLoopback(&p.http_port);
  auto socks = ListenLoopback(&p.socks_port);
  EXPECT_TRUE(http.ok() && socks.ok());
  listeners.push_back({ProxyListener::Kind::kHttp, std::move(*http), 0});
  listeners.push_back({ProxyListener::Kind::kSocks5, std::move(*socks), 0});
  for (uint16_t host_port : host_ports) {
    uint16_t port = 0;
    auto fd = ListenLoopback(&port);
    EXPECT_TRUE(fd.ok());
    listeners.push_back({ProxyListener::Kind::kHostPort, std::move(*fd), host_port});
    p.forward_ports.push_back(port);
  }
  auto server = ProxyServer::Start(std::move(options), std::move(listeners), std::move(resolver));
  EXPECT_TRUE(server.ok()) << (server.ok() ? "" : server.error().ToString());
  if (server.ok()) p.server = std::move(*server);
  return p;
}

// allowed.test -> 127.0.0.1 with local targets allowed (the test servers live on loopback).
Proxy StartAllowingLocal(const std::vector<std::pair<std::string, std::string>>& rules) {
  ProxyOptions o;
  o.rules = Rules(rules);
  o.dangerously_allow_local_targets = true;
  return StartProxy(std::move(o),
                    MakeStaticResolver({{"allowed.test", {IpAddress::V4(127, 0, 0, 1)}},
                                        {"also.allowed.test", {IpAddress::V4(127, 0, 0, 1)}}}));
}

struct CurlResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Debian's curl, with a clean environment so that only the flags choose the proxy.
CurlResult Curl(const std::string& args) {
  CurlResult r;
  const std::string cmd = "env -i PATH=/usr/bin:/bin curl -sS --max-time 20 " + args + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) r.output.append(buf, n);
  const int status = pclose(f);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool HaveCurl() { return access("/usr/bin/curl", X_OK) == 0; }

std::string Socks5Connect(int fd, const std::string& host, uint16_t port) {
  std::string req = std::string("\x05\x01\x00", 3);
  EXPECT_TRUE(WriteAll(fd, req).ok());
  EXPECT_EQ(ReadN(fd, 2), std::string("\x05\x00", 2));
  std::string msg = {5, 1, 0};
  if (const auto ip = IpAddress::Parse(host)) {
    msg.push_back(ip->is_v4() ? 1 : 4);
    msg.append(reinterpret_cast<const char*>(ip->bytes.data()), ip->is_v4() ? 4 : 16);
  } else {
    msg.push_back(3);
    msg.push_back(static_cast<char>(host.size()));
    msg += host;
  }
  msg.push_back(static_cast<char>(port >> 8));
  msg.push_back(static_cast<char>(port & 0xff));
  EXPECT_TRUE(WriteAll(fd, msg).ok());
  const std::string head = ReadN(fd, 4);
  if (head.size() < 4) return head;
  const size_t rest = head[3] == 4 ? 16 + 2 : 4 + 2;
  return head + ReadN(fd, rest);
}

std::string PseudoRandom(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

// ---- allowed traffic ----

TEST(ProxyServer, HttpAbsoluteUriReachesAllowedName) {
  ASSERT_TRUE(HaveCurl());
  auto upstream = LoopbackServer::Start(LoopbackServer::Mode::kHttp);
  Proxy p = StartAllowingLocal({{"allowed.test", "allow"}});
  const CurlResult r =
      Curl("--proxy http://127.0.0.1:" + std::to_string(p.http_port) +
           " http://allowed.test:" + std::to_string(upstream->port()) + "/hello?x=1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "upstream saw: GET /hello?x=1 HTTP/1.1\nbody=");
  const std::string head = upstream->last_request();
  EXPECT_NE(head.find("Host: allowed.test:" + std::to_string(upstream->port())), std::string::npos);
  EXPECT_EQ(head.find("Proxy-Connection"), std::string::npos) << head;
  EXPECT_NE(head.find("Connection: close"), std::string::npos);
}

TEST(ProxyServer, HttpPostBodyIsForwarded) {
  auto upstream = LoopbackServer::Start(LoopbackServer::Mode::kHttp);
  Proxy p = StartAllowingLocal({{"allowed.test", "allow"}});
  auto fd = ConnectLoopback(p.http_port);
  ASSERT_TRUE(fd.ok());
  const std::string body = PseudoRandom(200000, 7);
  ASSERT_TRUE(WriteAll(fd->get(), "POST http://allowed.test:" + std::to_string(upstream->port()) +
                                      "/up HTTP/1.1\r\nContent-Length: " +
                                      std::to_string(body.size()) + "\r\n\r\n" + body)
                  .ok());
  const std::string response = ReadToEof(fd->get());
  EXPECT_NE(response.find("HTTP/1.1 200 OK"), std::string::npos);
  EXPECT_NE(response.find("\r\n\r\nupstream saw: POST /up HTTP/1.1\nbody=" + body),
            std::string::npos);
}

TEST(ProxyServer, ConnectTunnelReachesAllowedName) {
  ASSERT_TRUE(HaveCurl());
  auto upstream = LoopbackServer::Start(LoopbackServer::Mode::kHttp);
  Proxy p = StartAllowingLocal({{"allowed.test", "allow"}});
  const CurlResult r =
      Curl("--proxytunnel --proxy http://127.0.0.1:" + std::to_string(p.http_port) +
           " http://allowed.test:" + std::to_string(upstream->port()) + "/t");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "upstream saw: GET /t HTTP/1.1\nbody=");

  auto echo = LoopbackServer::Start(LoopbackServer::Mode::kEcho);
  auto fd = ConnectLoopback(p.http_port);
  ASSERT_TRUE(fd.ok());
  // Bytes sent right behind the head belong to the tunnel.
  ASSERT_TRUE(WriteAll(fd->get(), "CONNECT allowed.test:" + std::to_string(echo->port()) +
                                      " HTTP/1.1\r\n\r\nearly")
                  .ok());
  EXPECT_EQ(ReadUntil(fd->get(), "\r\n\r\n"), "HTTP/1.1 200 Connection established\r\n\r\n");
  EXPECT_EQ(ReadN(fd->get(), 5), "early");
  const std::string data = PseudoRandom(1 << 20, 3);
  EXPECT_TRUE(EchoRoundTrip(fd->get(), data) == data);
}

TEST(ProxyServer, Socks5ReachesAllowedName) {
  ASSERT_TRUE(HaveCurl());
  auto upstream = LoopbackServer::Start(LoopbackServer::Mode::kHttp);
  Proxy p = StartAllowingLocal({{"allowed.test", "allow"}});
  const CurlResult r = Curl("--socks5-hostname 127.0.0.1:" + std::to_string(p.socks_port) +
                            " http://allowed.test:" + std::to_string(upstream->port()) + "/s");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "upstream saw: GET /s HTTP/1.1\nbody=");

  auto echo = LoopbackServer::Start(LoopbackServer::Mode::kEcho);
  auto fd = ConnectLoopback(p.socks_port);
  ASSERT_TRUE(fd.ok());
  const std::string reply = Socks5Connect(fd->get(), "allowed.test", echo->port());
  ASSERT_GE(reply.size(), 2u);
  EXPECT_EQ(reply[1], kSocksSucceeded);
  const std::string data = PseudoRandom(300000, 5);
  EXPECT_TRUE(EchoRoundTrip(fd->get(), data) == data);
}

TEST(ProxyServer, Socks5IpLiteralNeedsALiteralRule) {
  auto echo = LoopbackServer::Start(LoopbackServer::Mode::kEcho);
  Proxy p = StartAllowingLocal({{"127.0.0.1", "allow"}, {"allowed.test", "allow"}});
  auto fd = ConnectLoopback(p.socks_port);
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(Socks5Connect(fd->get(), "127.0.0.1", echo->port())[1], kSocksSucceeded);
  EXPECT_EQ(EchoRoundTrip(fd->get(), "ping"), "ping");
  // ::1 is the same machine, but no rule names it.
  auto fd6 = ConnectLoopback(p.socks_port);
  ASSERT_TRUE(fd6.ok());
  EXPECT_EQ(Socks5Connect(fd6->get(), "::1", echo->port())[1], kSocksNotAllowed);
}

// ---- refusals ----

TEST(ProxyServer, DeniedAndUnknownNamesGet403WithReason) {
  ASSERT_TRUE(HaveCurl());
  auto upstream = LoopbackServer::Start(LoopbackServer::Mode::kHttp);
  ProxyOptions o;
  o.rules = Rules({{"*.allowed.test", "allow"}, {"evil.allowed.test", "deny"}});
  o.dangerously_allow_local_targets = true;
  Proxy p = StartProxy(std::move(o),
                       MakeStaticResolver({{"evil.allowed.test", {IpAddress::V4(127, 0, 0, 1)}},
                                           {"nobody.test", {IpAddress::V4(127, 0, 0, 1)}}}));
  const std::string port = std::to_string(upstream->port());
  const std::string proxy = "--proxy http://127.0.0.1:" + std::to_string(p.http_port) + " ";

  CurlResult r = Curl(proxy + "-w '\\n%{http_code}' http://evil.allowed.test:" + port + "/");
  EXPECT_EQ(r.output, "cordon: blocked by network policy: evil.allowed.test:" + port +
                          " is denied by the rule \"evil.allowed.test\"\n\n403");
  r = Curl(proxy + "-w '\\n%{http_code}' http://nobody.test:" + port + "/");
  EXPECT_EQ(r.output, "cordon: blocked by network policy: nobody.test:" + port +
                          " is not in the allowed domains\n\n403");

  // CONNECT: the agent sees the 403 and its reason on the raw socket.
  auto fd = ConnectLoopback(p.http_port);
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(WriteAll(fd->get(), "CONNECT evil.allowed.test:443 HTTP/1.1\r\n\r\n").ok());
  const std::string response = ReadToEof(fd->get());
  EXPECT_TRUE(response.starts_with("HTTP/1.1 403 Forbidden\r\n")) << response;
  EXPECT_TRUE(
      response.ends_with("\r\n\r\ncordon: blocked by network policy: evil.allowed.test:443 "
                         "is denied by the rule \"evil.allowed.test\"\n"))
      << response;
  // curl reports the CONNECT refusal too.
  r = Curl("--proxytunnel " + proxy + "http://nobody.test:" + port + "/");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("403"), std::string::npos) << r.output;

  EXPECT_EQ(upstream->accepted(), 0);
  EXPECT_EQ(p.server->Stats().upstream_attempts, 0u);
  const auto blocked = p.server->BlockedHosts();
  ASSERT_EQ(blocked.size(), 3u);
  EXPECT_EQ(blocked[0].host, "evil.allowed.test");
  EXPECT_EQ(blocked[0].port, 443);
  EXPECT_EQ(blocked[1].host, "evil.allowed.test");
  EXPECT_EQ(blocked[1].port, upstream->port());
  EXPECT_EQ(blocked[1].count, 1u);
  EXPECT_EQ(blocked[2].host, "nobody.test");
  EXPECT_EQ(blocked[2].count, 2u);
  EXPECT_EQ(blocked[2].reason, "nobody.test:" + port + " is not in the allowed domains");
  // How each was asked for: an absolute-URI request, CONNECT, or both (first seen first).
  EXPECT_EQ(blocked[0].protocols, std::vector<std::string>{"connect"});
  EXPECT_EQ(blocked[1].protocols, std::vector<std::string>{"http"});
  EXPECT_EQ(blocked[2].protocols, (std::vector<std::string>{"http", "connect"}));
  EXPECT_EQ(FormatBlockedHosts(blocked),
            "cordon: blocked by network policy:\n"
            "  evil.allowed.test:443 is denied by the rule \"evil.allowed.test\" (1 request)\n"
            "  evil.allowed.test:" +
                port +
                " is denied by the rule \"evil.allowed.test\" (1 request)\n"
                "  nobody.test:" +
                port + " is not in the allowed domains (2 requests)\n");
  EXPECT_EQ(FormatBlockedHosts({}), "");
}

TEST(ProxyServer, Socks5DeniedNameGetsRulesetReply) {
  ASSERT_TRUE(HaveCurl());
  Proxy p = StartAllowingLocal({{"allowed.test", "allow"}, {"evil.test", "deny"}});
  auto fd = ConnectLoopback(p.socks_port);
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(Socks5Connect(fd->get(), "evil.test", 443)[1], kSocksNotAllowed);
  auto fd2 = ConnectLoopback(p.socks_port);
  ASSERT_TRUE(fd2.ok());
  EXPECT_EQ(Socks5Connect(fd2->get(), "nobody.test", 443)[1], kSocksNotAllowed);
  const CurlResult r =
      Curl("--socks5-hostname 127.0.0.1:" + std::to_string(p.socks_port) + " http://evil.test/");
  EXPECT_EQ(r.exit_code, 97) << r.output;  // CURLE_PROXY
  // curl 7.88 prints the reply code: "Can't complete SOCKS5 connection to evil.test. (2)".
  EXPECT_NE(r.output.find("(2)"), std::string::npos) << r.output;
  const auto blocked = p.server->BlockedHosts();  // sorted by host, then port
  ASSERT_EQ(blocked.size(), 3u);
  EXPECT_EQ(blocked[0].reason, "evil.test:80 is denied by the rule \"evil.test\"");
  EXPECT_EQ(blocked[1].reason, "evil.test:443 is denied by the rule \"evil.test\"");
  EXPECT_EQ(blocked[2].reason, "nobody.test:443 is not in the allowed domains");
  for (const BlockedHost& b : blocked) {
    EXPECT_EQ(b.protocols, std::vector<std::string>{"socks5"}) << b.host;
  }
}

TEST(ProxyServer, Socks5UnsupportedCommandsGetReply7) {
  Proxy p = StartAllowingLocal({{"allowed.test", "allow"}});
  for (char cmd : {2, 3}) {
    auto fd = ConnectLoopback(p.socks_port);
    ASSERT_TRUE(fd.ok());
    ASSERT_TRUE(WriteAll(fd->get(), std::string("\x05\x01\x00", 3)).ok());
    EXPECT_EQ(ReadN(fd->get(), 2), std::string("\x05\x00", 2));
    ASSERT_TRUE(WriteAll(fd->get(), std::string{5, cmd, 0, 1, 127, 0, 0, 1, 0, 80}).ok());
    const std::string reply = ReadToEof(fd->get());
    ASSERT_EQ(reply.size(), 10u);
    EXPECT_EQ(reply[1], kSocksCommandNotSupported);
  }
  // A client offering only username/password is told no method is acceptable.
  auto fd = ConnectLoopback(p.socks_port);
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(WriteAll(fd->get(), std::string("\x05\x01\x02", 3)).ok());
  EXPECT_EQ(ReadToEof(fd->get()), std::string("\x05\xff", 2));
}

// Runs `body` in a forked child inside a private network namespace that has only a loopback
// interface: even a broken proxy could not send a packet to 10.0.0.1 from there. Returns false
// (and the test skips) when this kernel or user cannot create the namespace.
bool RunInPrivateNetwork(const std::function<void()>& body, std::string* why_not) {
  auto pipe = SysPipe(O_CLOEXEC);
  if (!pipe) return false;
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    pipe->read.reset();
    // As root a network namespace is enough; otherwise a user namespace makes us root in it.
    if (unshare(CLONE_NEWNET) != 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) {
      const std::string msg = std::string("unshare(CLONE_NEWNET): ") + strerror(errno);
      (void)WriteAll(pipe->write.get(), msg);
      _exit(3);
    }
    UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (!s || ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0 ||
        (ifr.ifr_flags |= IFF_UP, ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0)) {
      const std::string msg = std::string("bring up lo: ") + strerror(errno);
      (void)WriteAll(pipe->write.get(), msg);
      _exit(3);
    }
    pipe->write.reset();
    body();
    std::fflush(stdout);
    _exit(::testing::Test::HasFailure() ? 1 : 0);
  }
  pipe->write.reset();
  char buf[256];
  const ssize_t n = read(pipe->read.get(), buf, sizeof(buf));
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
    *why_not = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
    return false;
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the child failed (its messages are above), status " << status;
  return true;
}

// An allowed name that resolves to a local address is refused before any connect: the proxy
// makes no connection attempt (so no packet goes to 10.0.0.1), and the loopback server sees none.
// Run in a private network namespace so that a regression cannot send anything either.
void LocalAddressesAreRefusedWithoutConnecting() {
  auto upstream = LoopbackServer::Start(LoopbackServer::Mode::kHttp);
  ProxyOptions o;
  o.rules =
      Rules({{"*.allowed.test", "allow"}, {"127.0.0.1", "allow"}, {"[::ffff:127.0.0.1]", "allow"}});
  Proxy p = StartProxy(
      std::move(o),
      MakeStaticResolver({{"loop.allowed.test", {IpAddress::V4(127, 0, 0, 1)}},
                          {"private.allowed.test", {IpAddress::V4(10, 0, 0, 1)}},
                          {"meta.allowed.test", {IpAddress::V4(169, 254, 169, 254)}},
                          {"mapped.allowed.test", {*IpAddress::Parse("::ffff:10.0.0.1")}}}));
  const std::string port = std::to_string(upstream->port());
  struct Case {
    std::string request;
    std::string reason;
  };
  const Case cases[] = {
      {"GET http://loop.allowed.test:" + port + "/ HTTP/1.1\r\n\r\n",
       "loop.allowed.test:" + port + " resolves to 127.0.0.1, a loopback address"},
      {"CONNECT private.allowed.test:80 HTTP/1.1\r\n\r\n",
       "private.allowed.test:80 resolves to 10.0.0.1, a private address"},
      {"CONNECT meta.allowed.test:80 HTTP/1.1\r\n\r\n",
       "meta.allowed.test:80 resolves to 169.254.169.254, a cloud metadata service address"},
      {"CONNECT mapped.allowed.test:80 HTTP/1.1\r\n\r\n",
       "mapped.allowed.test:80 resolves to ::ffff:10.0.0.1, a private address"},
      {"CONNECT 127.0.0.1:" + port + " HTTP/1.1\r\n\r\n",
       "127.0.0.1:" + port + " is a loopback address"},
      {"CONNECT [::ffff:127.0.0.1]:" + port + " HTTP/1.1\r\n\r\n",
       "[::ffff:127.0.0.1]:" + port + " is a loopback address"},
  };
  for (const Case& c : cases) {
    auto fd = ConnectLoopback(p.http_port);
    ASSERT_TRUE(fd.ok());
    ASSERT_TRUE(WriteAll(fd->get(), c.request).ok());
    const std::string response = ReadToEof(fd->get());
    EXPECT_TRUE(response.starts_with("HTTP/1.1 403 Forbidden")) << response;
    EXPECT_NE(response.find("cordon: blocked by network policy: " + c.reason +
                            "; local targets are not allowed\n"),
              std::string::npos)
        << response;
  }
  for (const std::string host : {"private.allowed.test", "127.0.0.1"}) {
    auto fd = ConnectLoopback(p.socks_port);
    ASSERT_TRUE(fd.ok());
    EXPECT_EQ(Socks5Connect(fd->get(), host, upstream->port())[1], kSocksNotAllowed) << host;
  }
  EXPECT_EQ(p.server->Stats().upstream_attempts, 0u);
  EXPECT_EQ(upstream->accepted(), 0);
}

TEST(ProxyServer, AllowedNameResolvingToLocalAddressIsRefusedWithoutConnecting) {
  std::string why_not;
  if (!RunInPrivateNetwork(LocalAddressesAreRefusedWithoutConnecting, &why_not)) {
    GTEST_SKIP() << "needs a private network namespace: " << why_not;
  }
}

TEST(ProxyServer, DnsFailureAndRefusedUpstreamGive502) {
  const uint16_t closed = testing::UnusedLoopbackPort();
  Proxy p = StartAllowingLocal({{"allowed.test", "allow"}, {"unknown.test", "allow"}});
  auto fd = ConnectLoopback(p.http_port);
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(WriteAll(fd->get(), "GET http://unknown.test/ HTTP/1.1\r\n\r\n").ok());
  std::string response = ReadToEof(fd->get());
  EXPECT_TRUE(response.starts_with("HTTP/1.1 502 Bad Gateway")) << response;
  EXPECT_NE(response.find("cordon: cannot resolve unknown.test: not in the resolver overrides"),
            std::string::npos);

  fd = ConnectLoopback(p.http_port);
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(
      WriteAll(fd->get(), "CONNECT allowed.test:" + std::to_string(closed) + " HTTP/1.1\r\n\r\n")
          .ok());
  response = ReadToEof(fd->get());
  EXPECT_TRUE(response.starts_with("HTTP/1.1 502 Bad Gateway")) << response;
  EXPECT_NE(response.find("ECONNREFUSED"), std::string::npos) << response;

  fd = ConnectLoopback(p.socks_port);
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(Socks5Connect(fd->get(), "allowed.test", closed)[1], kSocksConnectionRefused);
  fd = ConnectLoopback(p.socks_port);
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(Socks5Connect(fd->get(), "unknown.test", 80)[1], kSocksHostUnreachable);
  EXPECT_TRUE(p.server->BlockedHosts().empty());  // failures are not policy refusals
}

TEST(ProxyServer, MalformedRequestsGet400) {
  Proxy p = StartAllowingLocal({{"allowed.test", "allow"}});
  for (const char* req : {"GET /local HTTP/1.1\r\n\r\n",
                          "GET https://allowed.test/ HTTP/1.1\r\n\r\n", "nonsense\r\n\r\n"}) {
    auto fd = ConnectLoopback(p.http_port);
    ASSERT_TRUE(fd.ok());
    ASSERT_TRUE(WriteAll(fd->get(), req).ok());
    EXPECT_TRUE(ReadToEof(fd->get()).starts_with("HTTP/1.1 400 Bad Request")) << req;
  }
}

// ---- concurrency, backpressure, shutdown ----

class ProxyModes : public ::testing::TestWithParam<bool> {};

TEST_P(ProxyModes, ManyConcurrentTunnelsAreByteExact) {
  auto echo = LoopbackServer::Start(LoopbackServer::Mode::kEcho);
  ProxyOptions o;
  o.rules = Rules({{"allowed.test", "allow"}});
  o.dangerously_allow_local_targets = true;
  o.use_splice = GetParam();
  Proxy p = StartProxy(std::move(o),
                       MakeStaticResolver({{"allowed.test", {IpAddress::V4(127, 0, 0, 1)}}}));
  constexpr int kTunnels = 200;
  std::vector<std::future<bool>> results;
  for (int i = 0; i < kTunnels; ++i) {
    results.push_back(std::async(std::launch::async, [&, i] {
      auto fd = ConnectLoopback(i % 2 ? p.http_port : p.socks_port, 30);
      if (!fd) return false;
      if (i % 2) {
        if (!WriteAll(fd->get(), "CONNECT allowed.test:" + std::to_string(echo->port()) +
                                     " HTTP/1.1\r\n\r\n")) {
          return false;
        }
        if (ReadUntil(fd->get(), "\r\n\r\n") != "HTTP/1.1 200 Connection established\r\n\r\n") {
          return false;
        }
      } else if (Socks5Connect(fd->get(), "allowed.test", echo->port())[1] != kSocksSucceeded) {
        return false;
      }
      const std::string data = PseudoRandom(100000 + i * 997, i);
      return EchoRoundTrip(fd->get(), data) == data;
    }));
  }
  int ok = 0;
  for (auto& r : results) ok += r.get() ? 1 : 0;
  EXPECT_EQ(ok, kTunnels);
  EXPECT_EQ(p.server->Stats().tunnels, static_cast<uint64_t>(kTunnels));
}

INSTANTIATE_TEST_SUITE_P(SpliceAndCopy, ProxyModes, ::testing::Bool());

TEST(ProxyServer, StalledClientDoesNotBlockOthersAndBuffersStayBounded) {
  auto source = LoopbackServer::Start(LoopbackServer::Mode::kBytes);
  auto echo = LoopbackServer::Start(LoopbackServer::Mode::kEcho);
  Proxy p = StartAllowingLocal({{"allowed.test", "allow"}});
  // The stalled client asks for 256 MiB and never reads.
  auto stalled = ConnectLoopback(p.http_port);
  ASSERT_TRUE(stalled.ok());
  ASSERT_TRUE(WriteAll(stalled->get(), "CONNECT allowed.test:" + std::to_string(source->port()) +
                                           " HTTP/1.1\r\n\r\n268435456\n")
                  .ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    auto fd = ConnectLoopback(p.http_port, 5);
    ASSERT_TRUE(fd.ok());
    ASSERT_TRUE(WriteAll(fd->get(), "CONNECT allowed.test:" + std::to_string(echo->port()) +
                                        " HTTP/1.1\r\n\r\n")
                    .ok());
    ASSERT_EQ(ReadUntil(fd->get(), "\r\n\r\n"), "HTTP/1.1 200 Connection established\r\n\r\n");
    const std::string data = PseudoRandom(65536, i);
    ASSERT_TRUE(EchoRoundTrip(fd->get(), data) == data);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // The source is stuck after filling the kernel socket buffers and the proxy's pipe (at most
  // splice_size, 256 KiB); it is far from the 256 MiB it was asked for.
  const uint64_t sent = source->bytes_sent();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(source->bytes_sent(), sent) << "the source is still sending";
  EXPECT_LT(sent, 64u << 20);
}

// A client that goes away (with a reset) in the middle of a large download: the proxy's writes
// to it fail (ECONNRESET, then EPIPE, and splice(2) into such a socket can raise SIGPIPE, which
// would kill the whole process); the proxy must close that tunnel and go on serving.
TEST_P(ProxyModes, ClientVanishingMidTransferIsHarmless) {
  auto source = LoopbackServer::Start(LoopbackServer::Mode::kBytes);
  auto echo = LoopbackServer::Start(LoopbackServer::Mode::kEcho);
  ProxyOptions o;
  o.rules = Rules({{"allowed.test", "allow"}});
  o.dangerously_allow_local_targets = true;
  o.use_splice = GetParam();
  Proxy p = StartProxy(std::move(o),
                       MakeStaticResolver({{"allowed.test", {IpAddress::V4(127, 0, 0, 1)}}}));
  for (int i = 0; i < 5; ++i) {
    auto fd = ConnectLoopback(p.http_port);
    ASSERT_TRUE(fd.ok());
    ASSERT_TRUE(WriteAll(fd->get(), "CONNECT allowed.test:" + std::to_string(source->port()) +
                                        " HTTP/1.1\r\n\r\n1073741824\n")
                    .ok());
    ASSERT_EQ(ReadUntil(fd->get(), "\r\n\r\n"), "HTTP/1.1 200 Connection established\r\n\r\n");
    ASSERT_EQ(ReadN(fd->get(), 4 << 20).size(), 4u << 20);  // well past the splice threshold
    // Close with unread data: the kernel answers further segments with a reset.
    linger l{1, 0};
    setsockopt(fd->get(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    fd->reset();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto fd = ConnectLoopback(p.socks_port);
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(Socks5Connect(fd->get(), "allowed.test", echo->port())[1], kSocksSucceeded);
  EXPECT_EQ(EchoRoundTrip(fd->get(), "still here"), "still here");
}

TEST(ProxyServer, SlowLookupDoesNotStallOtherTunnels) {
  // A resolver that never answers "slow.test" (until the end of the test).
  class HangingResolver : public Resolver {
   public:
    void Resolve(const std::string& host, ResolveCallback done) override {
      if (host == "slow.test") {
        std::lock_guard lock(mu_);
        held_.push_back(std::move(done));
        return;
      }
      done(std::vector<IpAddress>{IpAddress::V4(127, 0, 0, 1)});
    }
    ~HangingResolver() override {
      for (auto& d : held_) d(PlainError("resolve", "gave up"));
    }
    std::mutex mu_;
    std::vector<ResolveCallback> held_;
  };
  auto upstream = LoopbackServer::Start(LoopbackServer::Mode::kHttp);
  ProxyOptions o;
  o.rules = Rules({{"slow.test", "allow"}, {"allowed.test", "allow"}});
  o.dangerously_allow_local_targets = true;
  Proxy p = StartProxy(std::move(o), std::make_unique<HangingResolver>());
  auto slow = ConnectLoopback(p.http_port);
  ASSERT_TRUE(slow.ok());
  ASSERT_TRUE(WriteAll(slow->get(), "CONNECT slow.test:443 HTTP/1.1\r\n\r\n").ok());
  auto fast = ConnectLoopback(p.http_port, 5);
  ASSERT_TRUE(fast.ok());
  ASSERT_TRUE(WriteAll(fast->get(), "GET http://allowed.test:" + std::to_string(upstream->port()) +
                                        "/fast HTTP/1.1\r\n\r\n")
                  .ok());
  EXPECT_NE(ReadToEof(fast->get()).find("upstream saw: GET /fast"), std::string::npos);
}

TEST(ProxyServer, LookupsThatNeverAnswerTimeOutWith504) {
  class SilentResolver : public Resolver {
   public:
    void Resolve(const std::string&, ResolveCallback done) override {
      held_.push_back(std::move(done));  // answered only when the resolver is destroyed
    }
    ~SilentResolver() override {
      for (auto& d : held_) d(PlainError("resolve", "gave up"));
    }
    std::vector<ResolveCallback> held_;
  };
  ProxyOptions o;
  o.rules = Rules({{"slow.test", "allow"}});
  o.handshake_timeout = std::chrono::milliseconds(300);
  Proxy p = StartProxy(std::move(o), std::make_unique<SilentResolver>());
  auto fd = ConnectLoopback(p.http_port, 5);
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(WriteAll(fd->get(), "CONNECT slow.test:443 HTTP/1.1\r\n\r\n").ok());
  const std::string response = ReadToEof(fd->get());
  EXPECT_TRUE(response.starts_with("HTTP/1.1 504 Gateway Timeout")) << response;
  EXPECT_NE(response.find("cordon: looking up slow.test timed out"), std::string::npos);
  auto s = ConnectLoopback(p.socks_port, 5);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Socks5Connect(s->get(), "slow.test", 443)[1], kSocksHostUnreachable);
}

TEST(ProxyServer, StopClosesOpenTunnelsPromptly) {
  auto echo = LoopbackServer::Start(LoopbackServer::Mode::kEcho);
  Proxy p = StartAllowingLocal({{"allowed.test", "allow"}});
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 10; ++i) {
    auto fd = ConnectLoopback(p.socks_port, 5);
    ASSERT_TRUE(fd.ok());
    ASSERT_EQ(Socks5Connect(fd->get(), "allowed.test", echo->port())[1], kSocksSucceeded);
    ASSERT_EQ(EchoRoundTrip(fd->get(), "x"), "x");
    clients.push_back(std::move(*fd));
  }
  // A half-open handshake too.
  auto pending = ConnectLoopback(p.http_port, 5);
  ASSERT_TRUE(pending.ok());
  ASSERT_TRUE(WriteAll(pending->get(), "CONNECT allowed").ok());
  for (int i = 0; i < 200 && p.server->Stats().active < 11; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(p.server->Stats().active, 11u);

  const auto start = std::chrono::steady_clock::now();
  p.server->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(p.server->Stats().active, 0u);
  for (auto& fd : clients) EXPECT_EQ(ReadToEof(fd.get()), "");  // EOF, not a timeout
  EXPECT_EQ(ReadToEof(pending->get()), "");
  // The listeners are closed: nobody accepts any more.
  EXPECT_FALSE(ConnectLoopback(p.http_port, 1).ok());
  p.server->Stop();  // idempotent
}

TEST(ProxyServer, SilentClientsAreDroppedAfterTheHandshakeTimeout) {
  ProxyOptions o;
  o.handshake_timeout = std::chrono::milliseconds(300);
  Proxy p = StartProxy(std::move(o), MakeStaticResolver({}));
  auto fd = ConnectLoopback(p.http_port, 5);
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(WriteAll(fd->get(), "CONNECT half").ok());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ReadToEof(fd->get()), "");
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_LT(waited, std::chrono::seconds(3));
}

TEST(ProxyServer, ConnectionsBeyondTheLimitAreClosed) {
  ProxyOptions o;
  o.max_connections = 2;
  Proxy p = StartProxy(std::move(o), MakeStaticResolver({}));
  auto a = ConnectLoopback(p.http_port, 5);
  auto b = ConnectLoopback(p.http_port, 5);
  ASSERT_TRUE(a.ok() && b.ok());
  for (int i = 0; i < 200 && p.server->Stats().active < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto c = ConnectLoopback(p.http_port, 5);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(ReadToEof(c->get()), "");  // closed at once
  EXPECT_EQ(p.server->Stats().active, 2u);
  // The first two are still served.
  ASSERT_TRUE(WriteAll(a->get(), "CONNECT nobody.test:1 HTTP/1.1\r\n\r\n").ok());
  EXPECT_TRUE(ReadToEof(a->get()).starts_with("HTTP/1.1 403"));
}

TEST(ProxyServer, Ipv6LiteralTargetsWork) {
  auto echo6 = LoopbackServer::Start(LoopbackServer::Mode::kEcho, /*v6=*/true);
  Proxy p = StartAllowingLocal({{"[::1]", "allow"}});
  auto fd = ConnectLoopback(p.http_port);
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(
      WriteAll(fd->get(), "CONNECT [::1]:" + std::to_string(echo6->port()) + " HTTP/1.1\r\n\r\n")
          .ok());
  ASSERT_EQ(ReadUntil(fd->get(), "\r\n\r\n"), "HTTP/1.1 200 Connection established\r\n\r\n");
  EXPECT_EQ(EchoRoundTrip(fd->get(), "six"), "six");
  auto s = ConnectLoopback(p.socks_port);
  ASSERT_TRUE(s.ok());
  const std::string reply = Socks5Connect(s->get(), "::1", echo6->port());
  ASSERT_EQ(reply.size(), 22u);  // a bound IPv6 address
  EXPECT_EQ(reply[1], kSocksSucceeded);
  EXPECT_EQ(EchoRoundTrip(s->get(), "six"), "six");
}

// ---- host ports ----

TEST(ProxyServer, HostPortForwarderRelaysToHostLoopback) {
  auto echo = LoopbackServer::Start(LoopbackServer::Mode::kEcho);
  auto echo6 = LoopbackServer::Start(LoopbackServer::Mode::kEcho, /*v6=*/true);
  const uint16_t closed = testing::UnusedLoopbackPort();
  // No rules at all: forwarders do not consult them.
  Proxy p =
      StartProxy(ProxyOptions{}, MakeStaticResolver({}), {echo->port(), echo6->port(), closed});
  ASSERT_EQ(p.forward_ports.size(), 3u);
  for (int i = 0; i < 2; ++i) {
    auto fd = ConnectLoopback(p.forward_ports[i]);
    ASSERT_TRUE(fd.ok());
    const std::string data = PseudoRandom(500000, 11);
    EXPECT_TRUE(EchoRoundTrip(fd->get(), data) == data) << "forwarder " << i;
  }
  EXPECT_EQ(echo->accepted(), 1);
  EXPECT_EQ(echo6->accepted(), 1);  // reached over ::1 after 127.0.0.1 was refused
  // Nothing listens on the host port: the sandbox side sees its connection closed.
  auto fd = ConnectLoopback(p.forward_ports[2]);
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(ReadToEof(fd->get()), "");
}

TEST(ProxyServer, RefusesListenersThatAreNotListening) {
  auto pair = SysSocketpair(SOCK_STREAM);
  ASSERT_TRUE(pair.ok());
  std::vector<ProxyListener> listeners;
  listeners.push_back({ProxyListener::Kind::kHttp, std::move(pair->read), 0});
  auto server = ProxyServer::Start(ProxyOptions{}, std::move(listeners), MakeStaticResolver({}));
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.error().ToString().find("not a listening socket"), std::string::npos);
}

}  // namespace
}  // namespace cordon
