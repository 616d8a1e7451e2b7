// The tracing of one `cordon serve` session: a RunTrace rooted at `cordon.session`, driven by the
// session manager's SessionObserver calls, so that src/server stays free of telemetry.
//
//   cordon.session              from the request to the session's end (exit, terminate, ...)
//   ├─ cordon.resolve_policy    the request's config and policy resolution
//   ├─ cordon.sandbox_setup     only when this command started a new warm sandbox
//   └─ cordon.command           the command's lifetime; its TRACEPARENT points here
#pragma once

#include <string>

#include "server/session_observer.h"
#include "telemetry/run_trace.h"

namespace cordon {

class TracedSession : public SessionObserver {
 public:
  // Starts the root span and the resolve_policy phase.
  TracedSession(Telemetry& telemetry, const IncomingTraceContext& incoming, bool tty);

  RunTrace& trace() { return trace_; }
  // The request could not be resolved: ends the trace with the error (there is no session).
  void ResolveFailed(const std::string& error);

  void SandboxStarting() override;
  void SandboxStarted(const std::string& error) override;
  void CommandStarting(uint64_t session_id) override;
  void Ended(const SessionEnd& end) override;

  // What the span records for an end (pure; unit-tested).
  static RunOutcome OutcomeOf(const SessionEnd& end);

 private:
  RunTrace trace_;
};

// The trace context a serve request runs under: the request's own when it carries a
// `traceparent` (an invalid one then starts a new trace, never the server's), otherwise the one
// the server was started with. A `tracestate` without a `traceparent` means nothing (W3C).
IncomingTraceContext SessionTraceContext(const std::optional<std::string>& traceparent,
                                         const std::optional<std::string>& tracestate,
                                         const IncomingTraceContext& server);

}  // namespace cordon
