// Session manager: see session_manager.h. Every call pumps the runners' sockets in this thread.
#include "server/session_manager.h"

#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>

#include "session/utf8.h"

namespace cordon {

using Clock = std::chrono::steady_clock;

SessionManager::SessionManager(SessionLimits limits, PlanResolver resolver)
    : limits_(limits), resolver_(std::move(resolver)) {}

SessionManager::~SessionManager() { Shutdown(); }

void SessionManager::Shutdown() {
  for (auto& [id, s] : sessions_) {
    if (s.end_pending) {
      EndSession(s, *s.end_pending);  // it had exited; what its proxy refused is not known
    } else {
      EndSession(s, {SessionEnd::How::kServerShutdown, {}, {}, {}});
    }
  }
  for (auto& r : runners_) r->conn->Kill();
  runners_.clear();
  sessions_.clear();
}

std::vector<pid_t> SessionManager::RunnerPids() const {
  std::vector<pid_t> pids;
  for (const auto& r : runners_) pids.push_back(r->conn->init_pid());
  return pids;
}

uint32_t SessionManager::ClampYield(std::optional<uint32_t> ms, uint32_t fallback) const {
  return std::clamp(ms.value_or(fallback), limits_.min_yield_ms, limits_.max_yield_ms);
}

void SessionManager::EndSession(Session& s, SessionEnd end) {
  if (s.observer == nullptr) return;
  s.observer->Ended(end);
  s.observer.reset();
}

Result<SessionManager::Runner*> SessionManager::RunnerFor(const ResolvedCommand& resolved,
                                                          SessionObserver& observer) {
  for (auto& r : runners_) {
    if (r->key == resolved.sandbox_key) {
      r->last_used = Clock::now();
      return r.get();
    }
  }
  CORDON_TRY(MakeRoomForRunner());
  observer.SandboxStarting();
  auto conn = RunnerConnection::Start(resolved.plan, limits_.handshake_timeout_ms);
  observer.SandboxStarted(conn ? std::string() : conn.error().ToString());
  if (!conn) return conn.error();
  auto runner = std::make_unique<Runner>();
  runner->conn = std::move(*conn);
  runner->key = resolved.sandbox_key;
  runner->last_used = Clock::now();
  runners_.push_back(std::move(runner));
  return runners_.back().get();
}

Status SessionManager::MakeRoomForRunner() {
  while (runners_.size() >= limits_.max_sandboxes) {
    Runner* idle = nullptr;
    for (auto& r : runners_) {
      bool busy = false;
      for (const auto& [id, s] : sessions_) busy = busy || (s.runner == r.get() && !s.exited);
      if (!busy && (idle == nullptr || r->last_used < idle->last_used)) idle = r.get();
    }
    if (idle == nullptr) {
      return PlainError("start a sandbox",
                        "all " + std::to_string(runners_.size()) +
                            " warm sandboxes (serve.max_sandboxes) run sessions: terminate one, "
                            "or raise the limit");
    }
    DropRunner(idle, "retired to make room for another sandbox (serve.max_sandboxes)");
  }
  return OkStatus();
}

void SessionManager::MakeRoom() {
  while (sessions_.size() >= limits_.max_sessions) {
    // Exited sessions whose result nobody collected go first, then the least recently used.
    auto victim = sessions_.end();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.exited &&
          (victim == sessions_.end() || it->second.last_used < victim->second.last_used)) {
        victim = it;
      }
    }
    if (victim == sessions_.end()) {
      victim = std::min_element(
          sessions_.begin(), sessions_.end(),
          [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
    }
    (void)Terminate(victim->first, SessionEnd::How::kEvicted);
  }
}

Result<CallResult> SessionManager::ExecCommand(const ExecRequest& request) {
  const auto start = Clock::now();
  if (request.cmd.empty()) return PlainError("exec_command", "cmd is empty");
  auto resolved = resolver_(request);
  if (!resolved) return resolved.error();
  std::unique_ptr<SessionObserver> observer = std::move(resolved->observer);
  if (observer == nullptr) observer = std::make_unique<SessionObserver>();
  auto runner = RunnerFor(*resolved, *observer);
  if (!runner) {
    observer->Ended({SessionEnd::How::kSetupFailed, {}, {}, runner.error().ToString()});
    return runner.error();
  }
  MakeRoom();
  const uint64_t id = next_id_++;
  Session& s = sessions_[id];
  s.id = id;
  s.runner = *runner;
  s.cmd = request.cmd;
  s.key = resolved->sandbox_key;
  s.tty = request.tty;
  s.output = std::make_unique<OutputBuffer>(limits_.max_output_bytes);
  s.last_used = start;
  s.observer = std::move(observer);
  // What the proxy refused before this command, so that its result lists only what came after.
  if (BridgeProcess* bridge = s.runner->conn->bridge()) {
    if (auto before = bridge->BlockedHosts()) {
      s.blocked_before.emplace();
      for (const BlockedHost& b : *before) (*s.blocked_before)[{b.host, b.port}] = b.count;
    }
  } else {
    s.blocked_before.emplace();  // no proxy: nothing can be refused
  }
  ipc::Spawn spawn;
  spawn.id = id;
  spawn.argv = resolved->plan.argv;
  spawn.cwd = resolved->plan.cwd;
  spawn.env = resolved->plan.env;
  spawn.tty = request.tty;
  spawn.rows = request.rows != 0 ? request.rows : limits_.default_rows;
  spawn.cols = request.cols != 0 ? request.cols : limits_.default_cols;
  spawn.stdin_open = true;
  RunnerConnection& conn = *s.runner->conn;
  s.observer->CommandStarting(id);
  if (auto st = conn.writer().Enqueue(spawn); !st) {
    EndSession(s, {SessionEnd::How::kSetupFailed, {}, {}, st.error().ToString()});
    sessions_.erase(id);
    return st.error();
  }
  (void)conn.writer().Flush(conn.fd());
  const uint32_t yield = ClampYield(request.yield_time_ms, limits_.exec_yield_ms);
  WaitFor(id, start + std::chrono::milliseconds(yield));
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return PlainError("exec_command", "the session was lost");
  const double wall = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return Collect(it->second,
                 request.max_output_bytes.value_or(limits_.default_max_call_output_bytes), wall);
}

Result<CallResult> SessionManager::WriteStdin(uint64_t session_id, std::string_view chars,
                                              std::optional<uint32_t> yield_time_ms,
                                              std::optional<size_t> max_output_bytes) {
  const auto start = Clock::now();
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) {
    return ErrnoError(ENOENT, "write_stdin", "session " + std::to_string(session_id));
  }
  Session& s = it->second;
  s.last_used = start;
  if (!chars.empty() && !s.exited) {
    RunnerConnection& conn = *s.runner->conn;
    if (conn.writer().queued_bytes() + chars.size() > limits_.max_stdin_queue_bytes) {
      return ErrnoError(EAGAIN, "write_stdin", "stdin queue full; poll and retry");
    }
    if (auto st = conn.writer().EnqueueStdin(session_id, chars); !st) return st.error();
    (void)conn.writer().Flush(conn.fd());
  }
  WaitFor(session_id, start + std::chrono::milliseconds(
                                  ClampYield(yield_time_ms, limits_.write_stdin_yield_ms)));
  it = sessions_.find(session_id);
  if (it == sessions_.end()) return PlainError("write_stdin", "the session was lost");
  const double wall = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return Collect(it->second, max_output_bytes.value_or(limits_.default_max_call_output_bytes),
                 wall);
}

