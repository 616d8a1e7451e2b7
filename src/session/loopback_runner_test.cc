// The protocol end to end, without a sandbox: a minimal runner (a forked child running the event
// loop a real runner needs: spawn with pipes or a PTY, stream output, stdin, resize, signals,
// Exit only after the output is drained) and a host driving it through cordon_ipc. It is both a
// test of the protocol's design and the reference for runner/ and the session manager.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <map>

#include <gtest/gtest.h>

#include "base/sys.h"
#include "ipc/frame_reader.h"
#include "ipc/frame_writer.h"
#include "ipc/handshake.h"
#include "ipc/peer.h"
#include "session/pty.h"

namespace cordon {
namespace {

using namespace ipc;
using std::chrono::milliseconds;

constexpr size_t kHighWater = 1u << 20;  // stop reading children while this much is queued

// ---- the runner ----------------------------------------------------------------------------

struct Child {
  pid_t pid = 0;
  UniqueFd in;        // stdin pipe write end, or a dup of the PTY master
  UniqueFd out, err;  // pipes; for a PTY, `out` is the master and `err` is unused
  bool tty = false;
  bool reaped = false;
  int status = 0;
  std::string stdin_queue;   // Stdin bytes not yet taken by the pipe/PTY (written on POLLOUT)
  bool close_stdin = false;  // CloseStdin arrived: close once the queue is written
};

// Writes what the child's stdin takes now without blocking; closes it when asked and drained.
// Never blocking here is what keeps a child that fills its stdout while we feed its stdin (cat)
// from deadlocking the runner.
void PumpStdin(Child& c) {
  while (c.in && !c.stdin_queue.empty()) {
    ssize_t n = write(c.in.get(), c.stdin_queue.data(), c.stdin_queue.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) c.stdin_queue.clear();  // EPIPE: the child closed its stdin
      break;
    }
    c.stdin_queue.erase(0, static_cast<size_t>(n));
  }
  if (c.close_stdin && c.stdin_queue.empty() && c.in) {
    if (c.tty) (void)!write(c.in.get(), "\x04", 1);  // VEOF: the PTY's end of input
    c.in.reset();
  }
}

// Starts `s`; returns the child or sends SpawnError.
bool StartChild(const Spawn& s, FrameWriter& w, Child* c) {
  auto fail = [&](SpawnStage stage, int err, const std::string& what) {
    (void)w.Enqueue(SpawnError{s.id, stage, err, what});
    return false;
  };
  auto errpipe = SysPipe();
  if (!errpipe) return fail(SpawnStage::kPipes, errpipe.error().err, "error pipe");
  Pty pty;
  FdPair in, out, err;
  if (s.tty) {
    auto p = OpenPty(s.rows, s.cols);
    if (!p) return fail(SpawnStage::kPty, p.error().err, p.error().ToString());
    pty = std::move(*p);
  } else {
    auto i = SysPipe(), o = SysPipe(), e = SysPipe();
    if (!i || !o || !e) return fail(SpawnStage::kPipes, EMFILE, "pipes");
    in = std::move(*i), out = std::move(*o), err = std::move(*e);
  }
  // argv/envp are built before fork: nothing allocates in the child.
  std::vector<char*> argv, envp;
  for (const auto& a : s.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : s.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return fail(SpawnStage::kFork, errno, "fork");
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int step = 0, e = 0;
    if (s.tty) {
      e = AttachControllingTerminal(pty.slave.get());
      step = static_cast<int>(SpawnStage::kPty);
    } else {
      setpgid(0, 0);  // its own group, so Signal reaches its children too
      if (dup2(in.read.get(), 0) < 0 || dup2(out.write.get(), 1) < 0 ||
          dup2(err.write.get(), 2) < 0) {
        e = errno;
        step = static_cast<int>(SpawnStage::kPipes);
      }
    }
    if (e == 0 && !s.cwd.empty() && chdir(s.cwd.c_str()) != 0) {
      e = errno;
      step = static_cast<int>(SpawnStage::kChdir);
    }
    if (e == 0) {
      execvpe(argv[0], argv.data(), envp.data());
      e = errno;
      step = static_cast<int>(SpawnStage::kExec);
    }
    const int record[2] = {step, e};
    (void)!write(errpipe->write.get(), record, sizeof record);
    _exit(127);
  }
  errpipe->write.reset();
  int record[2];
  auto got = ReadFull(errpipe->read.get(), record, sizeof record);
  c->pid = pid;
  c->tty = s.tty;
  if (got && *got == sizeof record) {  // exec failed: reap now, report, forget the id
    waitpid(pid, nullptr, 0);
    return fail(static_cast<SpawnStage>(record[0]), record[1], "cannot start " + s.argv[0]);
  }
  if (s.tty) {
    c->in.reset(dup(pty.master.get()));
    c->out = std::move(pty.master);
    if (!s.stdin_open) (void)!write(c->in.get(), "\x04", 1);
  } else {
    if (s.stdin_open) c->in = std::move(in.write);
    c->out = std::move(out.read);
    c->err = std::move(err.read);
  }
  for (int fd : {c->out.get(), c->err.get(), c->in.get()}) {
    if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  (void)w.Enqueue(SpawnReady{s.id, pid});
  return true;
}

// The runner's whole life: handshake, then one poll loop until Shutdown or the host is gone.
int RunnerMain(int bootstrap_fd) {
  auto control = SysSocketpair(SOCK_STREAM | SOCK_NONBLOCK);
  if (!control || !SendFd(bootstrap_fd, control->write.get())) return 10;
  control->write.reset();
  const int fd = control->read.get();
  auto version = RunnerHandshake(fd, "loopback-runner", DeadlineAfter(milliseconds(5000)));
  if (!version) return 11;
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, nullptr);
  UniqueFd sigfd(signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC));
  FrameReader reader(*version, *version);
  FrameWriter writer(*version);
  std::map<uint64_t, Child> children;
  bool host_gone = false;
  while (!host_gone || !writer.empty()) {
    std::vector<pollfd> fds = {
        {fd, static_cast<short>((host_gone ? 0 : POLLIN) | (writer.empty() ? 0 : POLLOUT)), 0},
        {sigfd.get(), POLLIN, 0}};
    std::vector<std::pair<uint64_t, Stream>> who = {{0, Stream::kStdout}, {0, Stream::kStdout}};
    const size_t first_stdin = fds.size();
    for (auto& [id, c] : children) {  // stdin that is waiting for room
      if (!c.in || c.stdin_queue.empty()) continue;
      fds.push_back({c.in.get(), POLLOUT, 0});
      who.push_back({id, Stream::kStdout});
    }
    const size_t first_output = fds.size();
    for (auto& [id, c] : children) {
      if (writer.queued_bytes() >= kHighWater) break;  // back-pressure
      if (c.out) {
        fds.push_back({c.out.get(), POLLIN, 0});
        who.push_back({id, c.tty ? Stream::kPty : Stream::kStdout});
      }
      if (c.err) {
        fds.push_back({c.err.get(), POLLIN, 0});
        who.push_back({id, Stream::kStderr});
      }
    }
    if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return 12;
    if (fds[0].revents & POLLOUT) {
      if (!writer.Flush(fd)) return 13;
    }
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      auto state = reader.ReadFrom(fd);
      if (!state) return 14;
      for (;;) {
        auto next = reader.Next();
        if (!next) return 15;  // bad frame: the connection ends
        if (!next->has_value()) break;
        Message& m = **next;
        if (auto* s = std::get_if<Spawn>(&m)) {
          if (children.count(s->id)) {
            (void)writer.Enqueue(
                SpawnError{s->id, SpawnStage::kBadRequest, EEXIST, "duplicate id"});
            continue;
          }
          Child c;
          if (StartChild(*s, writer, &c)) children.emplace(s->id, std::move(c));
        } else if (auto* in = std::get_if<Stdin>(&m)) {
          auto it = children.find(in->id);
          if (it != children.end() && it->second.in) {
            it->second.stdin_queue += in->bytes;
            PumpStdin(it->second);
          }
        } else if (auto* cl = std::get_if<CloseStdin>(&m)) {
          auto it = children.find(cl->id);
          if (it != children.end()) {
            it->second.close_stdin = true;
            PumpStdin(it->second);
          }
        } else if (auto* r = std::get_if<Resize>(&m)) {
          auto it = children.find(r->id);
          if (it != children.end() && it->second.tty) {
            (void)SetWindowSize(it->second.out.get(), r->rows, r->cols);
          }
        } else if (auto* sig = std::get_if<Signal>(&m)) {
          auto it = children.find(sig->id);
          if (it != children.end() && !it->second.reaped) kill(-it->second.pid, sig->signo);
        } else if (std::holds_alternative<Shutdown>(m)) {
          for (auto& [id, c] : children) {
            if (!c.reaped) kill(-c.pid, SIGKILL);
          }
          return 0;
        }
      }
      if (*state == FrameReader::ReadState::kEof) host_gone = true;
    }
    // Output: read what is there; EOF (or EIO on a PTY master) closes the stream.
    for (size_t i = first_stdin; i < first_output; ++i) {
      if (fds[i].revents != 0) PumpStdin(children[who[i].first]);
    }
    for (size_t i = first_output; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      auto& c = children[who[i].first];
      UniqueFd& stream_fd = who[i].second == Stream::kStderr ? c.err : c.out;
      char buf[kMaxChunkSize];
      ssize_t n = read(stream_fd.get(), buf, sizeof buf);
      if (n > 0) {
        (void)writer.EnqueueOutput(who[i].first, who[i].second, std::string_view(buf, n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        stream_fd.reset();
        if (c.tty) c.in.reset();  // the PTY master's dup goes with it
      }
    }
    // Reap, then report Exit only for processes whose streams are drained and closed.
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info;
      while (read(sigfd.get(), &info, sizeof info) > 0) {
      }
      for (auto& [id, c] : children) {
        if (!c.reaped && waitpid(c.pid, &c.status, WNOHANG) == c.pid) c.reaped = true;
      }
    }
    for (auto it = children.begin(); it != children.end();) {
      Child& c = it->second;
      if (c.reaped && !c.out && !c.err) {
        const bool sig = WIFSIGNALED(c.status);
        (void)writer.Enqueue(
            Exit{it->first, sig, sig ? WTERMSIG(c.status) : WEXITSTATUS(c.status)});
        it = children.erase(it);
      } else {
        ++it;
      }
    }
    if (host_gone) break;
  }
  for (auto& [id, c] : children) {  // the host is gone: nothing may outlive it
    if (!c.reaped) kill(-c.pid, SIGKILL);
  }
  return 0;
}

