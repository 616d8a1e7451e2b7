// Benchmark of cordon's network proxy against direct loopback connections, in the same run:
//   - throughput of a large download (default 1 GiB) direct, through an HTTP CONNECT tunnel
//     (splice mode and copy mode) and through SOCKS5;
//   - the rate of new connections (connect, one byte each way, close) direct and through CONNECT;
//   - the cost of ProxyServer::Start + Stop.
// Prints medians. Usage: net_proxy_bench [--bytes N] [--rounds R] [--conns C] [--buffer B]
//                                         [--splice S] [--only direct|connect|socks|copy|conns]
// (--buffer: ProxyOptions::buffer_size, the copy buffer; --splice: ProxyOptions::splice_size.)
// Everything runs on 127.0.0.1.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/sys.h"
#include "net/proxy_server.h"
#include "net/test_servers.h"

namespace cordon {
namespace {

using Clock = std::chrono::steady_clock;
using testing::ConnectLoopback;
using testing::ListenLoopback;
using testing::LoopbackServer;
using testing::ReadN;
using testing::ReadUntil;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "net_proxy_bench: %s\n", what.c_str());
  std::exit(1);
}

enum class Path { kDirect, kConnect, kSocks };

// Opens a connection to 127.0.0.1:target, directly or through the proxy.
UniqueFd Open(Path path, uint16_t target, uint16_t http_port, uint16_t socks_port) {
  auto fd = ConnectLoopback(path == Path::kDirect    ? target
                            : path == Path::kConnect ? http_port
                                                     : socks_port,
                            30);
  if (!fd) Die(fd.error().ToString());
  if (path == Path::kConnect) {
    if (!WriteAll(fd->get(),
                  "CONNECT allowed.test:" + std::to_string(target) + " HTTP/1.1\r\n\r\n")) {
      Die("write CONNECT");
    }
    if (ReadUntil(fd->get(), "\r\n\r\n") != "HTTP/1.1 200 Connection established\r\n\r\n") {
      Die("CONNECT refused");
    }
  } else if (path == Path::kSocks) {
    const std::string host = "allowed.test";
    std::string msg = {5, 1, 0, 5, 1, 0, 3, static_cast<char>(host.size())};
    msg += host;
    msg.push_back(static_cast<char>(target >> 8));
    msg.push_back(static_cast<char>(target & 0xff));
    if (!WriteAll(fd->get(), msg)) Die("write SOCKS5");
    const std::string reply = ReadN(fd->get(), 2 + 10);
    if (reply.size() != 12 || reply[3] != 0) Die("SOCKS5 refused");
  }
  return std::move(*fd);
}

// CPU time (user + system) of the whole process: client, servers and proxy threads.
double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Downloads `bytes` from the kBytes server; returns MiB/s, and the process CPU seconds per GiB.
double Download(Path path, uint64_t bytes, uint16_t target, uint16_t http_port, uint16_t socks_port,
                double* cpu_per_gib = nullptr) {
  UniqueFd fd = Open(path, target, http_port, socks_port);
  const double cpu_start = CpuSeconds();
  const auto start = Clock::now();
  if (!WriteAll(fd.get(), std::to_string(bytes) + "\n")) Die("write size");
  std::vector<char> buf(1 << 20);
  uint64_t got = 0;
  while (got < bytes) {
    const ssize_t n = recv(fd.get(), buf.data(), buf.size(), 0);
    if (n <= 0) Die("short download: " + std::to_string(got) + " of " + std::to_string(bytes));
    got += static_cast<uint64_t>(n);
  }
  const double elapsed = Seconds(Clock::now() - start);
  if (cpu_per_gib != nullptr) {
    *cpu_per_gib = (CpuSeconds() - cpu_start) / (static_cast<double>(bytes) / (1 << 30));
  }
  return static_cast<double>(bytes) / (1 << 20) / elapsed;
}

// A one-thread echo server for the connection-rate test: one byte back per connection.
class ByteEchoServer {
 public:
  ByteEchoServer() {
    auto fd = ListenLoopback(&port_);
    if (!fd) Die(fd.error().ToString());
    listener_ = std::move(*fd);
    thread_ = std::thread([this] {
      for (;;) {
        const int c = accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return;
        UniqueFd conn(c);
        char b;
        if (recv(c, &b, 1, 0) == 1) (void)!send(c, &b, 1, MSG_NOSIGNAL);
      }
    });
  }
  ~ByteEchoServer() {
    shutdown(listener_.get(), SHUT_RDWR);
    thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  uint16_t port_ = 0;
  UniqueFd listener_;
  std::thread thread_;
};

// Connections per second for `count` sequential connect / 1 byte / close cycles.
double ConnectionRate(Path path, int count, uint16_t target, uint16_t http_port) {
  const auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    UniqueFd fd = Open(path, target, http_port, 0);
    char b = 'x';
    if (send(fd.get(), &b, 1, MSG_NOSIGNAL) != 1 || recv(fd.get(), &b, 1, 0) != 1) Die("echo");
  }
  return count / Seconds(Clock::now() - start);
}

struct RunningProxy {
  std::unique_ptr<ProxyServer> server;
  uint16_t http_port = 0, socks_port = 0;
};

size_t g_buffer = ProxyOptions().buffer_size;
size_t g_splice = ProxyOptions().splice_size;

