// End-to-end tests of the network modes: real clients (curl, python3, bash) inside real
// sandboxes against servers this test starts on the host's loopback. Names resolve through the
// profile's `network.resolve` overrides, so no DNS query is ever sent. Every address used is on
// loopback (127.0.0.1); "no route" checks use connect() on datagram sockets, which sends nothing.
// Run twice by CTest: as root, and as the unprivileged user 65534.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "net/test_servers.h"
#include "support/run.h"

namespace cordon::testing {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

// A UDP socket on 127.0.0.1 that counts datagrams (the "DNS server" and UDP target).
class UdpSink {
 public:
  UdpSink() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~UdpSink() { ::close(fd_); }
  uint16_t port() const { return port_; }
  int Received() {
    int n = 0;
    char buf[512];
    while (::recv(fd_, buf, sizeof buf, MSG_DONTWAIT) >= 0) ++n;
    return n;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A listening unix socket (pathname or abstract) on the host that answers "hello" to each client.
class UnixServer {
 public:
  explicit UnixServer(const std::string& name) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, name.data(), name.size());
    if (name[0] == '@') a.sun_path[0] = '\0';
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a),
                     static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size())),
              0);
    if (name[0] == '/') ::chmod(name.c_str(), 0777);
    ::listen(fd_, 8);
    thread_ = std::thread([this] {
      for (;;) {
        pollfd p{fd_, POLLIN, 0};
        if (stop_) return;
        if (::poll(&p, 1, 50) <= 0) continue;
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        ++accepted_;
        ssize_t ignored = ::write(c, "hello", 5);
        (void)ignored;
        ::close(c);
      }
    });
  }
  ~UnixServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  int accepted() const { return accepted_; }

 private:
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

class NetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws_ = dir_ / "ws";
    Sh("mkdir -p '" + ws_ + "'");
    http_ = LoopbackServer::Start(LoopbackServer::Mode::kHttp);
    other_ = LoopbackServer::Start(LoopbackServer::Mode::kHttp);
    ASSERT_TRUE(http_ && other_);
  }
  // A config with profile `name`: proxy mode unless `network` says otherwise.
  std::string Config(const std::string& network) {
    const std::string path = dir_ / "config.toml";
    WriteFile(path,
              "[permissions.p]\nextends = \":workspace\"\n[permissions.p.network]\n" + network);
    ChownToTestUser(path);
    return path;
  }
  std::string ProxyConfig(bool local_targets = true, const std::string& extra = "") {
    return Config(std::string("mode = \"proxy\"\n") +
                  "domains = { \"allowed.test\" = \"allow\", \"denied.test\" = \"deny\" }\n"
                  "resolve = { \"allowed.test\" = \"127.0.0.1\", \"denied.test\" = \"127.0.0.1\", "
                  "\"other.test\" = \"127.0.0.1\" }\n" +
                  (local_targets ? "allow_local_targets = true\n" : "") + extra);
  }
  RunResult InSandbox(const std::string& config, const std::string& script) {
    const std::string prelude =
        "try() { l=$1; shift; if \"$@\" >/dev/null 2>&1; then echo $l=ok; else echo $l=denied; fi; "
        "}\n";
    return Cordon({"exec", "--config", config, "-P", "p", "-C", ws_, "--", "/bin/bash", "-c",
                   prelude + script});
  }
  std::string Port(const std::unique_ptr<LoopbackServer>& s) { return std::to_string(s->port()); }

  TempDir dir_;
  std::string ws_;
  std::unique_ptr<LoopbackServer> http_;
  std::unique_ptr<LoopbackServer> other_;
};

