// The exporter against real loopback sockets: a collector that answers, one that refuses the
// connection (a closed port), one that accepts and never answers, and one that answers 500.
// Shutdown must return within the flush timeout in every case and report a failure once.
// Then the same exporter in a child process (ExporterProcess, as `cordon serve` runs it): spans
// reach the collector through it, it keeps none of the parent's descriptors, dies with its parent,
// never blocks the parent, and is SIGKILLed at the flush timeout.
#include "telemetry/otlp_http_exporter.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/sys.h"
#include "base/unique_fd.h"
#include "telemetry/exporter_process.h"
#include "telemetry/telemetry.h"

namespace cordon {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A loopback TCP socket on an ephemeral port; listening or not.
struct LoopbackSocket {
  UniqueFd fd;
  int port = 0;
};

LoopbackSocket Bind(bool listen_too) {
  LoopbackSocket s;
  s.fd = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(s.fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(s.fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  s.port = ntohs(addr.sin_port);
  if (listen_too) {
    EXPECT_EQ(listen(s.fd.get(), 16), 0);
  }
  return s;
}

// Serves HTTP requests with a fixed status until stopped; records each request as raw text.
class TinyCollector {
 public:
  explicit TinyCollector(int status) : socket_(Bind(true)), status_(status) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~TinyCollector() {
    shutdown(socket_.fd.get(), SHUT_RDWR);
    thread_.join();
  }
  int port() const { return socket_.port; }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    while (true) {
      UniqueFd conn(accept4(socket_.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn.valid()) return;
      std::string req;
      char buf[4096];
      size_t want = std::string::npos;
      while (want == std::string::npos || req.size() < want) {
        const ssize_t n = read(conn.get(), buf, sizeof(buf));
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
        const size_t end = req.find("\r\n\r\n");
        if (want == std::string::npos && end != std::string::npos) {
          const size_t cl = req.find("Content-Length: ");
          want = end + 4 + (cl == std::string::npos ? 0 : std::stoul(req.substr(cl + 16)));
        }
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(req);
      }
      const std::string resp = "HTTP/1.1 " + std::to_string(status_) +
                               " X\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
      (void)!write(conn.get(), resp.data(), resp.size());
    }
  }

  LoopbackSocket socket_;
  int status_;
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

SpanRecord MakeSpan(const std::string& name) {
  SpanRecord s;
  s.trace_id.bytes[0] = 1;
  s.span_id.bytes[0] = 2;
  s.flags = kTraceFlagSampled;
  s.name = name;
  return s;
}

struct Reports {
  std::mutex mu;
  std::vector<std::string> messages;
  TelemetryReporter Reporter() {
    return [this](const std::string& m) {
      std::lock_guard<std::mutex> lock(mu);
      messages.push_back(m);
    };
  }
};

OtlpHttpExporterOptions Options(int port, Reports& reports) {
  OtlpHttpExporterOptions o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(port) + "/v1/traces";
  o.headers = {{"x-api-key", "secret"}};
  o.timeout = milliseconds(10000);
  o.resource.attributes = {{"service.name", std::string("cordon")}};
  o.report = reports.Reporter();
  return o;
}

TEST(OtlpHttpExporter, PostsJsonWithHeadersToTheEndpoint) {
  TinyCollector collector(200);
  Reports reports;
  OtlpHttpExporter exporter(Options(collector.port(), reports));
  ASSERT_TRUE(exporter.Enqueue(MakeSpan("one")));
  ASSERT_TRUE(exporter.Enqueue(MakeSpan("two")));
  exporter.Shutdown(milliseconds(5000));
  const auto reqs = collector.requests();
  ASSERT_EQ(reqs.size(), 1u);  // one batch
  EXPECT_EQ(reqs[0].rfind("POST /v1/traces HTTP/1.1\r\n", 0), 0u) << reqs[0];
  EXPECT_NE(reqs[0].find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(reqs[0].find("x-api-key: secret\r\n"), std::string::npos);
  EXPECT_NE(reqs[0].find("\"name\":\"one\""), std::string::npos);
  EXPECT_NE(reqs[0].find("\"name\":\"two\""), std::string::npos);
  EXPECT_EQ(exporter.exported_spans(), 2u);
  EXPECT_TRUE(reports.messages.empty());
}

TEST(OtlpHttpExporter, ItsThreadBlocksEverySignal) {
  TinyCollector collector(200);
  Reports reports;
  const std::string self = "/proc/" + std::to_string(getpid()) + "/task";
  auto tasks = [&] {
    std::set<std::string> out;
    DIR* d = opendir(self.c_str());
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') out.insert(e->d_name);
    }
    closedir(d);
    return out;
  };
  const auto before = tasks();
  OtlpHttpExporter exporter(Options(collector.port(), reports));
  size_t checked = 0;
  for (const auto& tid : tasks()) {
    if (before.count(tid)) continue;
    auto status = ReadFileToString(self + "/" + tid + "/status");
    ASSERT_TRUE(status);
    const size_t at = status->find("SigBlk:\t");
    ASSERT_NE(at, std::string::npos);
    // SIGTERM (15), SIGINT (2), SIGHUP (1), SIGQUIT (3), SIGWINCH (28): all blocked.
    const uint64_t blocked = std::stoull(status->substr(at + 8, 16), nullptr, 16);
    for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGWINCH, SIGUSR1}) {
      EXPECT_TRUE(blocked & (1ULL << (sig - 1))) << "signal " << sig << " in thread " << tid;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 1u);
  exporter.Shutdown(milliseconds(0));
}

TEST(OtlpHttpExporter, ClosedPortCostsAtMostTheFlushTimeoutAndIsReportedOnce) {
  int port;
  {
    LoopbackSocket s = Bind(false);  // bound, not listening: connections are refused
    port = s.port;
  }
  Reports reports;
  auto options = Options(port, reports);
  options.max_batch = 1;  // several requests, several failures, one report
  OtlpHttpExporter exporter(options);
  for (int i = 0; i < 5; ++i) exporter.Enqueue(MakeSpan("s"));
  const auto t0 = Clock::now();
  exporter.Shutdown(milliseconds(1000));
  EXPECT_LE(Clock::now() - t0, milliseconds(1000) + milliseconds(150));
  EXPECT_EQ(exporter.exported_spans(), 0u);
  EXPECT_GE(exporter.failed_requests(), 1u);
  ASSERT_EQ(reports.messages.size(), 1u);
  EXPECT_NE(reports.messages[0].find("failed"), std::string::npos) << reports.messages[0];
}

TEST(OtlpHttpExporter, StalledCollectorCostsAtMostTheFlushTimeout) {
  LoopbackSocket blackhole = Bind(true);  // the kernel completes the handshake; nobody answers
  Reports reports;
  OtlpHttpExporter exporter(Options(blackhole.port, reports));
  exporter.Enqueue(MakeSpan("s"));
  const auto t0 = Clock::now();
  exporter.Shutdown(milliseconds(400));
  const auto took = Clock::now() - t0;
  EXPECT_LE(took, milliseconds(400) + milliseconds(150));
  EXPECT_GE(took, milliseconds(350));  // it did wait for an answer, up to the deadline
  ASSERT_EQ(reports.messages.size(), 1u);
  EXPECT_NE(reports.messages[0].find("no answer before the flush timeout"), std::string::npos)
      << reports.messages[0];
}

TEST(OtlpHttpExporter, RequestTimeoutAppliesBeforeShutdown) {
  LoopbackSocket blackhole = Bind(true);
  Reports reports;
  auto options = Options(blackhole.port, reports);
  options.timeout = milliseconds(200);
  options.max_batch = 1;  // sent at once, not at shutdown
  OtlpHttpExporter exporter(options);
  exporter.Enqueue(MakeSpan("s"));
  std::this_thread::sleep_for(milliseconds(600));
  EXPECT_EQ(exporter.failed_requests(), 1u);
  ASSERT_EQ(reports.messages.size(), 1u);
  EXPECT_NE(reports.messages[0].find("Timeout"), std::string::npos) << reports.messages[0];
  exporter.Shutdown(milliseconds(0));
}

TEST(OtlpHttpExporter, HttpErrorIsReportedOnce) {
  TinyCollector collector(500);
  Reports reports;
  auto options = Options(collector.port(), reports);
  options.max_batch = 1;
  OtlpHttpExporter exporter(options);
  exporter.Enqueue(MakeSpan("a"));
  exporter.Enqueue(MakeSpan("b"));
  exporter.Shutdown(milliseconds(5000));
  EXPECT_EQ(collector.requests().size(), 2u);
  EXPECT_EQ(exporter.failed_requests(), 2u);
  ASSERT_EQ(reports.messages.size(), 1u);
  EXPECT_NE(reports.messages[0].find("collector answered HTTP 500"), std::string::npos);
}

TEST(OtlpHttpExporter, QueueIsBounded) {
  LoopbackSocket blackhole = Bind(true);
  Reports reports;
  auto options = Options(blackhole.port, reports);
  options.max_queue = 3;
  options.schedule_delay = milliseconds(60000);  // nothing leaves the queue before Shutdown
  OtlpHttpExporter exporter(options);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(exporter.Enqueue(MakeSpan("s")));
  EXPECT_FALSE(exporter.Enqueue(MakeSpan("s")));
  EXPECT_EQ(exporter.dropped_spans(), 1u);
  exporter.Shutdown(milliseconds(0));
  EXPECT_FALSE(exporter.Enqueue(MakeSpan("late")));
}

// Telemetry settings that export to 127.0.0.1:`port`.
OtelSettings ExportingTo(int port, milliseconds timeout) {
  OtelSettings settings;
  settings.otlp_http =
      OtlpHttpSettings{"http://127.0.0.1:" + std::to_string(port) + "/v1/traces", {}, timeout};
  return settings;
}

TEST(Telemetry, UnreachableCollectorNeverDelaysExitBeyondTheConfiguredTimeout) {
  LoopbackSocket blackhole = Bind(true);
  const OtelSettings settings = ExportingTo(blackhole.port, milliseconds(300));
  Reports reports;
  Telemetry telemetry(settings, reports.Reporter());
  SpanRecord s = MakeSpan("x");
  telemetry.OnEnd(s);
  const auto t0 = Clock::now();
  telemetry.Shutdown();
  EXPECT_LE(Clock::now() - t0, milliseconds(300) + milliseconds(150));
  EXPECT_EQ(reports.messages.size(), 1u);
}

// ---- ExporterProcess ---------------------------------------------------------------------

// The targets of a process's descriptors ("/dev/null", "socket:[123]", ...), by number.
std::map<int, std::string> DescriptorsOf(pid_t pid) {
  std::map<int, std::string> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char target[256];
    const ssize_t n = readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n > 0) out[std::atoi(e->d_name)] = std::string(target, static_cast<size_t>(n));
  }
  closedir(d);
  return out;
}

bool Alive(pid_t pid) {
  // A zombie (exited, not yet reaped by its new parent) counts as gone.
  std::string stat;
  if (auto s = ReadFileToString("/proc/" + std::to_string(pid) + "/stat"); s) stat = *s;
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

TEST(ExporterProcess, SpansReachTheCollectorThroughTheChild) {
  TinyCollector collector(200);
  Reports reports;
  auto p = ExporterProcess::Start(Options(collector.port(), reports));
  ASSERT_TRUE(p) << p.error().ToString();
  SpanRecord a = MakeSpan("cordon.session");
  SetAttribute(a.attributes, "cordon.session.id", int64_t{7});
  ASSERT_TRUE((*p)->Enqueue(a));
  ASSERT_TRUE((*p)->Enqueue(MakeSpan("cordon.command")));
  const pid_t pid = (*p)->pid();
  EXPECT_TRUE(Alive(pid));
  (*p)->Shutdown(milliseconds(5000));
  EXPECT_FALSE(Alive(pid));
  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(requests[0].find("\"name\":\"cordon.session\""), std::string::npos);
  EXPECT_NE(requests[0].find("\"name\":\"cordon.command\""), std::string::npos);
  EXPECT_NE(requests[0].find("\"intValue\":\"7\""), std::string::npos);
  EXPECT_NE(requests[0].find("x-api-key: secret"), std::string::npos);
  EXPECT_TRUE(reports.messages.empty());
}

TEST(ExporterProcess, ChildKeepsNoneOfTheParentsDescriptors) {
  TinyCollector collector(200);
  Reports reports;
  auto marker = SysPipe(0);  // not close-on-exec: a plain fork would keep it
  ASSERT_TRUE(marker);
  auto p = ExporterProcess::Start(Options(collector.port(), reports));
  ASSERT_TRUE(p);
  // Until it names itself, the child may still hold the fork's copies.
  const std::string comm = "/proc/" + std::to_string((*p)->pid()) + "/comm";
  auto name = [&] {
    auto r = ReadFileToString(comm);
    return r ? *r : std::string();
  };
  for (int i = 0; i < 500 && name() != "cordon-otlp\n"; ++i) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  ASSERT_EQ(name(), "cordon-otlp\n");
  const auto mine = DescriptorsOf(getpid());
  const std::string marker_target = mine.at(marker->read.get());
  // The exporter thread may have a descriptor or two of its own by now (curl's wakeup pair).
  const auto theirs = DescriptorsOf((*p)->pid());
  EXPECT_EQ(theirs.at(0), "/dev/null");
  EXPECT_EQ(theirs.at(1), "/dev/null");
  for (const auto& [fd, target] : theirs) {
    EXPECT_NE(target, marker_target) << "descriptor " << fd;
    // Shared objects: the child's own dynamic loader, caught while it loads libcurl.
    const bool library = target.find(".so") != std::string::npos;
    if (fd > 2 && target.rfind("socket:", 0) != 0 && target.rfind("pipe:", 0) != 0 &&
        target.rfind("anon_inode:", 0) != 0 && !library) {
      ADD_FAILURE() << "unexpected descriptor " << fd << " -> " << target;
    }
  }
  // Each socket end has its own inode, so a socket both list is one descriptor the child kept
  // (e.g. the collector's listening socket). Pipes are checked with the marker above: the two
  // ends of the exit pipe rightly show the same inode.
  std::set<std::string> child_targets;
  for (const auto& [fd, target] : theirs) child_targets.insert(target);
  for (const auto& [fd, target] : mine) {
    if (fd > 2 && target.rfind("socket:", 0) == 0) {
      EXPECT_EQ(child_targets.count(target), 0u) << "the child kept the parent's " << target;
    }
  }
  (*p)->Shutdown(milliseconds(2000));
}

TEST(ExporterProcess, DiesWithItsParent) {
  int pids[2];
  ASSERT_EQ(pipe2(pids, O_CLOEXEC), 0);
  const pid_t parent = fork();
  if (parent == 0) {
    OtlpHttpExporterOptions o;
    o.endpoint = "http://127.0.0.1:9/v1/traces";
    auto p = ExporterProcess::Start(o);
    if (!p) _exit(1);
    const pid_t child = (*p)->pid();
    if (write(pids[1], &child, sizeof child) != sizeof child) _exit(1);
    pause();
    _exit(0);
  }
  close(pids[1]);
  pid_t child = 0;
  ASSERT_EQ(read(pids[0], &child, sizeof child), static_cast<ssize_t>(sizeof child));
  close(pids[0]);
  EXPECT_TRUE(Alive(child));
  kill(parent, SIGKILL);
  waitpid(parent, nullptr, 0);
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = !Alive(child);
    if (!gone) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(gone) << "the exporter outlived its parent";
}

TEST(ExporterProcess, NeverBlocksTheParentAndDropsWhenTheChildStalls) {
  TinyCollector collector(200);
  Reports reports;
  auto p = ExporterProcess::Start(Options(collector.port(), reports), /*max_pending_bytes=*/4096);
  ASSERT_TRUE(p);
  kill((*p)->pid(), SIGSTOP);  // it reads nothing more
  SpanRecord big = MakeSpan("s");
  SetAttribute(big.attributes, "pad", std::string(2000, 'x'));
  const auto t0 = Clock::now();
  size_t accepted = 0;
  for (int i = 0; i < 2000; ++i) accepted += (*p)->Enqueue(big);
  EXPECT_LE(Clock::now() - t0, milliseconds(2000)) << "Enqueue waited for the child";
  EXPECT_LT(accepted, 2000u);
  EXPECT_EQ((*p)->dropped_spans(), 2000u - accepted);
  ASSERT_EQ(reports.messages.size(), 1u) << "reported once";
  EXPECT_NE(reports.messages[0].find("not keeping up"), std::string::npos) << reports.messages[0];
  // Still stopped: Shutdown must end it at the flush timeout.
  const auto t1 = Clock::now();
  (*p)->Shutdown(milliseconds(300));
  const auto took = Clock::now() - t1;
  EXPECT_LE(took, milliseconds(300) + milliseconds(100));
  EXPECT_GE(took, milliseconds(250));
}

TEST(ExporterProcess, StalledCollectorCostsAtMostTheFlushTimeout) {
  LoopbackSocket blackhole = Bind(true);
  Reports reports;
  auto options = Options(blackhole.port, reports);
  options.timeout = milliseconds(400);
  auto p = ExporterProcess::Start(options);
  ASSERT_TRUE(p);
  (*p)->Enqueue(MakeSpan("s"));
  const auto t0 = Clock::now();
  (*p)->Shutdown(milliseconds(400));
  EXPECT_LE(Clock::now() - t0, milliseconds(400) + milliseconds(100));
}

TEST(ExporterProcess, ChildFlushBudgetEndsBeforeTheParentsDeadline) {
  EXPECT_EQ(ExporterProcess::ChildFlushBudget(milliseconds(10000)), milliseconds(9950));
  EXPECT_EQ(ExporterProcess::ChildFlushBudget(milliseconds(100)), milliseconds(80));
  EXPECT_EQ(ExporterProcess::ChildFlushBudget(milliseconds(1)), milliseconds(1));
}

TEST(Telemetry, ExportInProcessHasNoThreadInTheCaller) {
  TinyCollector collector(200);
  const OtelSettings settings = ExportingTo(collector.port(), milliseconds(2000));
  auto count_tasks = [] {
    size_t n = 0;
    DIR* d = opendir("/proc/self/task");
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
    return n;
  };
  const size_t before = count_tasks();
  Reports reports;
  Telemetry telemetry(settings, reports.Reporter(), ExportIn::kProcess);
  telemetry.OnEnd(MakeSpan("x"));
  EXPECT_EQ(count_tasks(), before) << "ExportIn::kProcess started a thread in this process";
  telemetry.Shutdown();
  EXPECT_EQ(collector.requests().size(), 1u);
}

TEST(Telemetry, ExportLaterHoldsSpansUntilStartExport) {
  TinyCollector collector(200);
  const OtelSettings settings = ExportingTo(collector.port(), milliseconds(2000));
  Reports reports;
  Telemetry telemetry(settings, reports.Reporter(), ExportIn::kThreadLater);
  EXPECT_TRUE(telemetry.exporting());
  telemetry.OnEnd(MakeSpan("before"));
  telemetry.StartExport();
  telemetry.StartExport();  // idempotent
  telemetry.OnEnd(MakeSpan("after"));
  telemetry.Shutdown();
  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(requests[0].find("\"name\":\"before\""), std::string::npos);
  EXPECT_NE(requests[0].find("\"name\":\"after\""), std::string::npos);
}

}  // namespace
}  // namespace cordon
