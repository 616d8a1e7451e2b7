// W3C Trace Context `traceparent`: trace and span ids, and the header's parse and format rules
// (https://www.w3.org/TR/trace-context/#traceparent-header). cordon reads it from TRACEPARENT in
// its environment (or a serve request) and writes one for every sandboxed command.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace cordon {

struct TraceId {
  std::array<uint8_t, 16> bytes{};
  bool IsValid() const;  // not all zero
  std::string ToHex() const;
  bool operator==(const TraceId&) const = default;
};

struct SpanId {
  std::array<uint8_t, 8> bytes{};
  bool IsValid() const;  // not all zero
  std::string ToHex() const;
  bool operator==(const SpanId&) const = default;
};

inline constexpr uint8_t kTraceFlagSampled = 0x01;

// The parts of a traceparent that matter to a child: which trace, which parent span, the flags.
struct SpanContext {
  TraceId trace_id;
  SpanId span_id;
  uint8_t flags = 0;
  bool sampled() const { return (flags & kTraceFlagSampled) != 0; }
};

// Parses a traceparent header value. Accepted: version 00 with exactly 55 characters, or a
// future version (not ff) whose first 55 characters have the version-00 shape and that is
// followed by nothing or by '-'. Hex must be lowercase; all-zero trace or span ids are invalid.
// No surrounding whitespace. The error's detail says what is wrong.
Result<SpanContext> ParseTraceParent(std::string_view header);

// "00-<trace-id>-<span-id>-<flags>", always version 00.
std::string FormatTraceParent(const SpanContext& context);

// Lowercase hex of `len` bytes into `out` (2*len chars); exposed for the encoders.
void AppendHex(const uint8_t* data, size_t len, std::string& out);

}  // namespace cordon
