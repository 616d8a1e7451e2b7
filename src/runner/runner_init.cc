// The runner's event loop: one poll over the host socket, a signalfd for SIGCHLD and every
// child's pipes or PTY master. Modelled on the loopback runner of src/session. The runner locks
// itself down (capabilities, no_new_privs, seccomp) as each command would be, then starts every
// command with SpawnLockedDown (vfork + exec).
#include "runner/runner_init.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

#include "base/sys.h"
#include "ipc/frame_reader.h"
#include "ipc/frame_writer.h"
#include "ipc/handshake.h"
#include "ipc/peer.h"
#include "session/pty.h"

namespace cordon {
namespace {

using namespace ipc;

// Stop reading children's output while this much is queued for the host (docs/protocol.md).
constexpr size_t kHighWater = 1u << 20;
// Reads of one child stream per wake-up (see the output loop below).
constexpr int kReadsPerWakeup = 4;
constexpr int kOutputPipeSize = 256 << 10;

struct Child {
  pid_t pid = 0;
  UniqueFd in;        // stdin pipe write end, or a dup of the PTY master
  UniqueFd out, err;  // pipes; for a PTY, `out` is the master and `err` is unused
  bool tty = false;
  bool reaped = false;
  int status = 0;
  std::string stdin_queue;   // bytes the pipe/PTY has not taken yet (written on POLLOUT)
  bool close_stdin = false;  // CloseStdin arrived: close once the queue is written
};

void NoOpHandler(int) {}

// Writes what the child's stdin takes now, never blocking: a child that fills its stdout while
// we feed its stdin (cat) cannot deadlock the runner.
void PumpStdin(Child& c) {
  while (c.in && !c.stdin_queue.empty()) {
    ssize_t n = ::write(c.in.get(), c.stdin_queue.data(), c.stdin_queue.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) c.stdin_queue.clear();  // EPIPE/EIO: nobody reads it any more
      break;
    }
    c.stdin_queue.erase(0, static_cast<size_t>(n));
  }
  if (c.close_stdin && c.stdin_queue.empty() && c.in) {
    if (c.tty) {
      (void)!::write(c.in.get(), "\x04", 1);  // VEOF at the start of a line: end of input
    } else {
      c.in.reset();
    }
    c.close_stdin = false;
  }
}

SpawnStage StageOf(ChildStage stage) {
  switch (stage) {
    case ChildStage::kChdir:
      return SpawnStage::kChdir;
    case ChildStage::kExec:
      return SpawnStage::kExec;
    case ChildStage::kSession:
      return SpawnStage::kPty;
    case ChildStage::kCloseFds:
      return SpawnStage::kPipes;
    default:
      return SpawnStage::kFork;
  }
}

void SetNonBlocking(int fd) {
  if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Starts `s` with the sandbox's launcher; on failure queues SpawnError and returns false.
bool StartChild(const PreparedSandbox& sandbox, const Spawn& s, FrameWriter& w, Child* c) {
  auto fail = [&](SpawnStage stage, int err, const std::string& what) {
    (void)w.Enqueue(SpawnError{s.id, stage, err, what});
    return false;
  };
  Pty pty;
  FdPair in, out, err;
  UniqueFd devnull;
  int fds[3];
  if (s.tty) {
    auto p = OpenPty(s.rows, s.cols);
    if (!p) return fail(SpawnStage::kPty, p.error().err, p.error().ToString());
    pty = std::move(*p);
    fds[0] = fds[1] = fds[2] = pty.slave.get();
  } else {
    auto o = SysPipe(), e = SysPipe();
    if (!o || !e) return fail(SpawnStage::kPipes, !o ? o.error().err : e.error().err, "pipes");
    out = std::move(*o);
    // 256 KiB output pipes (the default is 64 KiB): a fast writer blocks less often while the
    // runner forwards, and each wake-up moves more. Best effort: the limit may be lower
    // (/proc/sys/fs/pipe-max-size, or the user's pipe quota), and 64 KiB still works.
    ::fcntl(out.read.get(), F_SETPIPE_SZ, kOutputPipeSize);
    err = std::move(*e);
    if (s.stdin_open) {
      auto i = SysPipe();
      if (!i) return fail(SpawnStage::kPipes, i.error().err, "pipes");
      in = std::move(*i);
      fds[0] = in.read.get();
    } else {
      devnull.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
      if (!devnull) return fail(SpawnStage::kPipes, errno, "open /dev/null");
      fds[0] = devnull.get();
    }
    fds[1] = out.write.get();
    fds[2] = err.write.get();
  }
  // Built before the clone: the vfork child does not allocate.
  PreparedCommand command(s.argv, s.env, s.cwd.empty() ? sandbox.plan.cwd : s.cwd);
  ChildFailure failure;
  const pid_t pid =
      SpawnLockedDown(command, fds[0], fds[1], fds[2], /*controlling_terminal=*/s.tty, &failure);
  if (pid < 0) {  // could not start (the child is reaped): report, forget the id
    if (failure.stage == ChildStage::kFork) return fail(SpawnStage::kFork, failure.err, "clone");
    return fail(StageOf(failure.stage), failure.err,
                std::string("cannot start ") + s.argv[0] + ": " + ErrnoName(failure.err));
  }
  c->pid = pid;
  c->tty = s.tty;
  if (s.tty) {
    pty.slave.reset();  // only the child holds the slave: EIO on the master once it is gone
    c->in.reset(::dup(pty.master.get()));
    c->out = std::move(pty.master);
    if (!s.stdin_open) (void)!::write(c->in.get(), "\x04", 1);
  } else {
    if (s.stdin_open) c->in = std::move(in.write);
    c->out = std::move(out.read);
    c->err = std::move(err.read);
  }
  SetNonBlocking(c->out.get());
  SetNonBlocking(c->err.get());
  SetNonBlocking(c->in.get());
  (void)w.Enqueue(SpawnReady{s.id, pid});
  return true;
}

// The session of `leader`: every process whose session id or process group is `leader`, and
// every descendant of those (a job that called setsid() is still the child of the shell). The
// whole set is collected before the first kill, while the parent links still hold. A process
// that was already orphaned (re-parented to the runner) in a session of its own escapes; it
// dies with the sandbox.
void KillSession(pid_t leader, int signo) {
  struct Proc {
    pid_t pid, ppid, pgrp, sid;
  };
  std::vector<Proc> procs;
  if (DIR* proc = ::opendir("/proc")) {
    while (dirent* e = ::readdir(proc)) {
      char* end = nullptr;
      const long pid = std::strtol(e->d_name, &end, 10);
      if (pid <= 1 || *end != '\0') continue;
      auto content = ReadFileToString("/proc/" + std::string(e->d_name) + "/stat");
      if (!content) continue;
      // After the command name (which may hold spaces and parentheses): state ppid pgrp sid.
      const size_t close = content->rfind(')');
      char state;
      int ppid, pgrp, sid;
      if (close == std::string::npos || std::sscanf(content->c_str() + close + 1, " %c %d %d %d",
                                                    &state, &ppid, &pgrp, &sid) != 4) {
        continue;
      }
      procs.push_back({static_cast<pid_t>(pid), ppid, pgrp, sid});
    }
    ::closedir(proc);
  }
  std::vector<pid_t> doomed = {leader};
  for (const Proc& p : procs) {
    if (p.pid != leader && (p.sid == leader || p.pgrp == leader)) doomed.push_back(p.pid);
  }
  for (size_t i = 0; i < doomed.size(); ++i) {  // grows while descendants are found
    for (const Proc& p : procs) {
      if (p.ppid == doomed[i] && std::find(doomed.begin(), doomed.end(), p.pid) == doomed.end()) {
        doomed.push_back(p.pid);
      }
    }
  }
  ::kill(-leader, signo);
  for (pid_t pid : doomed) ::kill(pid, signo);
}

}  // namespace

int RunnerInit(void* arg, const PreparedSandbox& sandbox, int bootstrap_fd, int error_fd) {
  const auto* args = static_cast<const RunnerInitArgs*>(arg);
  // SIGPIPE (a child closed its stdin) must not end the init; a handler, unlike SIG_IGN, is not
  // inherited across exec. SIGCHLD is read from a signalfd.
  struct sigaction sa {};
  sa.sa_handler = NoOpHandler;
  ::sigaction(SIGPIPE, &sa, nullptr);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  UniqueFd sigfd(::signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!sigfd) return 20;

  auto control = SysSocketpair(SOCK_STREAM);
  if (!control) return 21;
  // The runner's commands all get the same capabilities, no_new_privs and seccomp filter: apply
  // them to the runner itself, once, before it reads a request, so that each command needs only
  // a vfork and an exec (SpawnLockedDown). A failure is reported like any set-up failure.
  if (const ChildFailure f = LockDownCurrentProcess(sandbox); f.stage != ChildStage::kNone) {
    (void)!::write(error_fd, &f, sizeof f);
    return 24;
  }
  ::close(error_fd);  // set-up is done: the host's WaitReady sees end of file
  if (!SendFd(bootstrap_fd, control->write.get())) return 22;
  control->write.reset();
  ::close(bootstrap_fd);
  const int fd = control->read.get();
  auto version = RunnerHandshake(
      fd, "cordon-runner", DeadlineAfter(std::chrono::milliseconds(args->handshake_timeout_ms)));
  if (!version) return 23;
  SetNonBlocking(fd);

  FrameReader reader(*version, *version);
  FrameWriter writer(*version);
  std::map<uint64_t, Child> children;
  std::vector<char> buffer(kMaxChunkSize);
  std::vector<pollfd> fds;
  enum class Kind { kControl, kStdin, kOut, kErr };
  std::vector<std::pair<uint64_t, Kind>> who;
  bool host_gone = false;
  for (;;) {
    fds.assign(
        {{fd, static_cast<short>((host_gone ? 0 : POLLIN) | (writer.empty() ? 0 : POLLOUT)), 0},
         {sigfd.get(), POLLIN, 0}});
    who.assign(2, {0, Kind::kControl});
    for (auto& [id, c] : children) {
      if (c.in && !c.stdin_queue.empty()) {
        fds.push_back({c.in.get(), POLLOUT, 0});
        who.push_back({id, Kind::kStdin});
      }
      if (writer.queued_bytes() >= kHighWater) continue;  // back-pressure: leave it in the pipe
      if (c.out) {
        fds.push_back({c.out.get(), POLLIN, 0});
        who.push_back({id, Kind::kOut});
      }
      if (c.err) {
        fds.push_back({c.err.get(), POLLIN, 0});
        who.push_back({id, Kind::kErr});
      }
    }
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) break;
    if (fds[0].revents & (POLLOUT | POLLERR)) {
      if (!writer.Flush(fd)) break;  // the host is gone
    }
    if (!host_gone && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      auto state = reader.ReadFrom(fd);
      if (!state) break;
      bool shutdown = false;
      for (;;) {
        auto next = reader.Next();
        if (!next) {  // a bad frame ends the connection, and with it the sandbox
          shutdown = true;
          break;
        }
        if (!next->has_value()) break;
        Message& m = **next;
        if (auto* s = std::get_if<Spawn>(&m)) {
          if (children.count(s->id) != 0) {
            (void)writer.Enqueue(
                SpawnError{s->id, SpawnStage::kBadRequest, EEXIST, "duplicate id"});
            continue;
          }
          Child c;
          if (StartChild(sandbox, *s, writer, &c)) children.emplace(s->id, std::move(c));
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
          if (it != children.end() && it->second.tty && it->second.out) {
            (void)SetWindowSize(it->second.out.get(), r->rows, r->cols);
          }
        } else if (auto* sig = std::get_if<Signal>(&m)) {
          auto it = children.find(sig->id);
          if (it == children.end()) continue;
          // SIGKILL ends the whole session (terminate); other signals go to the process group.
          if (sig->signo == SIGKILL) {
            KillSession(it->second.pid, SIGKILL);
          } else {
            ::kill(-it->second.pid, sig->signo);
          }
        } else if (auto* all = std::get_if<TerminateAll>(&m)) {
          ::kill(-1, all->signo);  // from the init: every process in the namespace but itself
        } else if (std::holds_alternative<Shutdown>(m)) {
          shutdown = true;
          break;
        } else {
          shutdown = true;  // a runner-to-host message from the host: a confused peer
          break;
        }
      }
      if (shutdown) break;
      if (*state == FrameReader::ReadState::kEof) host_gone = true;
    }
    if (host_gone) break;  // nothing may outlive the host
    for (size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      auto it = children.find(who[i].first);
      if (it == children.end()) continue;
      Child& c = it->second;
      if (who[i].second == Kind::kStdin) {
        PumpStdin(c);
        continue;
      }
      UniqueFd& stream_fd = who[i].second == Kind::kErr ? c.err : c.out;
      if (!stream_fd) continue;
      const Stream stream =
          c.tty ? Stream::kPty : (who[i].second == Kind::kErr ? Stream::kStderr : Stream::kStdout);
      // Bulk output: up to kReadsPerWakeup chunks per poll, each straight from the pipe into
      // the socket (header + bytes in one sendmsg), so that a fast writer costs one poll per
      // 256 KiB rather than per 64 KiB. A PTY gives at most a few KiB per read; it is read
      // until it is empty in the same way.
      for (int reads = 0; reads < kReadsPerWakeup && stream_fd; ++reads) {
        ssize_t n = ::read(stream_fd.get(), buffer.data(), buffer.size());
        if (n > 0) {
          if (!writer.SendOutput(fd, who[i].first, stream,
                                 std::string_view(buffer.data(), static_cast<size_t>(n)))) {
            host_gone = true;
            break;
          }
          if (writer.queued_bytes() >= kHighWater) break;  // the host is behind: back-pressure
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
          break;  // drained for now
        } else if (n < 0 && c.tty && reads > 0) {
          // EIO from a PTY master right after a read that returned data is not trusted as the
          // end: under load the kernel can report the slave's hang-up while the last bytes it
          // wrote are still on their way into the master's buffer (a 1000-run test lost
          // tails this way). Poll again; the EIO that the first read after a poll returns is.
          break;
        } else {
          // EOF, or EIO from a PTY master once every slave descriptor is closed.
          stream_fd.reset();
          if (c.tty) c.in.reset();
        }
      }
      if (host_gone) break;
    }
    if (host_gone) break;
    // Reap on SIGCHLD only (orphans included); Exit goes out once a child's streams are closed.
    bool child_exited = false;
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info;
      while (::read(sigfd.get(), &info, sizeof info) > 0) child_exited = true;
    }
    while (child_exited) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      for (auto& [id, c] : children) {
        if (c.pid == pid) {
          c.reaped = true;
          c.status = status;
        }
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
    if (!writer.empty() && !writer.Flush(fd)) break;
  }
  // Shutdown, a bad frame or the host gone: kill every process; returning ends the namespace.
  ::kill(-1, SIGKILL);
  return 0;
}

}  // namespace cordon