// ---- the host ------------------------------------------------------------------------------

class Host {
 public:
  void Start() {
    auto boot = SysSocketpair(SOCK_STREAM);
    ASSERT_TRUE(boot.ok());
    runner_ = fork();
    if (runner_ == 0) {
      boot->read.reset();
      _exit(RunnerMain(boot->write.get()));
    }
    boot->write.reset();
    auto fd = ReceiveFd(boot->read.get(), DeadlineAfter(milliseconds(5000)));
    ASSERT_TRUE(fd.ok()) << fd.error().ToString();
    fd_ = std::move(*fd);
    auto hs = HostHandshake(fd_.get(), runner_, DeadlineAfter(milliseconds(5000)));
    ASSERT_TRUE(hs.ok()) << hs.error().ToString();
    reader_.SetVersion(hs->version);
    writer_.SetVersion(hs->version);
    fcntl(fd_.get(), F_SETFL, O_NONBLOCK);
  }
  ~Host() {
    if (runner_ > 0) {
      (void)writer_.Enqueue(Shutdown{});
      (void)writer_.Flush(fd_.get());
      // Bounded: a runner that does not exit within 5 s is killed (and the test fails).
      int status = 0;
      pid_t done = 0;
      for (int i = 0; i < 500 && done == 0; ++i) {
        done = waitpid(runner_, &status, WNOHANG);
        if (done == 0) usleep(10000);
      }
      if (done == 0) {
        kill(runner_, SIGKILL);
        waitpid(runner_, &status, 0);
      }
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    }
  }