CallResult SessionManager::Collect(Session& s, size_t max_output_bytes, double wall_ms) {
  CallResult r;
  OutputBuffer::Chunk chunk = s.output->ReadSince(s.cursor);
  s.cursor = chunk.next_cursor;
  r.omitted_bytes = chunk.omitted;
  if (chunk.text.size() > max_output_bytes) {
    r.omitted_bytes += chunk.text.size() - max_output_bytes;
    r.output = TruncateMiddleUtf8(chunk.text, max_output_bytes);
  } else {
    r.output = std::move(chunk.text);
  }
  r.wall_time_ms = wall_ms;
  if (!s.exited) {
    r.session_id = s.id;
    return r;
  }
  if (!s.error.empty()) {
    r.error = s.error;
    r.exit_code = s.exit_code;
  } else if (s.signal != 0) {
    r.signal = s.signal;
    r.exit_code = 128 + s.signal;
  } else {
    r.exit_code = s.exit_code;
  }
  r.blocked_hosts = s.blocked;
  sessions_.erase(s.id);  // its result has been delivered
  return r;
}

Status SessionManager::Terminate(uint64_t session_id, SessionEnd::How how) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) {
    return ErrnoError(ENOENT, "terminate", "session " + std::to_string(session_id));
  }
  if (!it->second.exited) {
    RunnerConnection& conn = *it->second.runner->conn;
    (void)conn.writer().Enqueue(ipc::Signal{session_id, SIGKILL});
    (void)conn.writer().Flush(conn.fd());
    EndSession(it->second, {how, {}, {}, {}});
  } else if (it->second.end_pending) {
    EndSession(it->second, *it->second.end_pending);
  }
  sessions_.erase(it);  // a later Exit for this id is ignored
  return OkStatus();
}

