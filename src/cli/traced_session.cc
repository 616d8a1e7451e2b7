// A serve session's spans: see traced_session.h.
#include "cli/traced_session.h"

namespace cordon {

TracedSession::TracedSession(Telemetry& telemetry, const IncomingTraceContext& incoming, bool tty)
    : trace_(telemetry, incoming, "cordon.session") {
  trace_.StartPhase(RunPhase::kResolvePolicy);
  trace_.SetRootAttribute("cordon.tty", tty);
  trace_.SetRootAttribute("cordon.sandbox.new", false);
}

void TracedSession::ResolveFailed(const std::string& error) {
  trace_.EndPhase(RunPhase::kResolvePolicy, error);
  RunOutcome failed;
  failed.error = error;
  trace_.Finish(failed);
}

void TracedSession::SandboxStarting() {
  trace_.SetRootAttribute("cordon.sandbox.new", true);
  trace_.StartPhase(RunPhase::kSandboxSetup);
}

void TracedSession::SandboxStarted(const std::string& error) {
  trace_.EndPhase(RunPhase::kSandboxSetup, error);
}

void TracedSession::CommandStarting(uint64_t session_id) {
  trace_.SetRootAttribute("cordon.session.id", static_cast<int64_t>(session_id));
  trace_.StartPhase(RunPhase::kCommand);
}

RunOutcome TracedSession::OutcomeOf(const SessionEnd& end) {
  RunOutcome o;
  o.exit_code = end.exit_code;
  o.signal = end.signal;
  o.error = end.error;
  o.denials = static_cast<int64_t>(end.denials);
  switch (end.how) {
    case SessionEnd::How::kTerminated:
      o.ended_by = "terminated";
      break;
    case SessionEnd::How::kEvicted:
      o.ended_by = "evicted";
      break;
    case SessionEnd::How::kServerShutdown:
      o.ended_by = "server_shutdown";
      break;
    case SessionEnd::How::kExited:
    case SessionEnd::How::kSpawnFailed:
    case SessionEnd::How::kSetupFailed:
    case SessionEnd::How::kSandboxLost:
      break;
  }
  return o;
}

void TracedSession::Ended(const SessionEnd& end) {
  trace_.EndPhase(RunPhase::kCommand);
  trace_.Finish(OutcomeOf(end));
}

IncomingTraceContext SessionTraceContext(const std::optional<std::string>& traceparent,
                                         const std::optional<std::string>& tracestate,
                                         const IncomingTraceContext& server) {
  if (!traceparent.has_value()) return server;
  return IncomingTraceContext::FromRequest(traceparent, tracestate);
}

}  // namespace cordon
