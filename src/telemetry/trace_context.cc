// traceparent parsing and formatting; see trace_context.h for the accepted shapes.
#include "telemetry/trace_context.h"

#include <algorithm>

namespace cordon {
namespace {

constexpr size_t kVersion00Length = 55;  // 2 + 1 + 32 + 1 + 16 + 1 + 2

int LowerHexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // uppercase is invalid in traceparent
}

// Decodes exactly 2*len lowercase hex characters.
bool DecodeHex(std::string_view hex, uint8_t* out, size_t len) {
  if (hex.size() != 2 * len) return false;
  for (size_t i = 0; i < len; ++i) {
    const int hi = LowerHexValue(hex[2 * i]);
    const int lo = LowerHexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

Error Invalid(std::string detail) { return PlainError("parse traceparent", std::move(detail)); }

}  // namespace

bool TraceId::IsValid() const {
  return std::any_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b != 0; });
}
bool SpanId::IsValid() const {
  return std::any_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b != 0; });
}

void AppendHex(const uint8_t* data, size_t len, std::string& out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < len; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xf]);
  }
}

std::string TraceId::ToHex() const {
  std::string s;
  s.reserve(32);
  AppendHex(bytes.data(), bytes.size(), s);
  return s;
}
std::string SpanId::ToHex() const {
  std::string s;
  s.reserve(16);
  AppendHex(bytes.data(), bytes.size(), s);
  return s;
}

Result<SpanContext> ParseTraceParent(std::string_view header) {
  if (header.size() < kVersion00Length) return Invalid("too short");
  uint8_t version = 0;
  if (!DecodeHex(header.substr(0, 2), &version, 1)) return Invalid("version is not lowercase hex");
  if (version == 0xff) return Invalid("version ff is forbidden");
  if (version == 0x00 && header.size() != kVersion00Length) {
    return Invalid("version 00 must be exactly 55 characters");
  }
  // A future version may append fields, separated by '-', after the version-00 prefix.
  if (header.size() > kVersion00Length && header[kVersion00Length] != '-') {
    return Invalid("unexpected data after the flags");
  }
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') {
    return Invalid("fields must be separated by '-'");
  }
  SpanContext ctx;
  if (!DecodeHex(header.substr(3, 32), ctx.trace_id.bytes.data(), 16)) {
    return Invalid("trace-id is not 32 lowercase hex digits");
  }
  if (!DecodeHex(header.substr(36, 16), ctx.span_id.bytes.data(), 8)) {
    return Invalid("parent-id is not 16 lowercase hex digits");
  }
  if (!DecodeHex(header.substr(53, 2), &ctx.flags, 1)) {
    return Invalid("trace-flags are not 2 lowercase hex digits");
  }
  if (!ctx.trace_id.IsValid()) return Invalid("trace-id is all zeros");
  if (!ctx.span_id.IsValid()) return Invalid("parent-id is all zeros");
  // Only the sampled bit is defined for version 00; others are not propagated.
  ctx.flags &= kTraceFlagSampled;
  return ctx;
}

std::string FormatTraceParent(const SpanContext& context) {
  std::string s = "00-";
  s.reserve(kVersion00Length);
  AppendHex(context.trace_id.bytes.data(), 16, s);
  s.push_back('-');
  AppendHex(context.span_id.bytes.data(), 8, s);
  s.push_back('-');
  AppendHex(&context.flags, 1, s);
  return s;
}

}  // namespace cordon
