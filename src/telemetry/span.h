// Span records as cordon's tracer produces them: plain values handed to the span processors and
// then to the exporter. Ids come from getrandom(2); times are unix nanoseconds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "telemetry/trace_context.h"

namespace cordon {

using AttributeValue = std::variant<std::string, int64_t, bool, double>;

struct Attribute {
  std::string key;
  AttributeValue value;
};
using Attributes = std::vector<Attribute>;

// Sets `key` (replacing an earlier value of the same key, as OTel does).
void SetAttribute(Attributes& attributes, std::string_view key, AttributeValue value);
const AttributeValue* FindAttribute(const Attributes& attributes, std::string_view key);

enum class SpanStatusCode { kUnset = 0, kOk = 1, kError = 2 };  // OTLP's numbering

struct SpanRecord {
  TraceId trace_id;
  SpanId span_id;
  SpanId parent_span_id;  // all zero for a root span
  uint8_t flags = 0;
  std::string trace_state;  // the W3C tracestate the span carries
  std::string name;
  uint64_t start_unix_nanos = 0;
  uint64_t end_unix_nanos = 0;
  Attributes attributes;
  SpanStatusCode status = SpanStatusCode::kUnset;
  std::string status_message;
};

uint64_t UnixNanosNow();

// Random ids from getrandom(2), drawn from a small pool so a run costs one system call.
// Never returns an all-zero id. Not thread-safe; one per thread or behind a lock.
class IdGenerator {
 public:
  TraceId NewTraceId();
  SpanId NewSpanId();

 private:
  void Fill(uint8_t* out, size_t len);
  uint8_t pool_[128] = {};
  size_t used_ = sizeof(pool_);
};

}  // namespace cordon