RunningProxy StartProxy(bool splice) {
  RunningProxy p;
  auto http = ListenLoopback(&p.http_port);
  auto socks = ListenLoopback(&p.socks_port);
  if (!http || !socks) Die("listen");
  std::vector<ProxyListener> listeners;
  listeners.push_back({ProxyListener::Kind::kHttp, std::move(*http), 0});
  listeners.push_back({ProxyListener::Kind::kSocks5, std::move(*socks), 0});
  ProxyOptions o;
  auto rules = DomainRules::Parse({{"allowed.test", "allow"}});
  if (!rules) Die(rules.error().ToString());
  o.rules = *rules;
  o.dangerously_allow_local_targets = true;  // the benchmark servers live on loopback
  o.use_splice = splice;
  o.buffer_size = g_buffer;
  o.splice_size = g_splice;
  auto server =
      ProxyServer::Start(std::move(o), std::move(listeners),
                         MakeStaticResolver({{"allowed.test", {IpAddress::V4(127, 0, 0, 1)}}}));
  if (!server) Die(server.error().ToString());
  p.server = std::move(*server);
  return p;
}

int Main(int argc, char** argv) {
  uint64_t bytes = 1ull << 30;
  int rounds = 5;
  int conns = 1000;
  std::string only;  // for profiling: "direct", "connect", "socks" or "copy" transfers only
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--bytes") bytes = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--rounds") rounds = std::atoi(argv[i + 1]);
    if (flag == "--conns") conns = std::atoi(argv[i + 1]);
    if (flag == "--buffer") g_buffer = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--splice") g_splice = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--only") only = argv[i + 1];
  }
  auto source = LoopbackServer::Start(LoopbackServer::Mode::kBytes);
  if (!source) Die("start source server");
  RunningProxy splice = StartProxy(true);
  RunningProxy copy = StartProxy(false);
  if (only == "conns") {  // for profiling: new connections through CONNECT only
    ByteEchoServer echo;
    std::vector<double> rate;
    for (int r = 0; r < rounds; ++r) {
      rate.push_back(ConnectionRate(Path::kConnect, conns, echo.port(), splice.http_port));
    }
    std::printf("conns: %.0f conn/s (median of %d)\n", Median(rate), rounds);
    return 0;
  }
  if (!only.empty()) {
    const Path path = only == "direct"  ? Path::kDirect
                      : only == "socks" ? Path::kSocks
                                        : Path::kConnect;
    const RunningProxy& proxy = only == "copy" ? copy : splice;
    std::vector<double> rate, cpu;
    for (int r = 0; r < rounds; ++r) {
      double c = 0;
      rate.push_back(Download(path, bytes, source->port(), proxy.http_port, proxy.socks_port, &c));
      cpu.push_back(c);
    }
    std::printf("%s: %.1f MiB/s, CPU %.2f s/GiB (medians of %d)\n", only.c_str(), Median(rate),
                Median(cpu), rounds);
    return 0;
  }

  // Each proxied transfer is paired with a direct one right before it, and the ratio is taken
  // per pair: the machine's load drifts (other builds), and pairing keeps that out of the ratio.
  struct Variant {
    const char* name;
    Path path;
    const RunningProxy* proxy;
    std::vector<double> direct, proxied, ratio, cpu_direct, cpu_proxied;
  };
  Variant variants[] = {{"CONNECT (splice)", Path::kConnect, &splice, {}, {}, {}, {}, {}},
                        {"SOCKS5 (splice)", Path::kSocks, &splice, {}, {}, {}, {}, {}},
                        {"CONNECT (copy)", Path::kConnect, &copy, {}, {}, {}, {}, {}}};
  for (int r = 0; r < rounds; ++r) {
    for (Variant& v : variants) {
      double cd = 0, cp = 0;
      const double d = Download(Path::kDirect, bytes, source->port(), 0, 0, &cd);
      const double p =
          Download(v.path, bytes, source->port(), v.proxy->http_port, v.proxy->socks_port, &cp);
      v.cpu_direct.push_back(cd);
      v.cpu_proxied.push_back(cp);
      v.direct.push_back(d);
      v.proxied.push_back(p);
      v.ratio.push_back(p / d);
    }
  }
  std::printf(
      "transfer of %llu MiB, median of %d paired rounds, proxy copy buffers %zu KiB, "
      "splice pipes %zu KiB:\n",
      static_cast<unsigned long long>(bytes >> 20), rounds, g_buffer >> 10, g_splice >> 10);
  for (const Variant& v : variants) {
    std::printf("  %-17s %8.1f MiB/s   direct %8.1f MiB/s   ratio %.2fx   CPU s/GiB %.2f vs %.2f\n",
                v.name, Median(v.proxied), Median(v.direct), Median(v.ratio), Median(v.cpu_proxied),
                Median(v.cpu_direct));
  }

  ByteEchoServer echo;
  std::vector<double> rate_direct, rate_proxy, rate_ratio;
  for (int r = 0; r < rounds; ++r) {
    rate_direct.push_back(ConnectionRate(Path::kDirect, conns, echo.port(), 0));
    rate_proxy.push_back(ConnectionRate(Path::kConnect, conns, echo.port(), splice.http_port));
    rate_ratio.push_back(rate_proxy.back() / rate_direct.back());
  }
  std::printf("new connections (connect, 1 byte each way, close), %d per round:\n", conns);
  std::printf("  %-17s %8.0f conn/s  direct %8.0f conn/s  ratio %.2fx\n", "CONNECT",
              Median(rate_proxy), Median(rate_direct), Median(rate_ratio));

  std::vector<double> startup;
  for (int r = 0; r < 50; ++r) {
    const auto start = Clock::now();
    RunningProxy p = StartProxy(true);
    startup.push_back(Seconds(Clock::now() - start) * 1e6);
    p.server->Stop();
  }
  std::printf("proxy start (listeners given, thread running): median %.0f us\n", Median(startup));
  return 0;
}

}  // namespace
}  // namespace cordon

int main(int argc, char** argv) { return cordon::Main(argc, argv); }
