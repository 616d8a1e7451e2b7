// One run's spans and the trace context handed to its command.
#include "telemetry/run_trace.h"

#include <cstdlib>
#include <vector>

namespace cordon {
namespace {

constexpr const char* kPhaseNames[] = {"cordon.resolve_policy", "cordon.sandbox_setup",
                                       "cordon.command"};

std::optional<std::string> Getenv(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

}  // namespace

IncomingTraceContext IncomingTraceContext::FromEnvironment() {
  return {Getenv("TRACEPARENT"), Getenv("TRACESTATE")};
}

IncomingTraceContext IncomingTraceContext::FromRequest(std::optional<std::string> traceparent,
                                                       std::optional<std::string> tracestate) {
  return {std::move(traceparent), std::move(tracestate), "the request's traceparent",
          "tracestate in the request"};
}

RunTrace::RunTrace(Telemetry& telemetry, const IncomingTraceContext& incoming,
                   std::string root_name)
    : telemetry_(telemetry) {
  // The cheap path first: no exporter and nothing to continue means no ids at all.
  const bool has_parent = incoming.traceparent.has_value() && !incoming.traceparent->empty();
  if (!telemetry_.exporting() && !has_parent) return;

  std::optional<SpanContext> parent;
  if (has_parent) {
    auto parsed = ParseTraceParent(*incoming.traceparent);
    if (parsed) {
      parent = *parsed;
    } else {
      telemetry_.Warn("ignoring " + incoming.traceparent_name + " (" + parsed.error().detail +
                      "); starting a new trace");
    }
  }
  if (!parent && !telemetry_.exporting()) return;
  active_ = true;

  // tracestate belongs to a traceparent: without a valid parent there is nothing to continue.
  TraceState state;
  if (parent && incoming.tracestate.has_value()) {
    auto parsed = TraceState::Parse(*incoming.tracestate);
    if (parsed) {
      state = std::move(*parsed);
    } else {
      telemetry_.Warn("dropping invalid " + incoming.tracestate_name + " (" +
                      parsed.error().detail + ")");
    }
  }
  ApplyTraceStateConfig(telemetry_.settings().tracestate, state);
  child_tracestate_ = state.Serialize();

  root_.trace_id = parent ? parent->trace_id : telemetry_.NewTraceId();
  root_.parent_span_id = parent ? parent->span_id : SpanId{};
  root_.flags = parent ? parent->flags : kTraceFlagSampled;
  root_.span_id = telemetry_.NewSpanId();
  root_.trace_state = child_tracestate_;
  root_.name = std::move(root_name);
  // Spans that nobody will receive (nothing exported, or the caller's trace is not sampled) are
  // not built: only the ids that the command's TRACEPARENT needs.
  recording_ = telemetry_.exporting() && (root_.flags & kTraceFlagSampled) != 0;
  root_.start_unix_nanos = UnixNanosNow();
  if (recording_) telemetry_.OnStart(root_);
  for (size_t i = 0; i < phases_.size(); ++i) {
    SpanRecord& s = phases_[i].span;
    s.trace_id = root_.trace_id;
    s.parent_span_id = root_.span_id;
    s.flags = root_.flags;
    s.trace_state = child_tracestate_;
    s.name = kPhaseNames[i];
  }
  // The command span's id exists up front so the child's TRACEPARENT can be made at any time.
  phases_[static_cast<size_t>(RunPhase::kCommand)].span.span_id = telemetry_.NewSpanId();
}

RunTrace::~RunTrace() {
  if (!finished_) Finish({});
}

void RunTrace::StartPhase(RunPhase phase) {
  if (!active_ || finished_) return;
  Phase& p = phases_[static_cast<size_t>(phase)];
  if (p.started) return;
  p.started = true;
  if (!recording_) return;
  if (!p.span.span_id.IsValid()) p.span.span_id = telemetry_.NewSpanId();
  p.span.start_unix_nanos = UnixNanosNow();
  telemetry_.OnStart(p.span);
}

void RunTrace::EndPhase(RunPhase phase, const std::string& error) {
  if (!active_ || finished_) return;
  Phase& p = phases_[static_cast<size_t>(phase)];
  if (!recording_ || !p.started || p.ended || p.end_at != 0) return;
  if (!error.empty()) {
    p.span.status = SpanStatusCode::kError;
    p.span.status_message = error;
  }
  if (phase == RunPhase::kCommand) {
    // Emitted by Finish, which adds the exit code; the end time is taken now.
    p.end_at = UnixNanosNow();
    return;
  }
  p.ended = true;
  EndSpan(p.span, UnixNanosNow());
}

void RunTrace::SetDetails(const RunDetails& d) {
  if (!recording_ || finished_) return;
  if (!d.profile.empty()) SetAttribute(root_.attributes, "cordon.profile", d.profile);
  if (!d.network_mode.empty())
    SetAttribute(root_.attributes, "cordon.network.mode", d.network_mode);
  if (!d.workspace.empty()) SetAttribute(root_.attributes, "cordon.workspace", d.workspace);
  if (!d.executable.empty()) {
    SetAttribute(root_.attributes, "process.executable.name", d.executable);
    SetAttribute(phases_[static_cast<size_t>(RunPhase::kCommand)].span.attributes,
                 "process.executable.name", d.executable);
  }
}

void RunTrace::SetRootAttribute(std::string_view key, AttributeValue value) {
  if (!recording_ || finished_) return;
  SetAttribute(root_.attributes, key, std::move(value));
}

std::vector<std::pair<std::string, std::string>> RunTrace::ChildEnvironment() const {
  std::vector<std::pair<std::string, std::string>> env;
  if (!active_) return env;
  const SpanRecord& command = phases_[static_cast<size_t>(RunPhase::kCommand)].span;
  env.emplace_back("TRACEPARENT",
                   FormatTraceParent({command.trace_id, command.span_id, command.flags}));
  if (!child_tracestate_.empty()) env.emplace_back("TRACESTATE", child_tracestate_);
  return env;
}

void RunTrace::ApplyChildEnvironment(std::vector<std::string>& env) const {
  std::erase_if(env, [](const std::string& e) {
    return e.rfind("TRACEPARENT=", 0) == 0 || e.rfind("TRACESTATE=", 0) == 0;
  });
  for (const auto& [name, value] : ChildEnvironment()) env.push_back(name + "=" + value);
}

void RunTrace::EndSpan(SpanRecord& span, uint64_t end) {
  span.end_unix_nanos = end;
  const uint64_t nanos = end >= span.start_unix_nanos ? end - span.start_unix_nanos : 0;
  SetAttribute(span.attributes, "cordon.duration_ms", static_cast<double>(nanos) / 1e6);
  telemetry_.OnEnd(span);
}

void RunTrace::Finish(const RunOutcome& outcome) {
  if (finished_) return;
  if (!recording_) {
    finished_ = true;
    return;
  }
  const uint64_t end = UnixNanosNow();
  Attributes result;
  if (outcome.exit_code) SetAttribute(result, "process.exit.code", int64_t{*outcome.exit_code});
  if (outcome.signal) SetAttribute(result, "cordon.signal", int64_t{*outcome.signal});
  SetAttribute(result, "cordon.denials", outcome.denials);
  if (!outcome.ended_by.empty()) SetAttribute(result, "cordon.ended_by", outcome.ended_by);
  for (size_t i = 0; i < phases_.size(); ++i) {
    Phase& p = phases_[i];
    if (!p.started || p.ended) continue;
    if (static_cast<RunPhase>(i) == RunPhase::kCommand) {
      for (const auto& a : result) SetAttribute(p.span.attributes, a.key, a.value);
      if (outcome.signal) {
        p.span.status = SpanStatusCode::kError;
        p.span.status_message = "killed by signal " + std::to_string(*outcome.signal);
      }
    } else if (!outcome.error.empty()) {
      p.span.status = SpanStatusCode::kError;
      p.span.status_message = outcome.error;
    }
    p.ended = true;
    EndSpan(p.span, p.end_at != 0 ? p.end_at : end);
  }
  for (const auto& a : result) SetAttribute(root_.attributes, a.key, a.value);
  if (!outcome.error.empty()) {
    root_.status = SpanStatusCode::kError;
    root_.status_message = outcome.error;
  } else if (outcome.signal) {
    root_.status = SpanStatusCode::kError;
    root_.status_message = "command killed by signal " + std::to_string(*outcome.signal);
  }
  finished_ = true;
  EndSpan(root_, end);
}

}  // namespace cordon
