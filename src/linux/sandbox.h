// The executor: creates a sandbox from a plan and runs code inside it as the sandbox's init.
//
// Prepare in the parent, apply in the child: PrepareSandbox computes everything (C strings for
// every path, the seccomp program, the Landlock ruleset, argv/envp arrays) before clone3(); the
// child walks those immutable values, and reports a failure as a fixed {stage, index, errno}
// record over a close-on-exec pipe, which the parent turns into a readable error.
//
// INVARIANT: the child is a copy of the parent made by a raw clone3() (glibc's fork handlers do
// not run), so a lock another thread of the parent held at that moment stays locked forever in
// the child. Either the caller is single-threaded when it calls Sandbox::Start, or the InitMain
// it passes never allocates or takes a lock (the one-shot init does neither; SpawnInSandbox uses
// _Fork and does not allocate before exec).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "linux/host_placeholders.h"
#include "linux/landlock.h"
#include "linux/seccomp_filter.h"
#include "plan/plan.h"

namespace cordon {

// What went wrong in the child, as written to the error pipe. Plain integers only.
enum class ChildStage : int32_t {
  kNone = 0,
  kSync,              // waiting for the parent to write the id maps
  kMountPropagation,  // making the mount tree private
  kMount,             // plan.mounts[index]
  kDevNode,           // /dev entry kDevNodes[index]
  kPivotRoot,
  kLoopback,
  kLandlock,
  kSession,
  kFork,
  kCapabilities,
  kNoNewPrivs,
  kSeccomp,
  kChdir,
  kCloseFds,
  kExec,
  kNetworkListener,  // listening socket plan.network.ListenerPorts()[index] on the loopback
};

struct ChildFailure {
  ChildStage stage = ChildStage::kNone;
  int32_t index = 0;
  int32_t err = 0;
};

// A command ready to be started inside a sandbox: argv and envp as the NULL-terminated arrays
// execve wants, and the PATH directories to search. Built before fork; read-only after.
class PreparedCommand {
 public:
  PreparedCommand(std::vector<std::string> argv, std::vector<std::string> env, std::string cwd);
  PreparedCommand(const PreparedCommand&) = delete;
  PreparedCommand& operator=(const PreparedCommand&) = delete;

  const std::vector<std::string>& argv() const { return argv_; }
  const std::string& cwd() const { return cwd_; }

 private:
  friend class ChildLauncher;
  std::vector<std::string> argv_;
  std::vector<std::string> env_;
  std::string cwd_;
  std::vector<std::string> path_dirs_;  // from the command's PATH, for execvp-like search
  std::vector<char*> argv_ptrs_;
  std::vector<char*> env_ptrs_;
};

struct PreparedSandbox {
  Plan plan;
  LandlockRuleset landlock;
  const SeccompProgram* seccomp = nullptr;
  uint64_t kept_capabilities = 0;  // bit mask of CAP_* numbers
  bool keep_root_capabilities = false;
  // Placeholders on the host for paths that did not exist (plan.placeholders); removed when this
  // is destroyed, after the sandbox is gone.
  std::unique_ptr<HostPlaceholders> placeholders;
  // The listeners the init creates on the sandbox's loopback and sends to cordon (fixed size:
  // the child does not allocate). Order: plan.network.ListenerPorts().
  uint16_t listener_ports[kMaxNetworkListeners] = {};
  int listener_count = 0;
};

Result<std::unique_ptr<PreparedSandbox>> PrepareSandbox(const Plan& plan);

// Runs inside the sandbox as PID 1 once the sandbox is set up. `control_fd` is the sandbox end
// of a socketpair to the host; `error_fd` is the failure pipe. Returns the init's exit status.
using InitMain = int (*)(void* arg, const PreparedSandbox& sandbox, int control_fd, int error_fd);

// The host-side handle of a running sandbox. Dropping it kills the sandbox (SIGKILL to its init,
// which takes every process in the PID namespace with it) and reaps the init.
class Sandbox {
 public:
  Sandbox() = default;
  Sandbox(Sandbox&&) noexcept;
  Sandbox& operator=(Sandbox&&) noexcept;
  ~Sandbox();

