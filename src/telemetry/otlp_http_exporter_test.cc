// The exporter against real loopback sockets: a collector that answers, one that refuses the
// connection (a closed port), one that accepts and never answers, and one that answers 500.
// Shutdown must return within the flush timeout in every case and report a failure once.
#include "telemetry/otlp_http_exporter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
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

TEST(Telemetry, UnreachableCollectorNeverDelaysExitBeyondTheConfiguredTimeout) {
  LoopbackSocket blackhole = Bind(true);
  OtelSettings settings;
  settings.otlp_http = OtlpHttpSettings{
      "http://127.0.0.1:" + std::to_string(blackhole.port) + "/v1/traces", {}, milliseconds(300)};
  Reports reports;
  Telemetry telemetry(settings, reports.Reporter());
  SpanRecord s = MakeSpan("x");
  telemetry.OnEnd(s);
  const auto t0 = Clock::now();
  telemetry.Shutdown();
  EXPECT_LE(Clock::now() - t0, milliseconds(300) + milliseconds(150));
  EXPECT_EQ(reports.messages.size(), 1u);
}

}  // namespace
}  // namespace cordon
