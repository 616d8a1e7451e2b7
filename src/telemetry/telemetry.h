// Telemetry: the per-process tracing provider built from OtelSettings. It owns the id generator,
// the span processors (the one that adds the configured span_attributes to every span, then
// export) and, when an exporter is configured, where spans go (ExportIn): the OTLP/HTTP exporter
// in a thread of this process, or in a child process.
// `cordon exec` makes one for its single run; `cordon serve` makes one and shares it by all runs.
// With trace_exporter = "none" nothing is started: no thread, no process, no socket.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "telemetry/otel_settings.h"
#include "telemetry/otlp_http_exporter.h"
#include "telemetry/span.h"
#include "telemetry/span_sink.h"

namespace cordon {

// Prints "cordon: warning: <message>" on stderr.
void ReportToStderr(const std::string& message);

// Modifies every span; runs when the span starts, so a span's own attributes win on a clash.
class SpanProcessor {
 public:
  virtual ~SpanProcessor() = default;
  virtual void OnStart(SpanRecord& span) = 0;
};

// Adds the configured [otel] span_attributes to every span.
class StaticAttributesProcessor : public SpanProcessor {
 public:
  explicit StaticAttributesProcessor(Attributes attributes) : attributes_(std::move(attributes)) {}
  void OnStart(SpanRecord& span) override;

 private:
  Attributes attributes_;
};

// Where the exporter runs (the choice is the caller's, because only the caller knows when this
// process clones sandboxes whose init allocates: linux/sandbox.h INVARIANT).
enum class ExportIn {
  kThread,       // a thread, started now (cordon exec: its one-shot init never allocates)
  kThreadLater,  // a thread started by StartExport(); spans wait until then (exec --tty: the
                 // runner is cloned after policy resolution, and must be cloned thread-free)
  kProcess,      // a forked child process (cordon serve, which clones sandboxes all its life);
                 // construct before any other thread or child exists
};

class Telemetry {
 public:
  // Settings were validated by ParseOtelSettings, so this cannot fail (a process that cannot be
  // forked is reported, and spans are then dropped). `report` receives warnings (invalid
  // incoming trace context, the first export failure); it must be thread-safe.
  explicit Telemetry(OtelSettings settings, TelemetryReporter report = ReportToStderr,
                     ExportIn where = ExportIn::kThread);
  ~Telemetry();  // Shutdown(flush_timeout) if not done
  Telemetry(const Telemetry&) = delete;
  Telemetry& operator=(const Telemetry&) = delete;

  const OtelSettings& settings() const { return settings_; }
  // Spans are recorded and handed on (an exporter is configured).
  bool exporting() const { return settings_.exporting(); }
  void Warn(const std::string& message) const;

  TraceId NewTraceId();
  SpanId NewSpanId();
  // Runs the span processors on a span that starts now.
  void OnStart(SpanRecord& span);
  // Hands a finished span to the exporter (dropped when not exporting or not sampled).
  void OnEnd(SpanRecord span);

  // ExportIn::kThreadLater: starts the exporter thread and hands it the spans held so far.
  // Idempotent; a no-op in the other modes. Shutdown without it drops the held spans.
  void StartExport();

  // Exports what is queued and stops the exporter; returns within `flush_timeout` (default:
  // the configured timeout). Later spans are dropped.
  void Shutdown(std::optional<std::chrono::milliseconds> flush_timeout = std::nullopt);

  // The resource every exported span carries (service.name, service.version,
  // deployment.environment).
  static Attributes ResourceAttributes(const OtelSettings& settings);
  // The exporter options the settings give (endpoint, headers, timeout, resource).
  static OtlpHttpExporterOptions ExporterOptions(const OtelSettings& settings,
                                                 TelemetryReporter report);

 private:
  OtelSettings settings_;
  TelemetryReporter report_;
  StaticAttributesProcessor static_attributes_;
  ExportIn where_;
  std::mutex mu_;  // guards ids_, sink_ and held_
  IdGenerator ids_;
  std::unique_ptr<SpanSink> sink_;  // null: nothing exported (yet)
  std::vector<SpanRecord> held_;    // kThreadLater, before StartExport
  bool shut_down_ = false;
};

}  // namespace cordon
