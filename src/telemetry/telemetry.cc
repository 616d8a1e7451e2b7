// The tracing provider: processors, ids and the optional exporter.
#include "telemetry/telemetry.h"

#include <cstdio>

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

Telemetry::Telemetry(OtelSettings settings, TelemetryReporter report)
    : settings_(std::move(settings)),
      report_(std::move(report)),
      static_attributes_(settings_.span_attributes) {
  if (settings_.otlp_http) {
    OtlpHttpExporterOptions options;
    options.endpoint = settings_.otlp_http->endpoint;
    options.headers = settings_.otlp_http->headers;
    options.timeout = settings_.otlp_http->timeout;
    options.resource.attributes = ResourceAttributes(settings_);
    options.resource.scope_name = "cordon";
    options.resource.scope_version = CORDON_TELEMETRY_VERSION;
    options.report = report_;
    exporter_ = std::make_unique<OtlpHttpExporter>(std::move(options));
  }
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
  if (exporter_ == nullptr || (span.flags & kTraceFlagSampled) == 0) return;
  exporter_->Enqueue(std::move(span));
}

void Telemetry::Shutdown(std::optional<std::chrono::milliseconds> flush_timeout) {
  if (exporter_ == nullptr) return;
  exporter_->Shutdown(flush_timeout.value_or(settings_.flush_timeout()));
}

}  // namespace cordon