  void Send(const Message& m) { ASSERT_TRUE(writer_.Enqueue(m).ok()); }

  // Pumps the socket until a message satisfying `done` arrives; every message goes to `seen`.
  template <typename Done>
  void PumpUntil(Done done, int timeout_ms = 10000) {
    const auto deadline = DeadlineAfter(milliseconds(timeout_ms));
    for (;;) {
      pollfd p{fd_.get(), static_cast<short>(POLLIN | (writer_.empty() ? 0 : POLLOUT)), 0};
      ASSERT_GE(poll(&p, 1, 100), 0);
      ASSERT_LT(Clock::now(), deadline) << "timed out";
      if (p.revents & POLLOUT) {
        ASSERT_TRUE(writer_.Flush(fd_.get()).ok());
      }
      if (!(p.revents & POLLIN)) continue;
      auto st = reader_.ReadFrom(fd_.get());
      ASSERT_TRUE(st.ok()) << st.error().ToString();
      ASSERT_NE(*st, FrameReader::ReadState::kEof) << "runner closed the connection";
      for (;;) {
        auto next = reader_.Next();
        ASSERT_TRUE(next.ok()) << next.error().ToString();
        if (!next->has_value()) break;
        seen.push_back(**next);
        if (done(seen.back())) return;
      }
    }
  }

