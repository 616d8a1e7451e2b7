// Test helper for tests/telemetry/otlp_loopback.js: one traced "run" as cordon exec makes it.
// Reads the [otel] settings from the TOML file argv[1], takes TRACEPARENT/TRACESTATE from its
// environment, runs `sh -c 'echo "$TRACEPARENT"; echo "$TRACESTATE"'` as the command with the
// child environment RunTrace gives, and exits with the command's status after the flush.
// stdout: the command's output; then "trace_id=<hex>" and "shutdown_ms=<n>".
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "telemetry/run_trace.h"

extern char** environ;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OTEL.toml\n", argv[0]);
    return 2;
  }
  toml::table doc;
  try {
    doc = toml::parse_file(argv[1]);
  } catch (const toml::parse_error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  auto settings = cordon::OtelSettingsFromDocument(&doc, argv[1]);
  if (!settings) {
    std::fprintf(stderr, "cordon: %s\n", settings.error().ToString().c_str());
    return 2;
  }
  cordon::Telemetry telemetry(*settings);
  cordon::RunTrace trace(telemetry, cordon::IncomingTraceContext::FromEnvironment());

  trace.StartPhase(cordon::RunPhase::kResolvePolicy);
  trace.SetDetails({"workspace-write", "restricted", "/tmp/ws", "sh"});
  trace.EndPhase(cordon::RunPhase::kResolvePolicy);
  trace.StartPhase(cordon::RunPhase::kSandboxSetup);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  trace.ApplyChildEnvironment(env_storage);
  std::vector<char*> envp;
  for (auto& s : env_storage) envp.push_back(s.data());
  envp.push_back(nullptr);
  trace.EndPhase(cordon::RunPhase::kSandboxSetup);

  trace.StartPhase(cordon::RunPhase::kCommand);
  std::fflush(stdout);
  const char* args[] = {
      "sh", "-c", "echo \"TRACEPARENT=$TRACEPARENT\"; echo \"TRACESTATE=$TRACESTATE\"; exit 3",
      nullptr};
  pid_t pid = 0;
  int status = 0;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(args), envp.data()) != 0 ||
      waitpid(pid, &status, 0) != pid) {
    cordon::RunOutcome failed;
    failed.error = "spawn failed";
    trace.Finish(failed);
    return 2;
  }
  trace.EndPhase(cordon::RunPhase::kCommand);
  cordon::RunOutcome outcome;
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  outcome.denials = 2;
  trace.Finish(outcome);

  const auto t0 = std::chrono::steady_clock::now();
  telemetry.Shutdown();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  std::printf("trace_id=%s\nshutdown_ms=%lld\n", trace.trace_id().ToHex().c_str(),
              static_cast<long long>(ms));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
