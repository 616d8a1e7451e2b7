// A batching OTLP/HTTP (JSON) span exporter: spans go into a bounded queue and a background
// thread posts them in batches with libcurl (loaded
// only when an exporter is created). Export never blocks the caller and never fails the
// run: a full queue drops spans (counted), and the first failed export is reported once through
// `report` (later failures are counted silently).
//
// Shutdown(flush_timeout) exports what is queued and returns within flush_timeout even if the
// collector is unreachable or accepts the connection and never answers: the request in flight
// is abandoned at the deadline (curl's multi interface, woken by curl_multi_wakeup).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "telemetry/otlp_json.h"
#include "telemetry/span.h"
#include "telemetry/span_sink.h"

namespace cordon {

struct CurlLibrary;

struct OtlpHttpExporterOptions {
  std::string endpoint;  // full URL, used as is
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{10000};  // per request
  size_t max_queue = 2048;
  size_t max_batch = 512;
  std::chrono::milliseconds schedule_delay{1000};  // a partial batch waits at most this long
  OtlpResource resource;
  TelemetryReporter report;  // the once-only failure report; must be thread-safe
};

class OtlpHttpExporter : public SpanSink {
 public:
  explicit OtlpHttpExporter(OtlpHttpExporterOptions options);
  ~OtlpHttpExporter() override;  // Shutdown(0) if not done
  OtlpHttpExporter(const OtlpHttpExporter&) = delete;
  OtlpHttpExporter& operator=(const OtlpHttpExporter&) = delete;

  // Queues a finished span; false (and the span dropped) when the queue is full or shut down.
  bool Enqueue(SpanRecord span) override;

  // Exports what is queued, then stops the thread; returns within `flush_timeout`.
  void Shutdown(std::chrono::milliseconds flush_timeout) override;

  uint64_t exported_spans() const { return exported_.load(); }
  uint64_t dropped_spans() const { return dropped_.load(); }
  uint64_t failed_requests() const { return failed_.load(); }

 private:
  using Clock = std::chrono::steady_clock;
  void Run();
  void Send(std::vector<SpanRecord> batch);
  void ReportFailure(const std::string& what);
  bool PastDeadline() const;

  OtlpHttpExporterOptions options_;
  const CurlLibrary* curl_ = nullptr;  // loaded on first use (telemetry/curl_library.h)
  std::string curl_error_;
  void* multi_ = nullptr;  // CURLM*, created once so Shutdown can wake a poll in progress

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<SpanRecord> queue_;
  bool stopping_ = false;
  std::atomic<int64_t> deadline_ns_{INT64_MAX};  // steady-clock deadline once stopping
  std::atomic<bool> reported_{false};
  std::atomic<uint64_t> exported_{0}, dropped_{0}, failed_{0};
  std::thread thread_;
};

}  // namespace cordon
