// Span records as JSON lines: see span_wire.h.
#include "telemetry/span_wire.h"

#include <nlohmann/json.hpp>
#include <optional>

namespace cordon {
namespace {

using nlohmann::json;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

template <size_t N>
bool ParseHexBytes(const std::string& hex, std::array<uint8_t, N>& out) {
  if (hex.size() != 2 * N) return false;
  for (size_t i = 0; i < N; ++i) {
    const int hi = HexDigit(hex[2 * i]), lo = HexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

// Attribute values keep their type: {"s": ...}, {"i": ...}, {"b": ...} or {"d": ...}.
json EncodeValue(const AttributeValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return {{"s", *s}};
  if (const auto* i = std::get_if<int64_t>(&v)) return {{"i", *i}};
  if (const auto* b = std::get_if<bool>(&v)) return {{"b", *b}};
  return {{"d", std::get<double>(v)}};
}

std::optional<AttributeValue> DecodeValue(const json& j) {
  if (!j.is_object() || j.size() != 1) return std::nullopt;
  if (j.contains("s")) return j.at("s").get<std::string>();
  if (j.contains("i")) return j.at("i").get<int64_t>();
  if (j.contains("b")) return j.at("b").get<bool>();
  if (j.contains("d")) return j.at("d").get<double>();
  return std::nullopt;
}

}  // namespace

std::string EncodeSpanLine(const SpanRecord& s) {
  json attributes = json::array();
  for (const auto& a : s.attributes) attributes.push_back({a.key, EncodeValue(a.value)});
  json j = {
      {"t", s.trace_id.ToHex()},       {"s", s.span_id.ToHex()},
      {"p", s.parent_span_id.ToHex()}, {"f", s.flags},
      {"ts", s.trace_state},           {"n", s.name},
      {"b", s.start_unix_nanos},       {"e", s.end_unix_nanos},
      {"a", std::move(attributes)},    {"c", static_cast<int>(s.status)},
      {"m", s.status_message},
  };
  // Paths in attributes may be invalid UTF-8: replaced here as the OTLP encoder would.
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<SpanRecord> DecodeSpanLine(std::string_view line) {
  SpanRecord s;
  try {
    const json j = json::parse(line);
    if (!ParseHexBytes(j.at("t").get<std::string>(), s.trace_id.bytes) ||
        !ParseHexBytes(j.at("s").get<std::string>(), s.span_id.bytes) ||
        !ParseHexBytes(j.at("p").get<std::string>(), s.parent_span_id.bytes)) {
      return PlainError("decode span", "an id is not lowercase hex of the right length");
    }
    const int flags = j.at("f").get<int>();
    if (flags < 0 || flags > 0xff) return PlainError("decode span", "bad trace flags");
    s.flags = static_cast<uint8_t>(flags);
    s.trace_state = j.at("ts").get<std::string>();
    s.name = j.at("n").get<std::string>();
    s.start_unix_nanos = j.at("b").get<uint64_t>();
    s.end_unix_nanos = j.at("e").get<uint64_t>();
    for (const json& a : j.at("a")) {
      if (!a.is_array() || a.size() != 2) return PlainError("decode span", "bad attribute");
      auto value = DecodeValue(a.at(1));
      if (!value) return PlainError("decode span", "bad attribute value");
      s.attributes.push_back({a.at(0).get<std::string>(), std::move(*value)});
    }
    const int code = j.at("c").get<int>();
    if (code < 0 || code > 2) return PlainError("decode span", "bad status code");
    s.status = static_cast<SpanStatusCode>(code);
    s.status_message = j.at("m").get<std::string>();
  } catch (const json::exception& e) {
    return PlainError("decode span", e.what());
  }
  return s;
}

}  // namespace cordon
