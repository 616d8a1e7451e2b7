// The tracing provider: processors, ids and the optional exporter.
#include "telemetry/telemetry.h"

#include <cstdio>

#include "telemetry/exporter_process.h"

#ifndef CORDON_TELEMETRY_VERSION
#define CORDON_TELEMETRY_VERSION "0.0.0"
#endif

namespace cordon {

void ReportToStderr(const std::string& message) {
  std::fprintf(stderr, "cordon: warning: %s\n", message.c_str());
}

void StaticAttributesProcessor::OnStart(SpanRecord& span) {
  for (const auto& a : attributes_) SetAttribute(span.attributes, a.key, a.value);
}

Attributes Telemetry::ResourceAttributes(const OtelSettings& settings) {
  Attributes resource;
  SetAttribute(resource, "service.name", std::string("cordon"));
  SetAttribute(resource, "service.version", std::string(CORDON_TELEMETRY_VERSION));
  if (!settings.environment.empty()) {
    SetAttribute(resource, "deployment.environment", settings.environment);
  }
  return resource;
}

OtlpHttpExporterOptions Telemetry::ExporterOptions(const OtelSettings& settings,
                                                   TelemetryReporter report) {
  OtlpHttpExporterOptions options;
  if (!settings.otlp_http) return options;
  options.endpoint = settings.otlp_http->endpoint;
  options.headers = settings.otlp_http->headers;
  options.timeout = settings.otlp_http->timeout;
  options.resource.attributes = ResourceAttributes(settings);
  options.resource.scope_name = "cordon";
  options.resource.scope_version = CORDON_TELEMETRY_VERSION;
  options.report = std::move(report);
  return options;
}

// Spans held for a thread that is not started yet (exec --tty): a run makes four.
constexpr size_t kMaxHeldSpans = 2048;

Telemetry::Telemetry(OtelSettings settings, TelemetryReporter report, ExportIn where)
    : settings_(std::move(settings)),
      report_(std::move(report)),
      static_attributes_(settings_.span_attributes),
      where_(where) {
  if (!settings_.otlp_http) return;
  switch (where_) {
    case ExportIn::kThread:
      sink_ = std::make_unique<OtlpHttpExporter>(ExporterOptions(settings_, report_));
      break;
    case ExportIn::kThreadLater:
      break;
    case ExportIn::kProcess:
      if (auto p = ExporterProcess::Start(ExporterOptions(settings_, report_)); p) {
        sink_ = std::move(*p);
      } else {
        Warn("cannot start the trace exporter process (" + p.error().ToString() +
             "); spans are dropped");
      }
      break;
  }
}

void Telemetry::StartExport() {
  std::lock_guard<std::mutex> lock(mu_);
  if (where_ != ExportIn::kThreadLater || sink_ != nullptr || shut_down_ || !settings_.otlp_http) {
    return;
  }
  sink_ = std::make_unique<OtlpHttpExporter>(ExporterOptions(settings_, report_));
  for (auto& span : held_) sink_->Enqueue(std::move(span));
  held_.clear();
}

Telemetry::~Telemetry() { Shutdown(); }

void Telemetry::Warn(const std::string& message) const {
  if (report_) report_(message);
}

TraceId Telemetry::NewTraceId() {
  std::lock_guard<std::mutex> lock(mu_);
  return ids_.NewTraceId();
}

SpanId Telemetry::NewSpanId() {
  std::lock_guard<std::mutex> lock(mu_);
  return ids_.NewSpanId();
}

void Telemetry::OnStart(SpanRecord& span) { static_attributes_.OnStart(span); }

void Telemetry::OnEnd(SpanRecord span) {
  if ((span.flags & kTraceFlagSampled) == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (sink_ != nullptr) {
    sink_->Enqueue(std::move(span));
  } else if (where_ == ExportIn::kThreadLater && !shut_down_ && held_.size() < kMaxHeldSpans) {
    held_.push_back(std::move(span));
  }
}

void Telemetry::Shutdown(std::optional<std::chrono::milliseconds> flush_timeout) {
  std::lock_guard<std::mutex> lock(mu_);
  shut_down_ = true;
  held_.clear();
  if (sink_ == nullptr) return;
  sink_->Shutdown(flush_timeout.value_or(settings_.flush_timeout()));
}

}  // namespace cordon