TEST_F(NetworkTest, AllowedNameWorksOverHttpConnectAndSocks5) {
  const std::string url = "http://allowed.test:" + Port(http_) + "/x";
  RunResult r = InSandbox(ProxyConfig(), "curl -sS " + url + "; echo; curl -sS -p " + url +
                                             "; echo;"
                                             "curl -sS -x \"$ALL_PROXY\" " +
                                             url + "; echo");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "upstream saw: GET /x HTTP/1.1\nbody=\nupstream saw: GET /x HTTP/1.1\nbody=\n"
            "upstream saw: GET /x HTTP/1.1\nbody=\n")
      << r.err;
  EXPECT_EQ(r.err.find("blocked"), std::string::npos) << r.err;
}

TEST_F(NetworkTest, DeniedAndUnlistedNamesAreRefusedAndReported) {
  const std::string port = Port(http_);
  RunResult r =
      InSandbox(ProxyConfig(), "curl -s -w ' %{http_code}\\n' http://denied.test:" + port +
                                   "/;"
                                   "curl -s -o /dev/null -w '%{http_code}\\n' http://other.test:" +
                                   port +
                                   "/;"
                                   "try connect curl -sf -p http://denied.test:" +
                                   port +
                                   "/;"
                                   "curl -s -x \"$ALL_PROXY\" http://other.test:" +
                                   port + "/; echo socks=$?");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("denied by the rule \"denied.test\"\n 403\n403\nconnect=denied\nsocks=97\n"),
            std::string::npos)
      << r.out << r.err;
  EXPECT_EQ(http_->accepted(), 0);
  // The end-of-run report names each blocked host.
  EXPECT_NE(r.err.find("cordon: blocked by network policy:"), std::string::npos) << r.err;
  EXPECT_NE(
      r.err.find("denied.test:" + port + " is denied by the rule \"denied.test\" (2 requests)"),
      std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("other.test:" + port + " is not in the allowed domains"), std::string::npos)
      << r.err;
}

TEST_F(NetworkTest, AllowedNameResolvingToLoopbackIsRefusedWithoutLocalTargets) {
  RunResult r = InSandbox(ProxyConfig(/*local_targets=*/false),
                          "curl -s -w ' %{http_code}' http://allowed.test:" + Port(http_) + "/");
  EXPECT_NE(r.out.find("a loopback address; local targets are not allowed\n 403"),
            std::string::npos)
      << r.out << r.err;
  EXPECT_EQ(http_->accepted(), 0);
}

TEST_F(NetworkTest, EveryBypassFails) {
  UdpSink udp;
  UdpSink dns;
  const std::string port = Port(http_);
  const std::string py =
      std::string(kPython) +
      " -c \"import socket,sys\n"
      "def t(fam, typ, proto, addr):\n"
      "  try:\n"
      "    s = socket.socket(fam, typ, proto); s.settimeout(2)\n"
      "    s.connect(addr); s.send(b'x'); return 'ok'\n"
      "  except OSError as e: return 'denied'\n"
      "print('tcp=' + t(socket.AF_INET, socket.SOCK_STREAM, 0, ('127.0.0.1', " +
      port +
      ")))\n"
      "print('tcp6=' + t(socket.AF_INET6, socket.SOCK_STREAM, 0, ('::1', " +
      port +
      ")))\n"
      // No route anywhere but loopback: connect() on a datagram socket only looks the route up.
      "print('route=' + t(socket.AF_INET, socket.SOCK_DGRAM, 0, ('192.0.2.1', 53)))\n"
      "print('icmp=' + t(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP, ('192.0.2.1', "
      "0)))\n"
      "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
      "u.sendto(b'x', ('127.0.0.1', " +
      std::to_string(udp.port()) +
      "))\n"
      // A DNS query for allowed.test to the test resolver.
      "u.sendto(bytes.fromhex('abcd01000001000000000000') + "
      "b'\\x07allowed\\x04test\\x00\\x00\\x01\\x00\\x01', "
      "('127.0.0.1', " +
      std::to_string(dns.port()) +
      "))\n"
      "\"";
  RunResult r = InSandbox(ProxyConfig(),
                          py + "; try devtcp bash -c 'echo x > /dev/tcp/127.0.0.1/" + port +
                              "';"
                              "try curl_noproxy curl -sf -m 3 --noproxy '*' http://127.0.0.1:" +
                              port +
                              "/;"
                              "try resolve getent hosts allowed.test");
  EXPECT_EQ(r.out,
            "tcp=denied\ntcp6=denied\nroute=denied\nicmp=denied\ndevtcp=denied\n"
            "curl_noproxy=denied\nresolve=denied\n")
      << r.err;
  usleep(100 * 1000);
  EXPECT_EQ(udp.Received(), 0);
  EXPECT_EQ(dns.Received(), 0);
  EXPECT_EQ(http_->accepted(), 0);
}

