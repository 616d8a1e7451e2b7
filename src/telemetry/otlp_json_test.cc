// The OTLP JSON shape of an export request.
#include "telemetry/otlp_json.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace cordon {
namespace {

TEST(OtlpJson, EncodesSpansAndResource) {
  SpanRecord s;
  s.trace_id.bytes[15] = 1;
  s.span_id.bytes[7] = 2;
  s.parent_span_id.bytes[0] = 0xab;
  s.flags = 1;
  s.trace_state = "dd=s:1";
  s.name = "cordon.command";
  s.start_unix_nanos = 1700000000000000001ULL;
  s.end_unix_nanos = 1700000000000000002ULL;
  SetAttribute(s.attributes, "str", std::string("v\xff"));  // invalid UTF-8 is replaced
  SetAttribute(s.attributes, "int", int64_t{-3});
  SetAttribute(s.attributes, "bool", true);
  SetAttribute(s.attributes, "dbl", 1.5);
  s.status = SpanStatusCode::kError;
  s.status_message = "boom";
  OtlpResource r{{{"service.name", std::string("cordon")}}, "cordon", "0.1.0"};

  const auto j = nlohmann::json::parse(EncodeOtlpTraceJson(r, {s}));
  const auto& rs = j.at("resourceSpans").at(0);
  EXPECT_EQ(rs.at("resource").at("attributes").at(0).at("key"), "service.name");
  EXPECT_EQ(rs.at("resource").at("attributes").at(0).at("value").at("stringValue"), "cordon");
  EXPECT_EQ(rs.at("scopeSpans").at(0).at("scope").at("name"), "cordon");
  const auto& span = rs.at("scopeSpans").at(0).at("spans").at(0);
  EXPECT_EQ(span.at("traceId"), "00000000000000000000000000000001");
  EXPECT_EQ(span.at("spanId"), "0000000000000002");
  EXPECT_EQ(span.at("parentSpanId"), "ab00000000000000");
  EXPECT_EQ(span.at("traceState"), "dd=s:1");
  EXPECT_EQ(span.at("kind"), 1);
  EXPECT_EQ(span.at("startTimeUnixNano"), "1700000000000000001");
  EXPECT_EQ(span.at("endTimeUnixNano"), "1700000000000000002");
  EXPECT_EQ(span.at("status").at("code"), 2);
  EXPECT_EQ(span.at("status").at("message"), "boom");
  const auto& attrs = span.at("attributes");
  EXPECT_EQ(attrs.at(0).at("value").at("stringValue"), "v\xef\xbf\xbd");
  EXPECT_EQ(attrs.at(1).at("value").at("intValue"), "-3");
  EXPECT_EQ(attrs.at(2).at("value").at("boolValue"), true);
  EXPECT_EQ(attrs.at(3).at("value").at("doubleValue"), 1.5);
}

TEST(OtlpJson, RootSpanHasNoParentField) {
  SpanRecord s;
  s.trace_id.bytes[0] = 1;
  s.span_id.bytes[0] = 1;
  const auto j = nlohmann::json::parse(EncodeOtlpTraceJson({}, {s}));
  const auto& span = j["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  EXPECT_FALSE(span.contains("parentSpanId"));
  EXPECT_FALSE(span.contains("traceState"));
  EXPECT_FALSE(span["status"].contains("code"));
}

}  // namespace
}  // namespace cordon
