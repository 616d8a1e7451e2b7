// RunTrace without an exporter: when it is inactive, what the command receives, and how invalid
// incoming context is handled. (Exported span content is tested over loopback in
// tests/telemetry/otlp_loopback.js and otlp_http_exporter_test.cc.)
#include "telemetry/run_trace.h"

#include <gtest/gtest.h>

namespace cordon {
namespace {

constexpr char kParent[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

struct Fixture {
  explicit Fixture(OtelSettings s = {})
      : telemetry(std::move(s), [this](const std::string& m) { warnings.push_back(m); }) {}
  std::vector<std::string> warnings;
  Telemetry telemetry;
};

std::string EnvValue(const RunTrace& t, const std::string& name) {
  for (const auto& [k, v] : t.ChildEnvironment()) {
    if (k == name) return v;
  }
  return "<unset>";
}

TEST(RunTrace, InactiveWithoutExporterOrIncomingContext) {
  Fixture f;
  RunTrace t(f.telemetry, {});
  EXPECT_FALSE(t.active());
  EXPECT_TRUE(t.ChildEnvironment().empty());
  t.StartPhase(RunPhase::kCommand);
  RunOutcome outcome;
  outcome.exit_code = 0;
  t.Finish(outcome);
  EXPECT_TRUE(f.warnings.empty());
}

TEST(RunTrace, ContinuesIncomingTraceWithANewParent) {
  OtelSettings s;
  s.tracestate = {{"dd", {{"s", "1"}}}};
  Fixture f(s);
  RunTrace t(f.telemetry, {kParent, "dd=o:rum;s:0,other=x"});
  ASSERT_TRUE(t.active());
  EXPECT_EQ(t.trace_id().ToHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  const std::string tp = EnvValue(t, "TRACEPARENT");
  auto ctx = ParseTraceParent(tp);
  ASSERT_TRUE(ctx.ok()) << tp;
  EXPECT_EQ(ctx->trace_id.ToHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(ctx->span_id.ToHex(), "00f067aa0ba902b7");  // the command span, not the caller's
  EXPECT_TRUE(ctx->sampled());
  EXPECT_EQ(EnvValue(t, "TRACESTATE"), "dd=o:rum;s:1,other=x");
  // The command span's id is fixed: the same before and after the phase starts.
  t.StartPhase(RunPhase::kCommand);
  EXPECT_EQ(EnvValue(t, "TRACEPARENT"), tp);
  EXPECT_TRUE(f.warnings.empty());
}

TEST(RunTrace, UnsampledParentStaysUnsampled) {
  Fixture f;
  RunTrace t(f.telemetry, {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", {}});
  ASSERT_TRUE(t.active());
  EXPECT_EQ(EnvValue(t, "TRACEPARENT").substr(53), "00");
  EXPECT_EQ(EnvValue(t, "TRACESTATE"), "<unset>");
}

TEST(RunTrace, InvalidTraceStateIsDroppedWithAWarning) {
  OtelSettings s;
  s.tracestate = {{"dd", {{"s", "1"}}}};
  Fixture f(s);
  RunTrace t(f.telemetry, {kParent, "dd=o:rum;s:0,Bad=x"});
  ASSERT_TRUE(t.active());
  EXPECT_EQ(EnvValue(t, "TRACESTATE"), "dd=s:1");  // only the configured member survives
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_EQ(f.warnings[0], "dropping invalid TRACESTATE (invalid member key 'Bad')");
}

TEST(RunTrace, InvalidTraceStateWithoutConfigIsNotPassedOn) {
  Fixture f;
  RunTrace t(f.telemetry, {kParent, "a=1\r\nX-Injected: 1"});
  EXPECT_EQ(EnvValue(t, "TRACESTATE"), "<unset>");
  EXPECT_EQ(f.warnings.size(), 1u);
}

TEST(RunTrace, InvalidTraceParentWithoutExporterDisablesTracing) {
  Fixture f;
  RunTrace t(f.telemetry, {"00-00000000000000000000000000000000-00f067aa0ba902b7-01", "a=1"});
  EXPECT_FALSE(t.active());
  EXPECT_TRUE(t.ChildEnvironment().empty());
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_EQ(f.warnings[0], "ignoring TRACEPARENT (trace-id is all zeros); starting a new trace");
}

TEST(RunTrace, InvalidTraceParentStartsANewTraceWhenExporting) {
  OtelSettings s;
  // A closed port: nothing is sent in this test because Shutdown gets no time.
  s.otlp_http = OtlpHttpSettings{"http://127.0.0.1:9/v1/traces", {}, std::chrono::milliseconds(1)};
  Fixture f(s);
  {
    RunTrace t(f.telemetry, {"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "a=1"});
    ASSERT_TRUE(t.active());
    EXPECT_NE(t.trace_id().ToHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
    auto ctx = ParseTraceParent(EnvValue(t, "TRACEPARENT"));
    ASSERT_TRUE(ctx.ok());
    EXPECT_EQ(ctx->trace_id, t.trace_id());
    EXPECT_TRUE(ctx->sampled());
    // tracestate belongs to the traceparent that was rejected.
    EXPECT_EQ(EnvValue(t, "TRACESTATE"), "<unset>");
  }
  f.telemetry.Shutdown(std::chrono::milliseconds(0));
  EXPECT_EQ(f.warnings.at(0).rfind("ignoring TRACEPARENT", 0), 0u);
}

TEST(RunTrace, ApplyChildEnvironmentReplacesIncomingVariables) {
  OtelSettings s;
  s.tracestate = {{"dd", {{"s", "1"}}}};
  Fixture f(s);
  RunTrace t(f.telemetry, {kParent, "dd=s:0"});
  std::vector<std::string> env = {"PATH=/bin", std::string("TRACEPARENT=") + kParent,
                                  "TRACESTATE=dd=s:0", "HOME=/h"};
  t.ApplyChildEnvironment(env);
  ASSERT_EQ(env.size(), 4u);
  EXPECT_EQ(env[0], "PATH=/bin");
  EXPECT_EQ(env[1], "HOME=/h");
  EXPECT_EQ(env[2], "TRACEPARENT=" + EnvValue(t, "TRACEPARENT"));
  EXPECT_EQ(env[3], "TRACESTATE=dd=s:1");

  // Inactive (an invalid TRACEPARENT, nothing exported): the stale variables are removed too.
  Fixture g;
  RunTrace inactive(g.telemetry, {"garbage", "a=1"});
  std::vector<std::string> env2 = {"TRACEPARENT=garbage", "TRACESTATE=a=1", "PATH=/bin"};
  inactive.ApplyChildEnvironment(env2);
  EXPECT_EQ(env2, std::vector<std::string>{"PATH=/bin"});
}

TEST(RunTrace, NewTracesGetDistinctIds) {
  OtelSettings s;
  s.otlp_http = OtlpHttpSettings{"http://127.0.0.1:9/", {}, std::chrono::milliseconds(1)};
  Fixture f(s);
  RunTrace a(f.telemetry, {});
  RunTrace b(f.telemetry, {});
  EXPECT_TRUE(a.trace_id().IsValid());
  EXPECT_NE(a.trace_id(), b.trace_id());
  a.Finish({});
  b.Finish({});
  f.telemetry.Shutdown(std::chrono::milliseconds(0));
}

}  // namespace
}  // namespace cordon