Status SessionManager::Resize(uint64_t session_id, uint16_t rows, uint16_t cols) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) {
    return ErrnoError(ENOENT, "resize", "session " + std::to_string(session_id));
  }
  if (!it->second.tty) return PlainError("resize", "not a tty session");
  if (rows == 0 || cols == 0) return PlainError("resize", "rows and cols must be positive");
  it->second.last_used = Clock::now();
  if (!it->second.exited) {
    RunnerConnection& conn = *it->second.runner->conn;
    (void)conn.writer().Enqueue(ipc::Resize{session_id, rows, cols});
    (void)conn.writer().Flush(conn.fd());
  }
  return OkStatus();
}

std::vector<SessionInfo> SessionManager::List() const {
  std::vector<SessionInfo> out;
  for (const auto& [id, s] : sessions_) {
    out.push_back({id, s.cmd, s.tty, !s.exited, s.pid, s.output->total_bytes(), s.key,
                   s.runner != nullptr ? s.runner->conn->init_pid() : 0});
  }
  return out;
}

std::vector<SandboxInfo> SessionManager::Sandboxes() {
  std::vector<SandboxInfo> out;
  for (auto& r : runners_) {
    SandboxInfo info;
    info.pid = r->conn->init_pid();
    if (BridgeProcess* bridge = r->conn->bridge()) {
      if (auto hosts = bridge->BlockedHosts()) info.blocked_hosts = std::move(*hosts);
    }
    out.push_back(std::move(info));
  }
  return out;
}

void SessionManager::WaitFor(uint64_t session_id, Clock::time_point deadline) {
  for (;;) {
    auto it = sessions_.find(session_id);
    if (it == sessions_.end() || it->second.exited) return;
    const auto now = Clock::now();
    if (now >= deadline) return;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    PumpOnce(static_cast<int>(left) + 1);
  }
}

bool SessionManager::PumpOnce(int timeout_ms, const std::vector<int>& wake_fds) {
  std::vector<pollfd> fds;
  for (int fd : wake_fds) fds.push_back({fd, POLLIN, 0});
  for (auto& r : runners_) {
    fds.push_back(
        {r->conn->fd(), static_cast<short>(POLLIN | (r->conn->writer().empty() ? 0 : POLLOUT)), 0});
  }
  if (::poll(fds.data(), fds.size(), timeout_ms) < 0) return false;
  bool woken = false;
  for (size_t i = 0; i < wake_fds.size(); ++i) woken = woken || fds[i].revents != 0;
  // Runners may be dropped while handling: work on a snapshot of the pointers.
  std::vector<Runner*> snapshot;
  for (auto& r : runners_) snapshot.push_back(r.get());
  for (size_t i = 0; i < snapshot.size(); ++i) {
    const short revents = fds[wake_fds.size() + i].revents;
    Runner* r = snapshot[i];
    if (revents & POLLOUT) {
      if (!r->conn->writer().Flush(r->conn->fd())) {
        DropRunner(r, "the runner closed its connection");
        continue;
      }
    }
    if (revents & (POLLIN | POLLHUP | POLLERR)) HandleRunnerInput(r);
  }
  return woken;
}

