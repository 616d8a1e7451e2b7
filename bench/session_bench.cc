// Sessions benchmark (issue 5): warm command latency in a live sandbox vs a bare fork+exec+wait vs
// a cold `cordon exec`; 1 GiB through a pipe session and a PTY session vs a raw pipe and a raw
// PTY; memory of 64 idle sessions. Prints medians and ratios.
//   build/bench/session_bench [--runs 200] [--mib 1024]
#include <fcntl.h>
#include <pty.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "cli/invocation.h"
#include "server/session_manager.h"

using namespace cordon;
using Clock = std::chrono::steady_clock;
extern char** environ;

namespace {

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}
double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
int SpawnWait(std::vector<std::string> argv, int out_fd = -1) {
  std::vector<char*> a;
  for (auto& s : argv) a.push_back(s.data());
  a.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (out_fd >= 0) posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  pid_t pid;
  if (posix_spawn(&pid, a[0], &fa, nullptr, a.data(), environ) != 0) return -1;
  posix_spawn_file_actions_destroy(&fa);
  int status;
  waitpid(pid, &status, 0);
  return status;
}
long RssKb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

// Reads `fd` to EOF (or EIO for a PTY master); returns the bytes read.
uint64_t Drain(int fd) {
  static char buf[1 << 16];
  uint64_t total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return total;
    total += static_cast<uint64_t>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 200;
  int mib = 1024;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--mib")) mib = std::atoi(argv[i + 1]);
  }
  const std::string head_arg = std::to_string(static_cast<uint64_t>(mib) << 20);
  Invocation inv;
  inv.command = {"true"};
  auto resolved = Resolve(inv, true);
  if (!resolved) {
    std::fprintf(stderr, "resolve: %s\n", resolved.error().ToString().c_str());
    return 1;
  }
  const Plan plan = resolved->plan;
  auto resolver = [&plan](const ExecRequest& r) -> Result<ResolvedCommand> {
    ResolvedCommand c{plan, "bench", nullptr};
    c.plan.argv = r.cmd;
    return c;
  };
  SessionLimits limits;
  limits.max_output_bytes = 64 << 10;
  SessionManager manager(limits, resolver);

  // --- latency ---
  auto exec = [&](std::vector<std::string> cmd, bool tty) {
    ExecRequest r;
    r.cmd = std::move(cmd);
    r.tty = tty;
    r.yield_time_ms = 300'000;
    r.max_output_bytes = 1024;
    return manager.ExecCommand(r);
  };
  auto first = exec({"true"}, false);  // starts the warm sandbox
  if (!first || first->exit_code != 0) {
    std::fprintf(stderr, "warm-up failed\n");
    return 1;
  }
  std::vector<double> warm, bare, cold;
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    auto r = exec({"/bin/true"}, false);
    auto t1 = Clock::now();
    if (!r || r->exit_code != 0) return 1;
    warm.push_back(Ms(t0, t1));
    t0 = Clock::now();
    SpawnWait({"/bin/true"});
    bare.push_back(Ms(t0, Clock::now()));
  }
  for (int i = 0; i < std::max(20, runs / 5); ++i) {
    auto t0 = Clock::now();
    SpawnWait({CORDON_BIN, "exec", "--no-tty", "--", "/bin/true"});
    cold.push_back(Ms(t0, Clock::now()));
  }
  std::printf("latency (median of %d): warm session %.3f ms, bare fork+exec+wait %.3f ms "
              "(warm/bare %.2fx), cold cordon exec %.3f ms\n",
              runs, Median(warm), Median(bare), Median(warm) / Median(bare), Median(cold));

  // --- throughput ---
  std::vector<double> pipe_s, pty_s, raw_pipe, raw_pty;
  for (int rep = 0; rep < 3; ++rep) {
    for (bool tty : {false, true}) {
      auto t0 = Clock::now();
      auto r = exec({"head", "-c", head_arg, "/dev/zero"}, tty);
      if (!r || r->exit_code != 0) return 1;
      (tty ? pty_s : pipe_s).push_back(mib / (Ms(t0, Clock::now()) / 1000));
    }
    int p[2];
    pipe(p);
    auto t0 = Clock::now();
    pid_t pid = fork();
    if (pid == 0) {
      dup2(p[1], 1);
      execlp("head", "head", "-c", head_arg.c_str(), "/dev/zero", nullptr);
      _exit(127);
    }
    close(p[1]);
    Drain(p[0]);
    waitpid(pid, nullptr, 0);
    close(p[0]);
    raw_pipe.push_back(mib / (Ms(t0, Clock::now()) / 1000));
    int master, slave;
    openpty(&master, &slave, nullptr, nullptr, nullptr);
    t0 = Clock::now();
    pid = fork();
    if (pid == 0) {
      setsid();
      dup2(slave, 1);
      execlp("head", "head", "-c", head_arg.c_str(), "/dev/zero", nullptr);
      _exit(127);
    }
    close(slave);
    Drain(master);
    waitpid(pid, nullptr, 0);
    close(master);
    raw_pty.push_back(mib / (Ms(t0, Clock::now()) / 1000));
  }
  std::printf("throughput (%d MiB, median of 3): pipe session %.0f MiB/s vs raw pipe %.0f MiB/s "
              "(%.2fx); pty session %.0f MiB/s vs raw pty %.0f MiB/s (%.2fx)\n",
              mib, Median(pipe_s), Median(raw_pipe), Median(pipe_s) / Median(raw_pipe),
              Median(pty_s), Median(raw_pty), Median(pty_s) / Median(raw_pty));

  // --- memory ---
  const long self_before = RssKb(getpid());
  const pid_t runner = manager.RunnerPids().at(0);
  const long runner_before = RssKb(runner);
  for (int i = 0; i < 64; ++i) {
    ExecRequest r;
    r.cmd = {"sleep", "600"};
    r.tty = i % 2 == 0;
    r.yield_time_ms = 0;
    if (!manager.ExecCommand(r)) return 1;
  }
  manager.PumpOnce(200);
  std::printf("memory of 64 idle sessions (half PTY): cordon +%ld KiB (RSS %ld KiB), runner +%ld "
              "KiB (RSS %ld KiB)\n",
              RssKb(getpid()) - self_before, RssKb(getpid()), RssKb(runner) - runner_before,
              RssKb(runner));
  manager.Shutdown();
  return 0;
}
