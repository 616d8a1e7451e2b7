// [otel] parsing: defaults, every key, and errors that name the key and the file:line.
#include "telemetry/otel_settings.h"

#include <gtest/gtest.h>

namespace cordon {
namespace {

Result<OtelSettings> Parse(std::string_view text) {
  toml::table doc = toml::parse(text, std::string_view("config.toml"));
  return OtelSettingsFromDocument(&doc, "config.toml");
}

std::string ErrorOf(std::string_view text) {
  auto r = Parse(text);
  return r ? "<ok>" : r.error().ToString();
}

TEST(OtelSettings, DefaultsWithoutTable) {
  auto s = Parse("");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->exporting());
  EXPECT_TRUE(s->span_attributes.empty());
  EXPECT_TRUE(s->tracestate.empty());
  EXPECT_EQ(s->flush_timeout().count(), 0);
  EXPECT_TRUE(OtelSettingsFromDocument(nullptr, "x").ok());
}

TEST(OtelSettings, FullConfig) {
  auto s = Parse(R"(
[otel]
environment = "prod"
trace_exporter = { otlp-http = { endpoint = "http://127.0.0.1:4318/v1/traces", headers = { "x-api-key" = "k1" }, timeout_ms = 1500 } }
span_attributes = { team = "infra", shard = 3, canary = true, ratio = 0.5 }
tracestate = { dd = { s = "1", o = "cordon" }, "acme@sys" = { v = "2" } }
)");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->environment, "prod");
  ASSERT_TRUE(s->exporting());
  EXPECT_EQ(s->otlp_http->endpoint, "http://127.0.0.1:4318/v1/traces");
  ASSERT_EQ(s->otlp_http->headers.size(), 1u);
  EXPECT_EQ(s->otlp_http->headers[0].first, "x-api-key");
  EXPECT_EQ(s->flush_timeout().count(), 1500);
  ASSERT_EQ(s->span_attributes.size(), 4u);
  EXPECT_EQ(std::get<std::string>(*FindAttribute(s->span_attributes, "team")), "infra");
  EXPECT_EQ(std::get<int64_t>(*FindAttribute(s->span_attributes, "shard")), 3);
  EXPECT_EQ(std::get<bool>(*FindAttribute(s->span_attributes, "canary")), true);
  EXPECT_EQ(std::get<double>(*FindAttribute(s->span_attributes, "ratio")), 0.5);
  ASSERT_EQ(s->tracestate.size(), 2u);
  EXPECT_EQ(s->tracestate[0].first, "acme@sys");  // toml++ tables iterate in key order
  EXPECT_EQ(s->tracestate[1].first, "dd");
  EXPECT_EQ(FormatTraceStateFields(s->tracestate[1].second), "o:cordon;s:1");
}

TEST(OtelSettings, ExporterNoneAndEndpointWithoutPath) {
  auto none = Parse("[otel]\ntrace_exporter = \"none\"\n");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->exporting());
  auto bare = Parse("[otel.trace_exporter.otlp-http]\nendpoint = \"https://collector:4318\"\n");
  ASSERT_TRUE(bare.ok()) << bare.error().ToString();
  EXPECT_EQ(bare->otlp_http->endpoint, "https://collector:4318/");
  EXPECT_EQ(bare->otlp_http->timeout.count(), 10000);
}

