// What tracing adds to one `cordon exec`: a RunTrace with its three phases, the child's trace
// variables and Finish, timed in batches; prints the median per run (ns) for
//   inactive   trace_exporter = "none", no TRACEPARENT (the default: must cost next to nothing)
//   propagate  trace_exporter = "none", an incoming TRACEPARENT/TRACESTATE and a configured
//              tracestate member (ids are made and the command gets a new parent)
//   settings   ParseOtelSettings of a full [otel] table (once per process in exec)
// Usage: telemetry_run_bench [runs-per-batch] [batches]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "telemetry/run_trace.h"

namespace {

using cordon::RunPhase;

double MedianNanos(int runs, int batches, const std::function<void()>& body) {
  std::vector<double> per_run;
  for (int b = 0; b < batches; ++b) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < runs; ++i) body();
    const auto t1 = std::chrono::steady_clock::now();
    per_run.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / runs);
  }
  std::sort(per_run.begin(), per_run.end());
  return per_run[per_run.size() / 2];
}

size_t g_sink = 0;  // keeps the optimiser from dropping the work

void OneRun(cordon::Telemetry& telemetry, const cordon::IncomingTraceContext& incoming) {
  cordon::RunTrace trace(telemetry, incoming);
  trace.StartPhase(RunPhase::kResolvePolicy);
  trace.SetDetails({"workspace-write", "restricted", "/src/app", "make"});
  trace.EndPhase(RunPhase::kResolvePolicy);
  trace.StartPhase(RunPhase::kSandboxSetup);
  g_sink += trace.ChildEnvironment().size();
  trace.EndPhase(RunPhase::kSandboxSetup);
  trace.StartPhase(RunPhase::kCommand);
  trace.EndPhase(RunPhase::kCommand);
  cordon::RunOutcome outcome;
  outcome.exit_code = 0;
  trace.Finish(outcome);
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int batches = argc > 2 ? std::atoi(argv[2]) : 15;

  cordon::Telemetry none(cordon::OtelSettings{});
  const double inactive = MedianNanos(runs, batches, [&] { OneRun(none, {}); });

  cordon::OtelSettings with_state;
  with_state.tracestate = {{"dd", {{"s", "1"}}}};
  with_state.span_attributes = {{"team", std::string("infra")}};
  cordon::Telemetry propagating(with_state);
  const cordon::IncomingTraceContext incoming{
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "dd=o:rum;s:0,other=x"};
  const double propagate = MedianNanos(runs, batches, [&] { OneRun(propagating, incoming); });

  const toml::table otel = toml::parse(R"(
environment = "prod"
span_attributes = { team = "infra", shard = 3 }
tracestate = { dd = { s = "1", o = "cordon" } }
trace_exporter = { otlp-http = { endpoint = "http://127.0.0.1:4318/v1/traces", timeout_ms = 2000 } }
)");
  const double settings = MedianNanos(runs / 10, batches, [&] {
    g_sink += cordon::ParseOtelSettings(otel, "config.toml").ok() ? 1 : 0;
  });

  std::printf("telemetry per run, median of %d batches of %d:\n", batches, runs);
  std::printf("  inactive  (exporter none, no TRACEPARENT): %8.1f ns\n", inactive);
  std::printf("  propagate (exporter none, TRACEPARENT+TRACESTATE): %8.1f ns\n", propagate);
  std::printf("  ParseOtelSettings (full table): %8.1f ns\n", settings);
  return g_sink == 0 ? 1 : 0;
}