void SessionManager::HandleRunnerInput(Runner* runner) {
  RunnerConnection& conn = *runner->conn;
  // Up to four full output frames per read: one wake-up per 256 KiB of bulk output.
  auto state = conn.reader().ReadFrom(conn.fd(), 256u << 10);
  if (!state) {
    DropRunner(runner, state.error().ToString());
    return;
  }
  for (;;) {
    std::string_view bytes;
    auto next = conn.reader().NextView(&bytes);
    if (!next) {  // a bad frame ends the connection (docs/protocol.md)
      DropRunner(runner, next.error().ToString());
      return;
    }
    if (!next->has_value()) break;
    const ipc::Message& m = **next;
    if (auto* o = std::get_if<ipc::Output>(&m)) {
      auto it = sessions_.find(o->id);
      if (it == sessions_.end()) continue;
      it->second.output->Append(bytes);
      if (listener_) listener_(o->id, o->stream, bytes);
    } else if (auto* ready = std::get_if<ipc::SpawnReady>(&m)) {
      if (auto it = sessions_.find(ready->id); it != sessions_.end()) it->second.pid = ready->pid;
    } else if (auto* err = std::get_if<ipc::SpawnError>(&m)) {
      if (auto it = sessions_.find(err->id); it != sessions_.end()) {
        Session& s = it->second;
        s.exited = true;
        s.exit_code = err->stage == ipc::SpawnStage::kExec && err->err == ENOENT ? 127 : 126;
        s.error = err->message;
        s.blocked.emplace();  // nothing ran, nothing was refused
        s.output->Close();
        EndSession(s, {SessionEnd::How::kSpawnFailed, s.exit_code, {}, s.error});
      }
    } else if (auto* exit = std::get_if<ipc::Exit>(&m)) {
      if (auto it = sessions_.find(exit->id); it != sessions_.end()) {
        Session& s = it->second;
        s.exited = true;
        SessionEnd end;
        if (exit->signaled) {
          s.signal = exit->code;
          end.signal = exit->code;
        } else {
          s.exit_code = exit->code;
          end.exit_code = exit->code;
        }
        s.blocked_pending = true;
        s.output->Close();
        s.end_pending = end;  // told in SettleBlocked, with the requests the proxy refused
      }
    } else {
      DropRunner(runner, std::string("unexpected ") + ipc::MessageTypeName(ipc::TypeOf(m)) +
                             " from the runner");
      return;
    }
  }
  SettleBlocked(runner);
  if (*state == ipc::FrameReader::ReadState::kEof) DropRunner(runner, "the runner exited");
}

void SessionManager::SettleBlocked(Runner* runner) {
  std::vector<Session*> waiting;
  for (auto& [id, s] : sessions_) {
    if (s.runner == runner && s.blocked_pending) waiting.push_back(&s);
  }
  if (waiting.empty()) return;
  // One query for every session that ended in this round: they all ended before it was sent.
  std::optional<std::vector<BlockedHost>> now;
  if (BridgeProcess* bridge = runner->conn->bridge()) {
    if (auto hosts = bridge->BlockedHosts()) now = std::move(*hosts);
  } else {
    now.emplace();
  }
  for (Session* s : waiting) {
    s->blocked_pending = false;
    if (now && s->blocked_before) {  // else unknown: the result has no blocked_hosts
      std::vector<BlockedHost> mine;
      for (const BlockedHost& b : *now) {
        auto it = s->blocked_before->find({b.host, b.port});
        const uint64_t before = it == s->blocked_before->end() ? 0 : it->second;
        if (b.count <= before) continue;
        BlockedHost delta = b;
        delta.count = b.count - before;
        mine.push_back(std::move(delta));
      }
      s->blocked = std::move(mine);
    }
    if (s->end_pending) {
      SessionEnd end = std::move(*s->end_pending);
      s->end_pending.reset();
      for (const BlockedHost& b : s->blocked.value_or(std::vector<BlockedHost>{})) {
        end.denials += b.count;
      }
      EndSession(*s, std::move(end));
    }
  }
}

void SessionManager::DropRunner(Runner* runner, const std::string& why) {
  for (auto& [id, s] : sessions_) {
    if (s.runner != runner || s.exited) continue;
    s.exited = true;
    s.exit_code = 125;
    s.error = "the sandbox ended: " + why;
    s.blocked_pending = true;
    s.output->Close();
    EndSession(s, {SessionEnd::How::kSandboxLost, s.exit_code, {}, s.error});
  }
  SettleBlocked(runner);  // the bridge outlives the runner until Kill
  runner->conn->Kill();
  for (auto& [id, s] : sessions_) {
    if (s.runner == runner) s.runner = nullptr;
  }
  runners_.erase(std::find_if(runners_.begin(), runners_.end(),
                              [&](const auto& r) { return r.get() == runner; }));
}

}  // namespace cordon