TEST_F(NetworkTest, HostPortsListedAreReachableOthersAreNot) {
  for (const char* mode : {"none", "proxy"}) {
    RunResult r = InSandbox(
        Config(std::string("mode = \"") + mode + "\"\nhost_ports = [" + Port(http_) + "]\n"),
        "curl -sS --noproxy '*' http://127.0.0.1:" + Port(http_) +
            "/hp; echo;"
            "try other curl -sf -m 3 --noproxy '*' http://127.0.0.1:" +
            Port(other_) + "/");
    EXPECT_EQ(r.out, "upstream saw: GET /hp HTTP/1.1\nbody=\nother=denied\n") << mode << r.err;
  }
  EXPECT_EQ(other_->accepted(), 0);
}

TEST_F(NetworkTest, LocalBindingAllowsAServerInsideOnlyWhenConfigured) {
  const std::string py = std::string(kPython) +
                         " -c \"import socket\n"
                         "try:\n"
                         "  l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(1)\n"
                         "  c = socket.create_connection(l.getsockname(), 2); a, _ = l.accept()\n"
                         "  a.send(b'hi'); print('server=' + c.recv(2).decode())\n"
                         "except OSError as e: print('server=denied')\n\"";
  RunResult on = InSandbox(Config("mode = \"proxy\"\nallow_local_binding = true\n"), py);
  EXPECT_EQ(on.out, "server=hi\n") << on.err;
  RunResult off = InSandbox(Config("mode = \"proxy\"\n"), py);
  EXPECT_EQ(off.out, "server=denied\n") << off.err;
}

TEST_F(NetworkTest, HostUnixSocketsAreHiddenUnlessAllowed) {
  const std::string path = dir_ / "host.sock";
  const std::string abstract = "@cordon-network-test-" + std::to_string(::getpid());
  UnixServer pathname(path);
  UnixServer abstract_server(abstract);
  const std::string py =
      std::string(kPython) +
      " -c \"import socket,os\n"
      "def t(addr):\n"
      "  s = socket.socket(socket.AF_UNIX)\n"
      "  try:\n"
      "    s.connect(addr); return s.recv(5).decode()\n"
      "  except OSError: return 'denied'\n"
      "print('path=' + t('" +
      path +
      "'))\n"
      "print('abstract=' + t('\\\\0" +
      abstract.substr(1) +
      "'))\n"
      // Sockets the command makes itself keep working.
      "a, b = socket.socketpair(); a.send(b'pair'); print('pair=' + b.recv(4).decode())\n"
      "p = '/tmp/cordon-inner-%d.sock' % os.getpid(); l = socket.socket(socket.AF_UNIX)\n"
      "l.bind(p); l.listen(1); c = socket.socket(socket.AF_UNIX); c.connect(p)\n"
      "x, _ = l.accept(); x.send(b'in'); print('inner=' + c.recv(2).decode()); os.unlink(p)\n\"";
  for (const char* mode : {"none", "proxy"}) {
    RunResult r = InSandbox(Config(std::string("mode = \"") + mode + "\"\n"), py);
    EXPECT_EQ(r.out, "path=denied\nabstract=denied\npair=pair\ninner=in\n") << mode << r.err;
  }
  EXPECT_EQ(pathname.accepted(), 0);
  EXPECT_EQ(abstract_server.accepted(), 0);
  RunResult allowed =
      InSandbox(Config("mode = \"none\"\nunix_sockets = { \"" + path + "\" = \"allow\" }\n"), py);
  EXPECT_EQ(allowed.out, "path=hello\nabstract=denied\npair=pair\ninner=in\n") << allowed.err;
}

