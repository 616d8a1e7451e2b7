// The run report's JSON and its destinations: real files, symlinks and pipes.
#include "cli/run_report.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/sys.h"

namespace cordon {
namespace {

TEST(RunReport, ExitedRunWithBlockedHosts) {
  ExecOutcome o;
  o.kind = ExecOutcome::Kind::kExited;
  o.code = 3;
  o.blocked_hosts.push_back({"evil.test",
                             443,
                             "evil.test:443 is denied by the rule \"evil.test\"",
                             2,
                             {"connect", "socks5"}});
  const auto j = RunReportJson(o, {"dev", "proxy", 12.3456789});
  EXPECT_EQ(j.dump(),
            R"({"cordon_run_report":1,"outcome":"exited","exit_status":3,"exit_code":3,)"
            R"("signal":null,"signal_name":null,"error":null,"duration_ms":12.345,)"
            R"("profile":"dev","network":{"mode":"proxy","blocked_hosts":[{"host":"evil.test",)"
            R"("port":443,"protocols":["connect","socks5"],"reason":"evil.test:443 is denied by )"
            R"(the rule \"evil.test\"","count":2}]}})");
}

TEST(RunReport, SignaledAndFailedRuns) {
  ExecOutcome killed;
  killed.kind = ExecOutcome::Kind::kSignaled;
  killed.signal = SIGKILL;
  auto j = RunReportJson(killed, {"p", "none", 1});
  EXPECT_EQ(j["outcome"], "signaled");
  EXPECT_EQ(j["exit_status"], 137);
  EXPECT_TRUE(j["exit_code"].is_null());
  EXPECT_EQ(j["signal"], SIGKILL);
  EXPECT_EQ(j["signal_name"], "SIGKILL");
  EXPECT_EQ(j["network"]["blocked_hosts"], nlohmann::ordered_json::array());

  ExecOutcome setup;  // e.g. a config error: no policy yet
  setup.kind = ExecOutcome::Kind::kSetupFailed;
  setup.error = PlainError("parse config", "bad key");
  j = RunReportJson(setup, {});
  EXPECT_EQ(j["outcome"], "setup_failed");
  EXPECT_EQ(j["exit_status"], 125);
  EXPECT_EQ(j["error"], "parse config: bad key");
  EXPECT_TRUE(j["profile"].is_null());
  EXPECT_TRUE(j["network"]["mode"].is_null());
}

class RunReportSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cordon-report-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    ::unlink((dir_ + "/r.json").c_str());
    ::unlink((dir_ + "/link").c_str());
    ::unlink((dir_ + "/victim").c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_;
};

TEST_F(RunReportSinkTest, FileIsRewrittenFromItsStart) {
  const std::string path = dir_ + "/r.json";
  auto sink = RunReportSink::OpenFile(path);
  ASSERT_TRUE(sink.ok()) << sink.error().ToString();
  EXPECT_TRUE(sink->wanted());
  // What a sandboxed command might have written into the file during the run is discarded.
  ASSERT_TRUE(WriteStringToFile(path, std::string(100, 'x')).ok());
  ASSERT_TRUE(sink->Write(nlohmann::ordered_json{{"a", 1}}).ok());
  EXPECT_EQ(*ReadFileToString(path), "{\"a\":1}\n");
}

TEST_F(RunReportSinkTest, ReplacedFileIsAnError) {
  const std::string path = dir_ + "/r.json";
  auto sink = RunReportSink::OpenFile(path);
  ASSERT_TRUE(sink.ok()) << sink.error().ToString();
  // What a sandboxed command with write access to the directory could do: a new file at the path.
  ASSERT_EQ(::unlink(path.c_str()), 0);
  {
    auto forged = SysOpen(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_TRUE(forged.ok());
    ASSERT_TRUE(WriteAll(forged->get(), "{\"forged\":1}\n").ok());
  }
  const Status written = sink->Write(nlohmann::ordered_json{{"a", 1}});
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.error().ToString().find("removed or replaced during the run"),
            std::string::npos)
      << written.error().ToString();
  ASSERT_EQ(::unlink(path.c_str()), 0);  // removed: also an error
  EXPECT_FALSE(sink->Write(nlohmann::ordered_json{{"a", 1}}).ok());
}

TEST_F(RunReportSinkTest, SymlinkIsRefused) {
  {
    auto victim = SysOpen(dir_ + "/victim", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_TRUE(victim.ok());
    ASSERT_TRUE(WriteAll(victim->get(), "precious").ok());
  }
  ASSERT_EQ(::symlink((dir_ + "/victim").c_str(), (dir_ + "/link").c_str()), 0);
  auto sink = RunReportSink::OpenFile(dir_ + "/link");
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().err, ELOOP);
  EXPECT_EQ(*ReadFileToString(dir_ + "/victim"), "precious");
}

TEST_F(RunReportSinkTest, DescriptorGetsOneLineAndIsCloseOnExec) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  auto sink = RunReportSink::AdoptFd(p[1]);
  ASSERT_TRUE(sink.ok()) << sink.error().ToString();
  EXPECT_EQ(::fcntl(p[1], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  ASSERT_TRUE(sink->Write(nlohmann::ordered_json{{"b", "c"}}).ok());
  *sink = RunReportSink();  // closes the write end
  char buf[64];
  const ssize_t n = ::read(p[0], buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "{\"b\":\"c\"}\n");
  ::close(p[0]);
}

TEST_F(RunReportSinkTest, StandardAndUnusableDescriptorsAreRefused) {
  for (int fd : {0, 1, 2}) EXPECT_FALSE(RunReportSink::AdoptFd(fd).ok()) << fd;
  EXPECT_EQ(RunReportSink::AdoptFd(987).error().err, EBADF);
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  EXPECT_FALSE(RunReportSink::AdoptFd(p[0]).ok());  // the read end
  ::close(p[0]);
  ::close(p[1]);
}

}  // namespace
}  // namespace cordon