TEST(OtelSettings, ErrorsNameKeyFileAndLine) {
  EXPECT_EQ(ErrorOf("[otel]\nenvironment = \"prod\"\nbogus = 1\n"),
            "invalid config config.toml:3: otel.bogus: unknown key");
  EXPECT_EQ(ErrorOf("[otel]\ntrace_exporter = \"jaeger\"\n"),
            "invalid config config.toml:2: otel.trace_exporter: unknown exporter 'jaeger' "
            "(expected \"none\" or { otlp-http = { ... } })");
  EXPECT_EQ(ErrorOf("[otel]\ntrace_exporter = { otlp-grpc = { endpoint = \"http://x\" } }\n"),
            "invalid config config.toml:2: otel.trace_exporter: unknown exporter 'otlp-grpc' "
            "(supported: otlp-http)");
  EXPECT_EQ(ErrorOf("[otel.trace_exporter.otlp-http]\ntimeout_ms = 5\n"),
            "invalid config config.toml:1: otel.trace_exporter.otlp-http.endpoint: is required");
  EXPECT_EQ(ErrorOf("[otel.trace_exporter.otlp-http]\nendpoint = \"ftp://x\"\n"),
            "invalid config config.toml:2: otel.trace_exporter.otlp-http.endpoint: must start "
            "with http:// or https://");
  EXPECT_EQ(ErrorOf("[otel.trace_exporter.otlp-http]\nendpoint = \"http://x\"\ntimeout_ms = 0\n"),
            "invalid config config.toml:3: otel.trace_exporter.otlp-http.timeout_ms: must be an "
            "integer between 1 and 600000");
  EXPECT_EQ(ErrorOf("[otel.trace_exporter.otlp-http]\nendpoint = \"http://x\"\nextra = 1\n"),
            "invalid config config.toml:3: otel.trace_exporter.otlp-http.extra: unknown key");
  EXPECT_EQ(ErrorOf("[otel.trace_exporter.otlp-http]\nendpoint = \"http://x\"\nheaders = { "
                    "\"a b\" = \"v\" }\n"),
            "invalid config config.toml:3: otel.trace_exporter.otlp-http.headers.a b: not a valid "
            "HTTP header name");
  EXPECT_EQ(ErrorOf("[otel.trace_exporter.otlp-http]\nendpoint = \"http://x\"\nheaders = { "
                    "auth = \"v\\r\\nX-Evil: 1\" }\n"),
            "invalid config config.toml:3: otel.trace_exporter.otlp-http.headers.auth: header "
            "value must be printable ASCII without line breaks, control characters or "
            "surrounding spaces");
  EXPECT_EQ(ErrorOf("[otel]\nspan_attributes = { team = [1] }\n"),
            "invalid config config.toml:2: otel.span_attributes.team: must be a string, integer, "
            "boolean or float");
}

TEST(OtelSettings, TraceStateErrors) {
  EXPECT_EQ(ErrorOf("[otel]\ntracestate = { DD = { s = \"1\" } }\n"),
            "invalid config config.toml:2: otel.tracestate.DD: invalid member key (W3C: "
            "[a-z][a-z0-9_-*/]{0,255} or tenant@system)");
  EXPECT_EQ(ErrorOf("[otel]\ntracestate = { dd = { s = \"1\\n\" } }\n"),
            "invalid config config.toml:2: otel.tracestate.dd.s: field value '1\\x0a' has a "
            "character that is unsafe in a header");
  EXPECT_EQ(ErrorOf("[otel]\ntracestate = { dd = { \"s:x\" = \"1\" } }\n"),
            "invalid config config.toml:2: otel.tracestate.dd.s:x: field key 's:x' may not "
            "contain ',', ';', ':' or '='");
  EXPECT_EQ(ErrorOf("[otel]\ntracestate = { dd = { s = \"1 \" } }\n"),
            "invalid config config.toml:2: otel.tracestate.dd.s: field value '1 ' has a trailing "
            "space");
  EXPECT_EQ(ErrorOf("[otel]\ntracestate = { dd = { s = \"a,b\" } }\n"),
            "invalid config config.toml:2: otel.tracestate.dd.s: field value 'a,b' may not "
            "contain ',', ';' or '='");
  EXPECT_EQ(ErrorOf("[otel]\ntracestate = { dd = { s = \"caf\xc3\xa9\" } }\n"),
            "invalid config config.toml:2: otel.tracestate.dd.s: field value 'caf\\xc3\\xa9' has "
            "a character that is unsafe in a header");
  EXPECT_EQ(ErrorOf("[otel]\ntracestate = { dd = { s = 1 } }\n"),
            "invalid config config.toml:2: otel.tracestate.dd.s: must be a string");
  EXPECT_EQ(ErrorOf("[otel]\ntracestate = { dd = {} }\n"),
            "invalid config config.toml:2: otel.tracestate.dd: has no fields");
  const std::string long_value(300, 'v');
  EXPECT_NE(ErrorOf("[otel]\ntracestate = { dd = { s = \"" + long_value + "\" } }\n")
                .find("is not a valid tracestate value (at most 256 characters)"),
            std::string::npos);
  std::string many = "[otel.tracestate]\n";
  for (int i = 0; i < 33; ++i) many += "k" + std::to_string(i) + " = { s = \"1\" }\n";
  EXPECT_EQ(ErrorOf(many), "invalid config config.toml:1: otel.tracestate: more than 32 members");
}

}  // namespace
}  // namespace cordon