TEST_F(NetworkTest, FullModeSharesTheHostNetwork) {
  RunResult r = InSandbox(Config("mode = \"full\"\n"),
                          "curl -sS --noproxy '*' http://127.0.0.1:" + Port(http_) +
                              "/full; echo;"
                              "echo proxy=${HTTP_PROXY:-unset}");
  EXPECT_EQ(r.out, "upstream saw: GET /full HTTP/1.1\nbody=\nproxy=unset\n") << r.err;
}

TEST_F(NetworkTest, OverBroadPatternsAreConfigErrorsInExplainAndExec) {
  RunResult e = Cordon({"explain", "--config",
                        Config("mode = \"proxy\"\ndomains = { \"*.com\" = \"allow\" }\n"), "-P",
                        "p", "-C", ws_, "--", "true"});
  EXPECT_EQ(e.exit_code, 125);
  EXPECT_NE(e.err.find("\"*.com\": a wildcard over a whole top-level domain is too broad"),
            std::string::npos)
      << e.err;
  RunResult x =
      Cordon({"exec", "--network", "proxy", "--allow-domain", "*", "-C", ws_, "--", "true"});
  EXPECT_EQ(x.exit_code, 125);
  EXPECT_NE(x.err.find("a wildcard over every host is too broad"), std::string::npos) << x.err;
}

