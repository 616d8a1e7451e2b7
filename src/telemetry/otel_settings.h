// OtelSettings: the `[otel]` table of cordon's config, validated, as the one settings object that
// every entry point (exec, serve) hands to telemetry. All validation happens in
// ParseOtelSettings, before any exporter is started or any command runs.
//
//   [otel]
//   environment = "prod"
//   trace_exporter = { otlp-http = { endpoint = "http://127.0.0.1:4318/v1/traces",
//                                    headers = { "x-api-key" = "..." }, timeout_ms = 2000 } }
//   span_attributes = { team = "infra" }
//   tracestate = { dd = { s = "1" } }
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "base/result.h"
#include "telemetry/span.h"
#include "telemetry/trace_state.h"

namespace cordon {

inline constexpr std::chrono::milliseconds kDefaultOtlpTimeout{10000};  // OTLP's default

struct OtlpHttpSettings {
  std::string endpoint;  // used as given (the trace-specific endpoint rule of the OTLP spec)
  std::vector<std::pair<std::string, std::string>> headers;
  // Bounds each export request and the final flush when cordon exits.
  std::chrono::milliseconds timeout = kDefaultOtlpTimeout;
};

struct OtelSettings {
  std::string environment;                    // deployment.environment; empty: not set
  std::optional<OtlpHttpSettings> otlp_http;  // nullopt: trace_exporter = "none"
  Attributes span_attributes;                 // added to every span
  TraceStateConfig tracestate;                // upserted into the tracestate commands receive

  bool exporting() const { return otlp_http.has_value(); }
  // The longest cordon waits for export at exit (0 when nothing is exported).
  std::chrono::milliseconds flush_timeout() const {
    return otlp_http ? otlp_http->timeout : std::chrono::milliseconds(0);
  }
};

// Parses and validates the `[otel]` table. `source` is the config file's name, used in messages
// with the line from toml++'s source regions: "invalid config <file>:<line>: otel.<key>: ...".
// Unknown keys are errors.
Result<OtelSettings> ParseOtelSettings(const toml::table& otel_table, std::string_view source);

// The same for a whole config document: no `[otel]` table gives the defaults.
Result<OtelSettings> OtelSettingsFromDocument(const toml::table* document, std::string_view source);

}  // namespace cordon
