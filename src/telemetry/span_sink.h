// Where finished spans go: the OTLP/HTTP exporter in a thread of this process
// (otlp_http_exporter.h), or the same exporter in a child process (exporter_process.h) for a
// process that must never have a second thread (`cordon serve`).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "telemetry/span.h"

namespace cordon {

// Receives warnings (invalid incoming trace context, the first export failure); thread-safe.
using TelemetryReporter = std::function<void(const std::string& message)>;

class SpanSink {
 public:
  virtual ~SpanSink() = default;
  // Takes a finished span without blocking; false when it had to be dropped (queue full, shut
  // down, exporter gone).
  virtual bool Enqueue(SpanRecord span) = 0;
  // Exports what is queued and stops; returns within `flush_timeout`. Later spans are dropped.
  virtual void Shutdown(std::chrono::milliseconds flush_timeout) = 0;
};

}  // namespace cordon
