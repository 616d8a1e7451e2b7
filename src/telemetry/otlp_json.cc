// OTLP JSON encoding with nlohmann::json; invalid UTF-8 in strings (paths can carry it) is
// replaced rather than thrown on.
#include "telemetry/otlp_json.h"

#include <nlohmann/json.hpp>

namespace cordon {
namespace {

using nlohmann::json;

json EncodeValue(const AttributeValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return {{"stringValue", *s}};
  if (const auto* i = std::get_if<int64_t>(&v)) return {{"intValue", std::to_string(*i)}};
  if (const auto* b = std::get_if<bool>(&v)) return {{"boolValue", *b}};
  return {{"doubleValue", std::get<double>(v)}};
}

json EncodeAttributes(const Attributes& attributes) {
  json out = json::array();
  for (const auto& a : attributes) out.push_back({{"key", a.key}, {"value", EncodeValue(a.value)}});
  return out;
}

constexpr int kSpanKindInternal = 1;

json EncodeSpan(const SpanRecord& s) {
  json span = {
      {"traceId", s.trace_id.ToHex()},
      {"spanId", s.span_id.ToHex()},
      {"name", s.name},
      {"kind", kSpanKindInternal},
      {"startTimeUnixNano", std::to_string(s.start_unix_nanos)},
      {"endTimeUnixNano", std::to_string(s.end_unix_nanos)},
      {"attributes", EncodeAttributes(s.attributes)},
  };
  // Span.flags (OTLP 1.1) is left out: it is optional, and the OTLP message types the tests
  // validate against predate it.
  if (s.parent_span_id.IsValid()) span["parentSpanId"] = s.parent_span_id.ToHex();
  if (!s.trace_state.empty()) span["traceState"] = s.trace_state;
  json status = json::object();
  if (s.status != SpanStatusCode::kUnset) status["code"] = static_cast<int>(s.status);
  if (!s.status_message.empty()) status["message"] = s.status_message;
  span["status"] = status;
  return span;
}

}  // namespace

std::string EncodeOtlpTraceJson(const OtlpResource& resource,
                                const std::vector<SpanRecord>& spans) {
  json encoded_spans = json::array();
  for (const auto& s : spans) encoded_spans.push_back(EncodeSpan(s));
  json request = {
      {"resourceSpans",
       json::array({{
           {"resource", {{"attributes", EncodeAttributes(resource.attributes)}}},
           {"scopeSpans",
            json::array({{
                {"scope", {{"name", resource.scope_name}, {"version", resource.scope_version}}},
                {"spans", std::move(encoded_spans)},
            }})},
       }})},
  };
  return request.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace cordon