TEST_F(NetworkTest, ExplainShowsTheProxyWiring) {
  RunResult e = Cordon({"explain", "--config", ProxyConfig(true, "host_ports = [3128]\n"), "-P",
                        "p", "-C", ws_, "--", "true"});
  EXPECT_EQ(e.exit_code, 0) << e.err;
  // 3128 is taken by the host port, so the HTTP proxy moves to the next candidate.
  EXPECT_NE(e.out.find("http proxy:   127.0.0.1:8118 inside"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("socks5 proxy: 127.0.0.1:1080 inside"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("host port:    127.0.0.1:3128 inside -> host 127.0.0.1:3128"),
            std::string::npos)
      << e.out;
  EXPECT_NE(e.out.find("tcp bind/connect: denied (connect allowed to ports 8118 1080 3128)"),
            std::string::npos)
      << e.out;
  EXPECT_NE(e.out.find("set   HTTPS_PROXY=http://127.0.0.1:8118"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("set   ALL_PROXY=socks5h://127.0.0.1:1080"), std::string::npos) << e.out;
}

// --json-report: after the run, one JSON line in a file of its own. The command's stdout is left
// exactly as the command wrote it, and the human report stays on stderr.
TEST_F(NetworkTest, JsonReportListsTheBlockedHostsApartFromTheOutput) {
  const std::string port = Port(http_);
  const std::string report = dir_ / "report.json";
  RunResult r = Cordon({"exec", "--json-report", report, "--config", ProxyConfig(), "-P", "p", "-C",
                        ws_, "--", "/bin/bash", "-c",
                        "curl -s -o /dev/null http://denied.test:" + port +
                            "/; curl -s -o /dev/null -x \"$ALL_PROXY\" http://other.test:" + port +
                            "/; printf 'out\\000\\377no-newline'; echo to-stderr >&2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("out\0\377no-newline", 15));
  EXPECT_TRUE(r.err.starts_with("to-stderr\ncordon: blocked by network policy:\n")) << r.err;
  const std::string text = ReadFile(report);
  ASSERT_TRUE(text.ends_with("}\n")) << text;
  EXPECT_EQ(text.find('\n'), text.size() - 1) << text;  // one line
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["cordon_run_report"], 1);
  EXPECT_EQ(j["outcome"], "exited");
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_EQ(j["exit_status"], 0);
  EXPECT_EQ(j["profile"], "p");
  EXPECT_GT(j["duration_ms"].get<double>(), 0);
  EXPECT_EQ(j["network"]["mode"], "proxy");
  const auto& blocked = j["network"]["blocked_hosts"];
  ASSERT_EQ(blocked.size(), 2u) << text;
  EXPECT_EQ(blocked[0]["host"], "denied.test");
  EXPECT_EQ(blocked[0]["port"], http_->port());
  EXPECT_EQ(blocked[0]["protocols"], nlohmann::json::array({"http"}));
  EXPECT_EQ(blocked[0]["reason"], "denied.test:" + port + " is denied by the rule \"denied.test\"");
  EXPECT_EQ(blocked[0]["count"], 1);
  EXPECT_EQ(blocked[1]["host"], "other.test");
  EXPECT_EQ(blocked[1]["protocols"], nlohmann::json::array({"socks5"}));
  EXPECT_EQ(blocked[1]["reason"], "other.test:" + port + " is not in the allowed domains");
  EXPECT_EQ(http_->accepted(), 0);
}

TEST_F(NetworkTest, JsonReportOfACleanRunHasNoBlockedHosts) {
  const std::string report = dir_ / "report.json";
  RunResult r = Cordon({"exec", "--json-report", report, "--config", ProxyConfig(), "-P", "p", "-C",
                        ws_, "--", "/bin/bash", "-c",
                        "curl -sS http://allowed.test:" + Port(http_) + "/x; exit 7"});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_EQ(r.out, "upstream saw: GET /x HTTP/1.1\nbody=");
  EXPECT_EQ(r.err, "");
  const auto j = nlohmann::json::parse(ReadFile(report));
  EXPECT_EQ(j["outcome"], "exited");
  EXPECT_EQ(j["exit_code"], 7);
  EXPECT_EQ(j["network"]["mode"], "proxy");
  EXPECT_EQ(j["network"]["blocked_hosts"], nlohmann::json::array());
}

// --json-report-fd N: the caller's descriptor, which the sandboxed command cannot write to.
// A run that fails before the sandbox starts is reported too.
TEST_F(NetworkTest, JsonReportOnAnInheritedDescriptor) {
  const std::string report = dir_ / "fd-report.json";
  RunResult r = cordon::testing::Run(
      {"/bin/bash", "-c",
       CordonBinary() + " exec --json-report-fd 3 -C '" + ws_ +
           "' -- /bin/bash -c 'echo forged >&3 || echo no-fd-3' 3>'" + report + "'"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "no-fd-3\n");
  auto j = nlohmann::json::parse(ReadFile(report));
  EXPECT_EQ(j["outcome"], "exited");
  EXPECT_EQ(j["network"]["mode"], "none");

  r = cordon::testing::Run({"/bin/bash", "-c",
                            CordonBinary() +
                                " exec --json-report-fd 3 --network proxy --allow-domain '*' -C '" +
                                ws_ + "' -- true 3>'" + report + "'"});
  EXPECT_EQ(r.exit_code, 125);
  j = nlohmann::json::parse(ReadFile(report));
  EXPECT_EQ(j["outcome"], "setup_failed");
  EXPECT_EQ(j["exit_status"], 125);
  EXPECT_NE(j["error"].get<std::string>().find("a wildcard over every host is too broad"),
            std::string::npos)
      << j.dump();
  // A report file the command can reach and replaces is not trusted: cordon fails the run.
  const std::string in_ws = ws_ + "/report.json";
  r = Cordon({"exec", "--json-report", in_ws, "-C", ws_, "--", "/bin/sh", "-c",
              "rm report.json && echo '{\"outcome\":\"forged\"}' > report.json"});
  EXPECT_EQ(r.exit_code, 125) << r.err;
  EXPECT_NE(r.err.find("the file was removed or replaced during the run"), std::string::npos)
      << r.err;
  // Never the command's own channels.
  r = Cordon({"exec", "--json-report-fd", "1", "-C", ws_, "--", "true"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace cordon::testing
