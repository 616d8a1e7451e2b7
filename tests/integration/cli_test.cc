// `cordon explain` and `cordon doctor`, run as real processes.
#include <gtest/gtest.h>

#include <chrono>

#include "support/run.h"

namespace cordon::testing {
namespace {

TEST(Explain, PrintsPolicyMountsLandlockSeccompAndEnvironment) {
  TempDir dir;
  Sh("mkdir ws && cd ws && git init -q .", dir.path());
  RunResult r = Cordon({"explain", "-C", dir / "ws", "--", "make", "test"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& want : std::vector<std::string>{
           "profile:    :workspace", "command:    make test",
           "mounts, in order:", "root-from-host ro /", "bind ro " + (dir / "ws") + "/.git",
           "proc /proc", "landlock", "mount layer only: " + (dir / "ws") + "/.git",
           "seccomp (refused calls):", "io_uring_setup", "ioctl(TIOCSTI)",
           "namespaces: user mount pid net ipc uts cgroup", "no_new_privs: yes",
           "set   CORDON_SANDBOX=1"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << "missing: " << want << "\n" << r.out;
  }
}

TEST(Explain, JsonIsMachineReadable) {
  TempDir dir;
  RunResult r = Cordon({"explain", "--json", "-C", dir.path(), "-P", ":read-only", "--", "true"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Parsed by an independent JSON implementation.
  RunOptions o;
  o.stdin_data = r.out;
  RunResult py = cordon::testing::Run(
      {"/usr/bin/python3", "-c",
       "import json,sys; j=json.load(sys.stdin); "
       "print(j['profile'], j['mounts'][0]['kind'], j['mounts'][0]['writable'], "
       "j['argv'], j['no_new_privs'], len(j['seccomp']) > 10)"},
      o);
  EXPECT_EQ(py.out, ":read-only root-from-host False ['true'] True True\n") << py.err;
}

TEST(Explain, ReportsBadInputLikeExec) {
  TempDir dir;
  RunResult r = Cordon({"explain", "-C", dir.path(), "-P", "nope"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("unknown profile 'nope'"), std::string::npos) << r.err;
}

TEST(Doctor, ReportsEveryProbeAndWhatCordonDoes) {
  RunResult r = Cordon({"doctor"});
  for (const char* want : {"user namespaces", "landlock", "seccomp", "cgroups", "-> "}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  }
  // On this kernel (the one the suite targets) every layer is available.
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("ABI "), std::string::npos) << r.out;
}

TEST(Usage, HelpAndVersion) {
  EXPECT_EQ(Cordon({"--help"}).exit_code, 0);
  RunResult v = Cordon({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("cordon "), std::string::npos);
  RunResult none = Cordon({});
  EXPECT_EQ(none.exit_code, 125);
}

// Unknown arguments are named in the order given, with a hint when an option came before the
// subcommand (the usual slip: cordon -C DIR exec ...); nothing runs.
TEST(Usage, UnexpectedArgumentsAreNamedInOrder) {
  RunResult early = Cordon({"-C", "/tmp", "exec", "--", "true"});
  EXPECT_EQ(early.exit_code, 125);
  EXPECT_NE(early.err.find("cordon: unexpected arguments: -C /tmp\n"), std::string::npos)
      << early.err;
  EXPECT_NE(early.err.find("options go after the subcommand"), std::string::npos) << early.err;
  RunResult unknown = Cordon({"exec", "--bogus", "--", "true"});
  EXPECT_EQ(unknown.exit_code, 125);
  EXPECT_NE(unknown.err.find("cordon: unexpected arguments: --bogus\n"), std::string::npos)
      << unknown.err;
  EXPECT_EQ(unknown.err.find("options go after the subcommand"), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace cordon::testing

namespace cordon::testing {
namespace {

TEST(Tracing, CommandReceivesItsOwnTraceparentAndTheUpsertedTracestate) {
  TempDir dir;
  RunOptions o;
  o.env_set = {{"TRACEPARENT", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
               {"TRACESTATE", "dd=o:rum;s:0,other=x"}};
  RunResult r = Cordon({"exec", "-C", dir.path(), "-c", "otel.tracestate={dd={s=\"1\"}}", "--",
                        "/bin/sh", "-c", "echo $TRACEPARENT; echo $TRACESTATE"},
                       o);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string parent = r.out.substr(0, r.out.find('\n'));
  // Same trace, a new parent (the command's span), sampled flag kept.
  EXPECT_EQ(parent.substr(0, 36), "00-4bf92f3577b34da6a3ce929d0e0e4736-");
  EXPECT_NE(parent.substr(36, 16), "00f067aa0ba902b7");
  EXPECT_EQ(parent.substr(52), "-01");
  EXPECT_EQ(r.out.substr(r.out.find('\n') + 1), "dd=o:rum;s:1,other=x\n");
}

TEST(Tracing, InvalidIncomingContextIsNeverPassedOn) {
  TempDir dir;
  RunOptions o;
  o.env_set = {{"TRACEPARENT", "00-zz-bad"}, {"TRACESTATE", "bad key=\x01"}};
  RunResult r = Cordon({"exec", "-C", dir.path(), "--", "/bin/sh", "-c",
                        "echo \"[${TRACEPARENT-unset}] [${TRACESTATE-unset}]\""},
                       o);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("00-zz-bad"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("bad key"), std::string::npos) << r.out;
}

TEST(Tracing, InvalidTracestateConfigIsAnErrorAndNothingRuns) {
  TempDir dir;
  RunResult r = Cordon({"exec", "-C", dir.path(), "-c", "otel.tracestate={dd={\"s,x\"=\"1\"}}",
                        "--", "/bin/sh", "-c", "touch ran"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("otel"), std::string::npos) << r.err;
  EXPECT_FALSE(PathExists(dir / "ran"));
}

TEST(Tracing, UnreachableCollectorCostsAtMostTheFlushTimeout) {
  TempDir dir;
  const auto start = std::chrono::steady_clock::now();
  // Port 9 on loopback (discard) is closed on the test machines: connection refused.
  RunResult r =
      Cordon({"exec", "-C", dir.path(), "-c",
              "otel.trace_exporter={otlp-http={endpoint=\"http://127.0.0.1:9\",timeout_ms=300}}",
              "--", "/bin/sh", "-c", "exit 7"});
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_LT(ms, 300 + 700) << "start-up plus at most the flush timeout";
}

}  // namespace
}  // namespace cordon::testing
