// TracedSession without an exporter: which trace context a serve request runs under, and what a
// session's end records. (Exported spans of real sessions: tests/telemetry/serve_loopback.js.)
#include "cli/traced_session.h"

#include <gtest/gtest.h>

namespace cordon {
namespace {

constexpr char kServer[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr char kRequest[] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

TEST(SessionTraceContext, TheRequestsTraceparentWinsOverTheServers) {
  IncomingTraceContext server{std::string(kServer), std::string("a=1")};
  auto c = SessionTraceContext(std::string(kRequest), std::string("b=2"), server);
  EXPECT_EQ(c.traceparent, kRequest);
  EXPECT_EQ(c.tracestate, "b=2");
  EXPECT_EQ(c.traceparent_name, "the request's traceparent");
}

TEST(SessionTraceContext, WithoutATraceparentTheServersContextIsUsed) {
  IncomingTraceContext server{std::string(kServer), std::string("a=1")};
  auto c = SessionTraceContext(std::nullopt, std::string("b=2"), server);
  EXPECT_EQ(c.traceparent, kServer);
  EXPECT_EQ(c.tracestate, "a=1");
  EXPECT_EQ(c.traceparent_name, "TRACEPARENT");
}

TEST(SessionTraceContext, AnInvalidRequestTraceparentStartsANewTraceNotTheServers) {
  std::vector<std::string> warnings;
  Telemetry telemetry({}, [&](const std::string& m) { warnings.push_back(m); });
  IncomingTraceContext server{std::string(kServer), std::nullopt};
  TracedSession s(telemetry, SessionTraceContext(std::string("00-bad"), std::string("b=2"), server),
                  false);
  // No exporter and no valid parent: inactive, and nothing at all reaches the command.
  EXPECT_FALSE(s.trace().active());
  EXPECT_TRUE(s.trace().ChildEnvironment().empty());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].rfind("ignoring the request's traceparent (", 0), 0u) << warnings[0];
}

TEST(TracedSession, ContinuesTheRequestsTraceForTheCommand) {
  Telemetry telemetry({}, [](const std::string&) {});
  TracedSession s(telemetry, IncomingTraceContext::FromRequest(std::string(kRequest), std::nullopt),
                  true);
  ASSERT_TRUE(s.trace().active());
  EXPECT_EQ(s.trace().trace_id().ToHex(), "0af7651916cd43dd8448eb211c80319c");
  s.CommandStarting(3);
  SessionEnd end;
  end.exit_code = 0;
  s.Ended(end);
}

TEST(TracedSession, OutcomeOfEachEnd) {
  using How = SessionEnd::How;
  SessionEnd exited{How::kExited, 3, std::nullopt, ""};
  EXPECT_EQ(TracedSession::OutcomeOf(exited).exit_code, 3);
  EXPECT_EQ(TracedSession::OutcomeOf(exited).ended_by, "");
  SessionEnd killed{How::kExited, std::nullopt, 9, ""};
  EXPECT_EQ(TracedSession::OutcomeOf(killed).signal, 9);
  SessionEnd spawn{How::kSpawnFailed, 127, std::nullopt, "execve: ENOENT"};
  EXPECT_EQ(TracedSession::OutcomeOf(spawn).error, "execve: ENOENT");
  EXPECT_EQ(TracedSession::OutcomeOf(spawn).exit_code, 127);
  EXPECT_EQ(TracedSession::OutcomeOf({How::kTerminated, {}, {}, {}}).ended_by, "terminated");
  EXPECT_EQ(TracedSession::OutcomeOf({How::kEvicted, {}, {}, {}}).ended_by, "evicted");
  EXPECT_EQ(TracedSession::OutcomeOf({How::kServerShutdown, {}, {}, {}}).ended_by,
            "server_shutdown");
  EXPECT_TRUE(TracedSession::OutcomeOf({How::kServerShutdown, {}, {}, {}}).error.empty());
  SessionEnd lost{How::kSandboxLost, 125, std::nullopt, "the sandbox ended: x"};
  EXPECT_EQ(TracedSession::OutcomeOf(lost).error, "the sandbox ended: x");
}

}  // namespace
}  // namespace cordon
