// `cordon explain` and `cordon doctor`, run as real processes.
#include <gtest/gtest.h>

#include "support/run.h"

namespace cordon::testing {
namespace {

TEST(Explain, PrintsPolicyMountsLandlockSeccompAndEnvironment) {
  TempDir dir;
  Sh("mkdir ws && cd ws && git init -q .", dir.path());
  RunResult r = Cordon({"explain", "-C", dir / "ws", "--", "make", "test"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& want : std::vector<std::string>{
       "profile:    :workspace", "command:    make test", "mounts, in order:",
        "root-from-host ro /", "bind ro " + (dir / "ws") + "/.git", "proc /proc", "landlock",
        "mount layer only: " + (dir / "ws") + "/.git", "seccomp (refused calls):",
        "io_uring_setup", "ioctl(TIOCSTI)", "namespaces: user mount pid net ipc uts cgroup",
        "no_new_privs: yes", "set   CORDON_SANDBOX=1"}) {
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
  RunResult py = cordon::testing::Run({"/usr/bin/python3", "-c",
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

}  // namespace
}  // namespace cordon::testing