  pid_t init_pid() const { return pid_; }
  int control_fd() const { return control_.get(); }
  int pidfd() const { return pidfd_.get(); }

  // Waits until the init reports a failure or closes the error pipe (which happens once the
  // first command has been exec'd, or when the init hands the pipe over by closing it).
  // Returns a record with stage kNone when the sandbox is ready.
  Result<ChildFailure> WaitReady();
  // Sends `sig` to the init (which forwards what it is told to forward).
  void Signal(int sig);
  // Reaps the init; returns its wait status. Kills it first if `kill` is true.
  int Reap(bool kill);

  static Result<Sandbox> Start(const PreparedSandbox& prepared, InitMain init, void* arg);

  // The listening sockets the init created on the sandbox's loopback (proxy and host-port
  // listeners, in plan.network.ListenerPorts() order), received by Start. Empty when the plan
  // has none, or when set-up failed before they were made (WaitReady then reports why).
  std::vector<UniqueFd> TakeNetworkListeners() { return std::move(listeners_); }

 private:
  const PreparedSandbox* prepared_ = nullptr;
  pid_t pid_ = -1;
  UniqueFd pidfd_;
  UniqueFd control_;
  UniqueFd error_;
  std::vector<UniqueFd> listeners_;
  bool reaped_ = false;
};

// Child side: starts `command` in the current (already set-up) sandbox from the init. Forks; the
// child drops capabilities, sets no_new_privs, installs seccomp, changes directory, closes every
// fd above 2 and execs. Returns the pid, or -1 with errno. The child reports failure to
// `error_fd` and exits 127 (not found) or 126 (any other failure).
pid_t SpawnInSandbox(const PreparedSandbox& sandbox, const PreparedCommand& command, int error_fd,
                     bool new_session, int stdin_fd = 0, int stdout_fd = 1, int stderr_fd = 2,
                     bool controlling_terminal = false);
// `controlling_terminal` (with `new_session`): after setsid(), `stdin_fd` (a PTY slave) becomes
// the child's controlling terminal (TIOCSCTTY), for PTY sessions of the runner.

// Applies to the calling process what SpawnInSandbox applies to each command before exec:
// capabilities dropped to the kept set, no_new_privs, the seccomp filter. The runner calls it
// once, before it reads its first request, so that its commands start with SpawnLockedDown.
ChildFailure LockDownCurrentProcess(const PreparedSandbox& sandbox);

// Starts `command` from a process that has called LockDownCurrentProcess, as a new session
// (`controlling_terminal`: `stdin_fd`, a PTY slave, becomes its controlling terminal), with
// clone(CLONE_VM | CLONE_VFORK): no page tables copied, and no error pipe, since the caller
// resumes only once the child has exec'd or exited. Returns the pid; or -1 with `*failure` set
// (the child, if there was one, has been reaped). Not reentrant: one static child stack.
pid_t SpawnLockedDown(const PreparedCommand& command, int stdin_fd, int stdout_fd, int stderr_fd,
                      bool controlling_terminal, ChildFailure* failure);

// A readable message for a failure record, e.g. "cannot bind /src/app/.git read-only: EACCES".
Error DescribeChildFailure(const Plan& plan, const ChildFailure& failure, const std::string& argv0);

// Exit statuses of cordon's own (chosen like env(1) and timeout(1), so they cannot be confused
// with a command's ordinary failures or signals).
inline constexpr int kExitCordonError = 125;    // cordon could not run the command
inline constexpr int kExitCannotExecute = 126;  // the command exists but cannot be executed
inline constexpr int kExitNotFound = 127;       // the command was not found

}  // namespace cordon