  struct Outcome {
    std::string out, err, pty;
    std::optional<Exit> exit;
    std::optional<SpawnError> error;
  };
  // Collects everything about `id` until its Exit or SpawnError.
  Outcome Collect(uint64_t id) {
    Outcome r;
    PumpUntil([&](const Message& m) {
      if (auto* o = std::get_if<Output>(&m); o && o->id == id) {
        (o->stream == Stream::kStdout   ? r.out
         : o->stream == Stream::kStderr ? r.err
                                        : r.pty) += o->bytes;
      } else if (auto* e = std::get_if<Exit>(&m); e && e->id == id) {
        r.exit = *e;
        return true;
      } else if (auto* se = std::get_if<SpawnError>(&m); se && se->id == id) {
        r.error = *se;
        return true;
      }
      return false;
    });
    return r;
  }

  std::vector<Message> seen;

 private:
  pid_t runner_ = -1;
  UniqueFd fd_;
  FrameReader reader_;
  FrameWriter writer_;
};

const std::vector<std::string> kEnv = {"PATH=/usr/bin:/bin", "LC_ALL=C"};

TEST(LoopbackRunner, PipesKeepStdoutAndStderrApartAndReportTheExitCode) {
  Host host;
  ASSERT_NO_FATAL_FAILURE(host.Start());
  host.Send(
      Spawn{1, {"sh", "-c", "echo out; echo err >&2; exit 3"}, "/", kEnv, false, 0, 0, false});
  auto r = host.Collect(1);
  ASSERT_TRUE(r.exit.has_value());
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_EQ(r.exit->code, 3);
  EXPECT_FALSE(r.exit->signaled);
  EXPECT_TRUE(std::holds_alternative<SpawnReady>(host.seen.front()));
}

