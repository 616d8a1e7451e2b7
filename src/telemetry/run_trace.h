// RunTrace: the tracing of one sandboxed run, as `cordon exec` (and each `serve` session) uses it.
//
//   cordon.exec                 root span, from construction to Finish (serve: cordon.session)
//   ├─ cordon.resolve_policy    config and policy resolution
//   ├─ cordon.sandbox_setup     namespaces, mounts, Landlock, seccomp, network
//   └─ cordon.command           the command's lifetime; the command's TRACEPARENT points here
//
// The run joins the caller's trace when TRACEPARENT is valid; an invalid TRACEPARENT starts a
// new trace and an invalid TRACESTATE is dropped (each with one warning). When nothing is
// exported and there is no incoming TRACEPARENT the run is inactive: every method returns at
// once and the command gets no trace variables.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "telemetry/span.h"
#include "telemetry/telemetry.h"
#include "telemetry/trace_context.h"

namespace cordon {

// The trace context cordon was started with (its environment, or a serve request's fields).
struct IncomingTraceContext {
  std::optional<std::string> traceparent;
  std::optional<std::string> tracestate;
  // How warnings name the two (the environment's variables, or a request's parameters).
  std::string traceparent_name = "TRACEPARENT";
  std::string tracestate_name = "TRACESTATE";
  // TRACEPARENT and TRACESTATE from the process environment.
  static IncomingTraceContext FromEnvironment();
  // The `traceparent` and `tracestate` parameters of a serve request.
  static IncomingTraceContext FromRequest(std::optional<std::string> traceparent,
                                          std::optional<std::string> tracestate);
};

enum class RunPhase { kResolvePolicy = 0, kSandboxSetup = 1, kCommand = 2 };

// What a person looks for on the root span, known after policy resolution.
struct RunDetails {
  std::string profile;       // cordon.profile
  std::string network_mode;  // cordon.network.mode
  std::string workspace;     // cordon.workspace
  std::string executable;    // process.executable.name (argv[0]'s base name, never arguments)
};

// How the run ended.
struct RunOutcome {
  std::optional<int> exit_code;  // process.exit.code
  std::optional<int> signal;     // cordon.signal (the command was killed by it)
  int64_t denials = 0;           // cordon.denials (accesses the sandbox refused, when known)
  std::string error;             // a set-up failure; marks the span as an error
  // cordon.ended_by, when the run did not end by itself: "terminated" (a client asked),
  // "evicted" (the session limit), "server_shutdown". Not an error.
  std::string ended_by;
};

class RunTrace {
 public:
  // `root_name`: the root span's name ("cordon.exec"; serve: "cordon.session").
  RunTrace(Telemetry& telemetry, const IncomingTraceContext& incoming,
           std::string root_name = "cordon.exec");
  ~RunTrace();  // Finish({}) if not finished (spans are never lost silently)
  RunTrace(const RunTrace&) = delete;
  RunTrace& operator=(const RunTrace&) = delete;

  // Whether ids exist for this run (exporting, or an incoming traceparent to continue).
  bool active() const { return active_; }
  const TraceId& trace_id() const { return root_.trace_id; }

  void StartPhase(RunPhase phase);
  // Ends a started phase; a non-empty `error` marks it as failed. The command phase's span is
  // sent by Finish (it carries the outcome) but ends at the time of this call.
  void EndPhase(RunPhase phase, const std::string& error = {});
  void SetDetails(const RunDetails& details);
  // Any other attribute of the root span (cordon.session.id, cordon.tty, ...).
  void SetRootAttribute(std::string_view key, AttributeValue value);

  // The variables the sandboxed command must receive: TRACEPARENT (parent = the cordon.command
  // span, valid before StartPhase(kCommand)) and TRACESTATE (incoming members, with the
  // configured members upserted), in that order. Empty when the run is inactive.
  std::vector<std::pair<std::string, std::string>> ChildEnvironment() const;
  // Edits a "NAME=value" environment (Plan::env): removes every incoming TRACEPARENT and
  // TRACESTATE (an invalid one must never reach the command, nor a stale one when the run is
  // inactive) and appends ChildEnvironment().
  void ApplyChildEnvironment(std::vector<std::string>& env) const;

  // Ends open phases and the root span with the outcome. Export is left to
  // Telemetry::Shutdown (exec calls it right after; serve at its own exit).
  void Finish(const RunOutcome& outcome);

 private:
  struct Phase {
    SpanRecord span;
    bool started = false;
    bool ended = false;
    uint64_t end_at = 0;  // the command phase: when EndPhase was called
  };

  void EndSpan(SpanRecord& span, uint64_t end);

  Telemetry& telemetry_;
  bool active_ = false;
  bool recording_ = false;  // spans are built and handed to the exporter
  bool finished_ = false;
  SpanRecord root_;
  std::array<Phase, 3> phases_;
  std::string child_tracestate_;
};

}  // namespace cordon
