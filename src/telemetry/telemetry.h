// Telemetry: the per-process tracing provider built from OtelSettings. It owns the id generator,
// the span processors (the one that adds the configured span_attributes to every span, then
// export) and, when an exporter is configured, the OTLP/HTTP exporter and its thread.
// `cordon exec` makes one for its single run; `cordon serve` makes one and shares it by all runs.
// With trace_exporter = "none" nothing is started: no thread, no socket.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "telemetry/otel_settings.h"
#include "telemetry/otlp_http_exporter.h"
#include "telemetry/span.h"

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

class Telemetry {
 public:
  // Settings were validated by ParseOtelSettings, so this cannot fail. `report` receives
  // warnings (invalid incoming trace context, the first export failure); it must be thread-safe.
  explicit Telemetry(OtelSettings settings, TelemetryReporter report = ReportToStderr);
  ~Telemetry();  // Shutdown(flush_timeout) if not done
  Telemetry(const Telemetry&) = delete;
  Telemetry& operator=(const Telemetry&) = delete;

  const OtelSettings& settings() const { return settings_; }
  bool exporting() const { return exporter_ != nullptr; }
  void Warn(const std::string& message) const;

  TraceId NewTraceId();
  SpanId NewSpanId();
  // Runs the span processors on a span that starts now.
  void OnStart(SpanRecord& span);
  // Hands a finished span to the exporter (dropped when not exporting or not sampled).
  void OnEnd(SpanRecord span);

  // Exports what is queued and stops the exporter; returns within `flush_timeout` (default:
  // the configured timeout). Later spans are dropped.
  void Shutdown(std::optional<std::chrono::milliseconds> flush_timeout = std::nullopt);

  // The resource every exported span carries (service.name, service.version,
  // deployment.environment).
  static Attributes ResourceAttributes(const OtelSettings& settings);

 private:
  OtelSettings settings_;
  TelemetryReporter report_;
  StaticAttributesProcessor static_attributes_;
  std::mutex mu_;  // guards ids_ (serve runs traces from several threads)
  IdGenerator ids_;
  std::unique_ptr<OtlpHttpExporter> exporter_;
};

}  // namespace cordon