TEST(LoopbackRunner, WriteThenExitNeverLosesTheTail) {
  Host host;
  ASSERT_NO_FATAL_FAILURE(host.Start());
  std::string expected;
  for (int i = 1; i <= 30000; ++i) expected += std::to_string(i) + "\n";
  for (uint64_t id = 1; id <= 200; ++id) {
    host.Send(Spawn{id, {"seq", "30000"}, "", kEnv, id % 2 == 0, 24, 80, id % 2 == 0});
    auto r = host.Collect(id);
    ASSERT_TRUE(r.exit.has_value());
    ASSERT_EQ(r.exit->code, 0);
    if (id % 2 == 0) {
      // A PTY turns "\n" into "\r\n" (ONLCR).
      std::string plain;
      for (char c : r.pty) {
        if (c != '\r') plain += c;
      }
      ASSERT_EQ(plain, expected) << "run " << id;
    } else {
      ASSERT_EQ(r.out.size(), expected.size()) << "run " << id;
      ASSERT_EQ(r.out, expected) << "run " << id;
    }
  }
}

TEST(LoopbackRunner, StdinIsStreamedAndClosed) {
  Host host;
  ASSERT_NO_FATAL_FAILURE(host.Start());
  host.Send(Spawn{7, {"cat"}, "", kEnv, false, 0, 0, true});
  std::string input;
  for (int i = 0; i < 20000; ++i) input += "line " + std::to_string(i) + "\n";
  for (size_t at = 0; at < input.size(); at += 50000) {
    host.Send(Stdin{7, input.substr(at, 50000)});
  }
  host.Send(CloseStdin{7});
  auto r = host.Collect(7);
  ASSERT_TRUE(r.exit.has_value());
  EXPECT_EQ(r.exit->code, 0);
  EXPECT_TRUE(r.out == input);
}

TEST(LoopbackRunner, PtySessionSizeResizeAndSignal) {
  Host host;
  ASSERT_NO_FATAL_FAILURE(host.Start());
  host.Send(Spawn{2, {"sh", "-c", "stty size; tty"}, "", kEnv, true, 33, 99, true});
  auto r = host.Collect(2);
  ASSERT_TRUE(r.exit.has_value());
  EXPECT_NE(r.pty.find("33 99"), std::string::npos) << r.pty;
  EXPECT_NE(r.pty.find("/dev/pts/"), std::string::npos) << r.pty;

  // Resize reaches the foreground job as SIGWINCH (its trap runs once `sleep` returns).
  host.Send(Spawn{
      3,
      {"sh", "-c", "trap 'stty size; exit 0' WINCH; echo ready; while :; do sleep 0.05; done"},
      "",
      kEnv,
      true,
      24,
      80,
      true});
  host.PumpUntil([](const Message& m) {
    auto* o = std::get_if<Output>(&m);
    return o && o->id == 3 && o->bytes.find("ready") != std::string::npos;
  });
  host.Send(Resize{3, 40, 100});
  r = host.Collect(3);
  ASSERT_TRUE(r.exit.has_value());
  EXPECT_EQ(r.exit->code, 0);
  EXPECT_NE(r.pty.find("40 100"), std::string::npos) << r.pty;

  host.Send(Spawn{4, {"sleep", "100"}, "", kEnv, false, 0, 0, false});
  host.PumpUntil([](const Message& m) { return std::holds_alternative<SpawnReady>(m); });
  host.Send(Signal{4, SIGTERM});
  r = host.Collect(4);
  ASSERT_TRUE(r.exit.has_value());
  EXPECT_TRUE(r.exit->signaled);
  EXPECT_EQ(r.exit->code, SIGTERM);
}

TEST(LoopbackRunner, SpawnErrorsNameTheStage) {
  Host host;
  ASSERT_NO_FATAL_FAILURE(host.Start());
  host.Send(Spawn{5, {"/nonexistent/program"}, "", kEnv, false, 0, 0, false});
  auto r = host.Collect(5);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->stage, SpawnStage::kExec);
  EXPECT_EQ(r.error->err, ENOENT);
  host.Send(Spawn{6, {"true"}, "/nonexistent/dir", kEnv, false, 0, 0, false});
  r = host.Collect(6);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->stage, SpawnStage::kChdir);
}

}  // namespace
}  // namespace cordon
