#include "net/proxy_server.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "net/address_policy.h"
#include "net/http_proxy_request.h"
#include "net/socks5.h"

namespace cordon {
namespace {

using Clock = std::chrono::steady_clock;
constexpr Clock::time_point kNever = Clock::time_point::max();
constexpr size_t kMaxHead = 32 * 1024;
constexpr auto kLingerAfterReply = std::chrono::milliseconds(2000);
constexpr auto kTimerTick = std::chrono::milliseconds(100);

// epoll data: (id << 2) | tag.
enum Tag : uint64_t { kTagWake = 0, kTagListener = 1, kTagClient = 2, kTagUpstream = 3 };
uint64_t Key(uint64_t id, Tag tag) { return (id << 2) | tag; }

// Resolver answers cross threads through this; it outlives the server if a worker is late.
struct Mailbox {
  std::mutex mu;
  bool closed = false;
  std::deque<std::pair<uint64_t, Result<std::vector<IpAddress>>>> answers;
  UniqueFd wake;  // eventfd, registered in the loop's epoll

  void Post(uint64_t id, Result<std::vector<IpAddress>> answer) {
    std::lock_guard lock(mu);
    if (closed) return;
    answers.emplace_back(id, std::move(answer));
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake.get(), &one, sizeof(one));
  }
};

enum class Phase {
  kHttpHead,       // reading an HTTP request head
  kSocksGreeting,  // reading the SOCKS5 method list
  kSocksRequest,   // reading the SOCKS5 request
  kResolving,
  kConnecting,
  kRelay,
  kReplyAndClose,  // writing an error reply, then draining the client until EOF
};

// One direction of a tunnel: bytes read from `from` are written to `to` before more are read.
struct Flow {
  int from = -1;
  int to = -1;
  std::string pending;  // written first (handshake replies, the rewritten request head)
  size_t pending_off = 0;
  UniqueFd pipe_r, pipe_w;  // splice mode
  size_t in_pipe = 0;
  std::unique_ptr<char[]> buf;  // copy mode
  size_t buf_off = 0, buf_len = 0;
  uint64_t carried = 0;  // bytes read from `from` so far
  bool eof = false;      // `from` reached end of file
  bool done = false;     // eof, all written, and `to` shut down for writing
};

struct Conn {
  uint64_t id = 0;
  ProxyListener::Kind kind = ProxyListener::Kind::kHttp;
  uint16_t host_port = 0;
  UniqueFd client;
  UniqueFd upstream;
  Phase phase = Phase::kHttpHead;
  Clock::time_point deadline = kNever;
  std::string in;  // handshake bytes read from the client

  // The target.
  std::string host;  // normalized host name or canonical IP text
  uint16_t port = 0;
  std::string display;        // "host:port" for messages
  bool http_forward = false;  // absolute-URI request: close once the response is relayed
  std::string upstream_head;  // absolute-URI request: rewritten head to send first
  std::vector<IpAddress> candidates;
  size_t next_candidate = 0;
  int last_connect_errno = 0;
  IpAddress connected_to;

  std::string reply;  // kReplyAndClose
  size_t reply_off = 0;
  bool reply_shut = false;

  Flow up;              // client -> upstream
  Flow down;            // upstream -> client
  bool queued = false;  // in the ready list (its budget ran out with work left)
};

Status SetNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return ErrnoError("make listener non-blocking");
  }
  return OkStatus();
}

}  // namespace

class ProxyServer::Impl {
 public:
  Impl(ProxyOptions options, std::vector<ProxyListener> listeners,
       std::unique_ptr<Resolver> resolver)
      : options_(std::move(options)),
        listeners_(std::move(listeners)),
        resolver_(std::move(resolver)),
        mailbox_(std::make_shared<Mailbox>()) {}

  Status Init() {
    epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) return ErrnoError("create proxy epoll");
    mailbox_->wake.reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!mailbox_->wake) return ErrnoError("create proxy eventfd");
    CORDON_TRY(Watch(mailbox_->wake.get(), EPOLLIN, Key(0, kTagWake)));
    for (size_t i = 0; i < listeners_.size(); ++i) {
      const int fd = listeners_[i].fd.get();
      int accepting = 0;
      socklen_t len = sizeof(accepting);
      if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) < 0 || accepting == 0) {
        return PlainError("start proxy",
                          "listener " + std::to_string(i) + " is not a listening socket");
      }
      CORDON_TRY(SetNonBlocking(fd));
      CORDON_TRY(Watch(fd, EPOLLIN | EPOLLET, Key(i, kTagListener)));
    }
    listener_retry_.assign(listeners_.size(), kNever);
    return OkStatus();
  }

  void StartThread() {
    thread_ = std::thread([this] { Run(); });
  }

  void Stop() {
    std::lock_guard lock(stop_mu_);
    if (!thread_.joinable()) return;
    stopping_.store(true);
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(mailbox_->wake.get(), &one, sizeof(one));
    thread_.join();
  }

  std::vector<BlockedHost> BlockedHosts() const {
    std::lock_guard lock(blocked_mu_);
    std::vector<BlockedHost> out;
    for (const auto& [key, entry] : blocked_) out.push_back(entry);
    return out;
  }

  ProxyStats Stats() const {
    ProxyStats s;
    s.accepted = accepted_.load();
    s.active = active_.load();
    s.upstream_attempts = upstream_attempts_.load();
    s.tunnels = tunnels_.load();
    return s;
  }

 private:
  Status Watch(int fd, uint32_t events, uint64_t key) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = key;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) return ErrnoError("epoll_ctl add");
    return OkStatus();
  }

  void Run() {
    pthread_setname_np(pthread_self(), "cordon-proxy");  // for top, perf and gdb
    // splice(2) into a socket whose peer is gone raises SIGPIPE (there is no MSG_NOSIGNAL for
    // it). The signal is directed at this thread: blocked here, it stays pending and harmless,
    // and the call fails with EPIPE, which closes the tunnel.
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
    std::vector<epoll_event> events(256);
    Clock::time_point next_timer = Clock::now() + kTimerTick;
    while (!stopping_.load()) {
      const int timeout = ready_.empty() ? static_cast<int>(kTimerTick.count()) : 0;
      const int n =
          epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout);
      if (n < 0 && errno != EINTR) break;
      for (int i = 0; i < n; ++i) Dispatch(events[i]);
      RunReady();
      const auto now = Clock::now();
      if (now >= next_timer) {
        CheckTimers(now);
        next_timer = now + kTimerTick;
      }
    }
    {
      std::lock_guard lock(mailbox_->mu);
      mailbox_->closed = true;
      mailbox_->answers.clear();
    }
    active_.fetch_sub(conns_.size());
    conns_.clear();
    listeners_.clear();
  }

  void Dispatch(const epoll_event& ev) {
    const uint64_t key = ev.data.u64;
    const uint64_t id = key >> 2;
    switch (static_cast<Tag>(key & 3)) {
      case kTagWake:
        DrainMailbox();
        return;
      case kTagListener:
        AcceptAll(id);
        return;
      case kTagClient:
      case kTagUpstream: {
        const auto it = conns_.find(id);
        if (it != conns_.end()) OnEvent(*it->second, static_cast<Tag>(key & 3));
        return;
      }
    }
  }

  // ---- accepting ----

  void AcceptAll(size_t index) {
    ProxyListener& l = listeners_[index];
    for (;;) {
      const int fd = accept4(l.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors: try again shortly (edge-triggered: no new edge will come).
          listener_retry_[index] = Clock::now() + kTimerTick;
        }
        return;
      }
      UniqueFd client(fd);
      accepted_.fetch_add(1);
      if (conns_.size() >= options_.max_connections) continue;  // closed by UniqueFd
      auto conn = std::make_unique<Conn>();
      conn->id = next_id_++;
      conn->kind = l.kind;
      conn->host_port = l.host_port;
      conn->client = std::move(client);
      conn->deadline = Clock::now() + options_.handshake_timeout;
      if (!Watch(conn->client.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                 Key(conn->id, kTagClient))) {
        continue;
      }
      Conn& c = *conn;
      conns_.emplace(c.id, std::move(conn));
      active_.fetch_add(1);
      switch (c.kind) {
        case ProxyListener::Kind::kHttp:
          c.phase = Phase::kHttpHead;
          break;
        case ProxyListener::Kind::kSocks5:
          c.phase = Phase::kSocksGreeting;
          break;
        case ProxyListener::Kind::kHostPort:
          c.host = "localhost";
          c.port = c.host_port;
          c.display = "localhost:" + std::to_string(c.port);
          c.candidates = {IpAddress::V4(127, 0, 0, 1), *IpAddress::Parse("::1")};
          BeginConnect(c);  // may close `c`
          continue;
      }
      // No read here: EPOLL_CTL_ADD reports data that arrived before the registration.
    }
  }

  // ---- per-connection events ----

  void OnEvent(Conn& c, Tag tag) {
    switch (c.phase) {
      case Phase::kHttpHead:
      case Phase::kSocksGreeting:
      case Phase::kSocksRequest:
        if (tag == kTagClient) ReadHandshake(c);
        return;
      case Phase::kResolving:
        return;  // client bytes wait in the socket until the tunnel is up
      case Phase::kConnecting:
        if (tag == kTagUpstream) FinishConnect(c);
        return;
      case Phase::kRelay:
        Pump(c);
        return;
      case Phase::kReplyAndClose:
        if (tag == kTagClient) PumpReply(c);
        return;
    }
  }

  void Close(Conn& c) {
    // The ready list may still hold the id: it skips ids that are gone.
    conns_.erase(c.id);  // closing the fds removes them from epoll
    active_.fetch_sub(1);
  }

  static bool InHandshake(const Conn& c) {
    return c.phase == Phase::kHttpHead || c.phase == Phase::kSocksGreeting ||
           c.phase == Phase::kSocksRequest;
  }

  void ReadHandshake(Conn& c) {
    char buf[4096];
    bool eof = false;
    while (c.in.size() < kMaxHead) {
      const ssize_t n = recv(c.client.get(), buf, sizeof(buf), 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) eof = true;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN) eof = true;
      break;
    }
    const uint64_t id = c.id;
    ParseHandshake(c);  // may close `c`
    if (!eof) return;
    const auto it = conns_.find(id);
    if (it != conns_.end() && InHandshake(*it->second)) Close(*it->second);
  }

  void ParseHandshake(Conn& c) {
    if (c.phase == Phase::kHttpHead) {
      ProxyRequest r = ParseProxyRequest(c.in, kMaxHead);
      switch (r.kind) {
        case ProxyRequest::Kind::kIncomplete:
          return;
        case ProxyRequest::Kind::kError:
          return ReplyAndClose(c, HttpResponse(r.status, r.error));
        case ProxyRequest::Kind::kConnect:
        case ProxyRequest::Kind::kForward:
          break;
      }
      c.in.erase(0, r.head_size);  // what follows the head belongs to the upstream
      c.http_forward = r.kind == ProxyRequest::Kind::kForward;
      c.upstream_head = std::move(r.upstream_head);
      return CheckTarget(c, r.host, r.port);
    }
    if (c.phase == Phase::kSocksGreeting) {
      const Socks5Greeting g = ParseSocks5Greeting(c.in);
      if (g.state == ParseState::kIncomplete) return;
      if (g.state == ParseState::kError) return Close(c);
      if (!g.no_auth) return ReplyAndClose(c, std::string("\x05\xff", 2));
      c.in.erase(0, g.size);
      // A fresh socket's send buffer is empty: two bytes always fit.
      if (send(c.client.get(), "\x05\x00", 2, MSG_NOSIGNAL) != 2) return Close(c);
      c.phase = Phase::kSocksRequest;
    }
    if (c.phase == Phase::kSocksRequest) {
      const Socks5Request r = ParseSocks5Request(c.in);
      if (r.state == ParseState::kIncomplete) return;
      if (r.state == ParseState::kError) return ReplyAndClose(c, MakeSocks5Reply(r.error_reply));
      c.in.erase(0, r.size);
      return CheckTarget(c, r.host, r.port);
    }
  }

  // ---- policy ----

  void Refuse(Conn& c, const std::string& reason) {
    {
      std::lock_guard lock(blocked_mu_);
      BlockedHost& entry = blocked_[{c.host, c.port}];
      if (entry.count == 0) {
        entry.host = c.host;
        entry.port = c.port;
        entry.reason = reason;
      }
      ++entry.count;
      const char* protocol = c.kind == ProxyListener::Kind::kSocks5 ? "socks5"
                             : c.http_forward                       ? "http"
                                                                    : "connect";
      if (std::find(entry.protocols.begin(), entry.protocols.end(), protocol) ==
          entry.protocols.end()) {
        entry.protocols.emplace_back(protocol);
      }
    }
    if (c.kind == ProxyListener::Kind::kSocks5) {
      return ReplyAndClose(c, MakeSocks5Reply(kSocksNotAllowed));
    }
    ReplyAndClose(c, HttpResponse(403, "cordon: blocked by network policy: " + reason));
  }

  void CheckTarget(Conn& c, const std::string& raw_host, uint16_t port) {
    const std::string host = NormalizeHost(raw_host);
    c.host = host.empty() ? raw_host.substr(0, 255) : host;
    c.port = port;
    const auto literal = IpAddress::Parse(c.host);
    c.display = literal ? literal->ToString(port) : c.host + ":" + std::to_string(port);
    const Verdict verdict = options_.rules.Decide(c.host, port);
    if (!verdict.allowed) return Refuse(c, verdict.reason);
    if (literal) return OnResolved(c, std::vector<IpAddress>{*literal});
    c.phase = Phase::kResolving;
    // An answer given synchronously on this thread (overrides) is used at once; others come
    // through the mailbox.
    struct SyncAnswer {
      std::thread::id loop = std::this_thread::get_id();
      bool in_call = true;
      std::optional<Result<std::vector<IpAddress>>> answer;
    };
    auto sync = std::make_shared<SyncAnswer>();
    resolver_->Resolve(
        c.host, [mailbox = mailbox_, id = c.id, sync](Result<std::vector<IpAddress>> answer) {
          if (std::this_thread::get_id() == sync->loop && sync->in_call) {
            sync->answer = std::move(answer);
            return;
          }
          mailbox->Post(id, std::move(answer));
        });
    sync->in_call = false;
    if (sync->answer) OnAnswer(c, std::move(*sync->answer));
  }

  void DrainMailbox() {
    uint64_t count;
    [[maybe_unused]] ssize_t n = read(mailbox_->wake.get(), &count, sizeof(count));
    std::deque<std::pair<uint64_t, Result<std::vector<IpAddress>>>> answers;
    {
      std::lock_guard lock(mailbox_->mu);
      answers.swap(mailbox_->answers);
    }
    for (auto& [id, answer] : answers) {
      const auto it = conns_.find(id);
      if (it == conns_.end() || it->second->phase != Phase::kResolving) continue;
      OnAnswer(*it->second, std::move(answer));
    }
  }

  void OnAnswer(Conn& c, Result<std::vector<IpAddress>> answer) {
    if (answer) return OnResolved(c, std::move(*answer));
    const std::string why =
        answer.error().detail.empty() ? answer.error().ToString() : answer.error().detail;
    if (c.kind == ProxyListener::Kind::kSocks5) {
      return ReplyAndClose(c, MakeSocks5Reply(kSocksHostUnreachable));
    }
    ReplyAndClose(c, HttpResponse(502, "cordon: cannot resolve " + c.host + ": " + why));
  }

  void OnResolved(Conn& c, std::vector<IpAddress> addresses) {
    const bool literal = IpAddress::Parse(c.host).has_value();
    c.candidates.clear();
    std::string refused;
    for (const IpAddress& ip : addresses) {
      const AddressClass cls = ClassifyAddress(ip);
      if (cls != AddressClass::kPublic && !options_.dangerously_allow_local_targets) {
        if (refused.empty()) {
          const std::string what = std::string(AddressClassName(cls)) + " address";
          refused = literal ? c.display + " is a " + what
                            : c.display + " resolves to " + ip.ToString() + ", a " + what;
          refused += "; local targets are not allowed";
        }
        continue;
      }
      c.candidates.push_back(ip);
    }
    if (c.candidates.empty()) return Refuse(c, refused);
    BeginConnect(c);
  }

  // ---- connecting ----

  void BeginConnect(Conn& c) {
    c.phase = Phase::kConnecting;
    c.next_candidate = 0;
    TryNextCandidate(c);
  }

  void TryNextCandidate(Conn& c) {
    c.upstream.reset();
    while (c.next_candidate < c.candidates.size()) {
      const IpAddress ip = c.candidates[c.next_candidate++];
      UniqueFd s(socket(ip.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
      if (!s) {
        c.last_connect_errno = errno;
        continue;
      }
      sockaddr_storage addr;
      const socklen_t len = ip.ToSockaddr(c.port, &addr);
      upstream_attempts_.fetch_add(1);
      const int rc = connect(s.get(), reinterpret_cast<sockaddr*>(&addr), len);
      if (rc < 0 && errno != EINPROGRESS) {
        c.last_connect_errno = errno;
        continue;
      }
      c.connected_to = ip;
      c.upstream = std::move(s);
      if (!Watch(c.upstream.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                 Key(c.id, kTagUpstream))) {
        c.last_connect_errno = errno;
        c.upstream.reset();
        continue;
      }
      c.deadline = Clock::now() + options_.connect_timeout;
      if (rc == 0) return Connected(c);
      return;  // wait for EPOLLOUT
    }
    ConnectFailed(c);
  }

  void FinishConnect(Conn& c) {
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(c.upstream.get(), SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    // The socket was registered while connecting, so its first edge is the connect's outcome.
    if (err == 0) return Connected(c);
    c.last_connect_errno = err;
    TryNextCandidate(c);
  }

  void ConnectFailed(Conn& c) {
    const int err = c.last_connect_errno;
    if (c.kind == ProxyListener::Kind::kHostPort) return Close(c);
    if (c.kind == ProxyListener::Kind::kSocks5) {
      uint8_t code = kSocksGeneralFailure;
      if (err == ECONNREFUSED) code = kSocksConnectionRefused;
      if (err == ENETUNREACH) code = kSocksNetworkUnreachable;
      if (err == EHOSTUNREACH || err == ETIMEDOUT) code = kSocksHostUnreachable;
      return ReplyAndClose(c, MakeSocks5Reply(code));
    }
    const int status = err == ETIMEDOUT ? 504 : 502;
    ReplyAndClose(c, HttpResponse(status, "cordon: cannot connect to " + c.display + ": " +
                                              ErrnoName(err) + " (" + strerror(err) + ")"));
  }

  void Connected(Conn& c) {
    c.deadline = kNever;
    c.phase = Phase::kRelay;
    tunnels_.fetch_add(1);
    c.up.from = c.client.get();
    c.up.to = c.upstream.get();
    c.down.from = c.upstream.get();
    c.down.to = c.client.get();
    c.up.pending = std::move(c.upstream_head);
    c.up.pending += c.in;  // bytes the client sent after its request head
    c.in.clear();
    c.in.shrink_to_fit();
    if (c.kind == ProxyListener::Kind::kSocks5) {
      sockaddr_storage local;
      socklen_t len = sizeof(local);
      std::optional<IpAddress> bound;
      uint16_t bound_port = 0;
      if (getsockname(c.upstream.get(), reinterpret_cast<sockaddr*>(&local), &len) == 0) {
        bound = IpAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&local), len);
        bound_port =
            ntohs(local.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&local)->sin_port
                                             : reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
      }
      c.down.pending = MakeSocks5Reply(kSocksSucceeded, bound ? &*bound : nullptr, bound_port);
    } else if (c.kind == ProxyListener::Kind::kHttp && !c.http_forward) {
      c.down.pending = HttpResponse(200, "");
    }
    Pump(c);
  }

  // A flow copies through a user-space buffer until it has carried kSpliceAfter bytes, then
  // switches to splice(2) through a pipe: short exchanges (most connections) never pay for a
  // pipe's two descriptors, long transfers avoid copying through user space.
  static constexpr uint64_t kSpliceAfter = 256 * 1024;

  void PrepareRead(Flow& f) {
    if (!f.pipe_w && options_.use_splice && f.carried >= kSpliceAfter) {
      int p[2];
      if (pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0) {
        f.pipe_r.reset(p[0]);
        f.pipe_w.reset(p[1]);
        f.buf.reset();
        // A pipe holds 16 pages (64 KiB) by default; other sizes need F_SETPIPE_SZ, which fails
        // beyond /proc/sys/fs/pipe-max-size or once this user's pipes pass
        // /proc/sys/fs/pipe-user-pages-soft (unprivileged): then the default stays, and the
        // splice length still bounds what the pipe holds.
        if (options_.splice_size != 65536) {
          fcntl(p[1], F_SETPIPE_SZ, static_cast<int>(options_.splice_size));
        }
        return;
      }
      // Out of descriptors: keep copying.
    }
    // Not zeroed: every connection gets one per direction, and 128 KiB of memset showed in the
    // connection-rate profile.
    if (!f.pipe_w && !f.buf) f.buf = std::make_unique_for_overwrite<char[]>(options_.buffer_size);
  }

  // ---- relaying ----

  enum class FlowResult { kBlocked, kBudget, kFatal };

  FlowResult PumpFlow(Flow& f) {
    // About four reads per turn, then the other tunnels get theirs.
    size_t budget = 4 * (f.pipe_w ? options_.splice_size : options_.buffer_size);
    for (;;) {
      if (f.pending_off < f.pending.size()) {
        const ssize_t n = send(f.to, f.pending.data() + f.pending_off,
                               f.pending.size() - f.pending_off, MSG_NOSIGNAL);
        if (n < 0) return errno == EAGAIN ? FlowResult::kBlocked : FlowResult::kFatal;
        f.pending_off += static_cast<size_t>(n);
        if (f.pending_off == f.pending.size()) {
          f.pending.clear();
          f.pending.shrink_to_fit();
          f.pending_off = 0;
        }
        continue;
      }
      if (f.in_pipe > 0) {
        const ssize_t n = splice(f.pipe_r.get(), nullptr, f.to, nullptr, f.in_pipe,
                                 SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n < 0) return errno == EAGAIN ? FlowResult::kBlocked : FlowResult::kFatal;
        f.in_pipe -= static_cast<size_t>(n);
        continue;
      }
      if (f.buf_off < f.buf_len) {
        const ssize_t n = send(f.to, f.buf.get() + f.buf_off, f.buf_len - f.buf_off, MSG_NOSIGNAL);
        if (n < 0) return errno == EAGAIN ? FlowResult::kBlocked : FlowResult::kFatal;
        f.buf_off += static_cast<size_t>(n);
        continue;
      }
      if (f.eof) {
        if (!f.done) {
          shutdown(f.to, SHUT_WR);
          f.done = true;
        }
        return FlowResult::kBlocked;
      }
      if (budget == 0) return FlowResult::kBudget;
      PrepareRead(f);
      ssize_t n;
      if (f.pipe_w) {
        n = splice(f.from, nullptr, f.pipe_w.get(), nullptr, options_.splice_size,
                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) f.in_pipe = static_cast<size_t>(n);
      } else {
        n = recv(f.from, f.buf.get(), options_.buffer_size, 0);
        if (n > 0) {
          f.buf_off = 0;
          f.buf_len = static_cast<size_t>(n);
        }
      }
      if (n == 0) {
        f.eof = true;
        continue;
      }
      if (n < 0) {
        if (errno == EAGAIN) return FlowResult::kBlocked;
        if (errno == EINTR) continue;
        return FlowResult::kFatal;
      }
      budget -= std::min(budget, static_cast<size_t>(n));
      f.carried += static_cast<uint64_t>(n);
    }
  }

  void Pump(Conn& c) {
    const FlowResult up = PumpFlow(c.up);
    if (up == FlowResult::kFatal) return Close(c);
    const FlowResult down = PumpFlow(c.down);
    if (down == FlowResult::kFatal) return Close(c);
    // An absolute-URI request is one exchange: once the response is through, it is over.
    if (c.down.done && (c.up.done || c.http_forward)) return Close(c);
    if ((up == FlowResult::kBudget || down == FlowResult::kBudget) && !c.queued) {
      c.queued = true;
      ready_.push_back(c.id);
    }
  }

  void RunReady() {
    std::vector<uint64_t> ready;
    ready.swap(ready_);
    for (uint64_t id : ready) {
      const auto it = conns_.find(id);
      if (it == conns_.end()) continue;
      it->second->queued = false;
      if (it->second->phase == Phase::kRelay) Pump(*it->second);
    }
  }

  // ---- refusing ----

  void ReplyAndClose(Conn& c, std::string reply) {
    c.upstream.reset();
    c.phase = Phase::kReplyAndClose;
    c.reply = std::move(reply);
    c.reply_off = 0;
    c.deadline = Clock::now() + kLingerAfterReply;
    PumpReply(c);
  }

  // Writes the reply, shuts down our side, then reads until the client closes: closing with
  // unread bytes would send a reset that can destroy the reply before the client reads it.
  void PumpReply(Conn& c) {
    while (c.reply_off < c.reply.size()) {
      const ssize_t n = send(c.client.get(), c.reply.data() + c.reply_off,
                             c.reply.size() - c.reply_off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN) return;
        return Close(c);
      }
      c.reply_off += static_cast<size_t>(n);
    }
    if (!c.reply_shut) {
      shutdown(c.client.get(), SHUT_WR);
      c.reply_shut = true;
    }
    char buf[4096];
    for (;;) {
      const ssize_t n = recv(c.client.get(), buf, sizeof(buf), 0);
      if (n > 0) continue;
      if (n < 0 && errno == EAGAIN) return;
      return Close(c);
    }
  }

  void CheckTimers(Clock::time_point now) {
    for (size_t i = 0; i < listener_retry_.size(); ++i) {
      if (listener_retry_[i] <= now) {
        listener_retry_[i] = kNever;
        AcceptAll(i);
      }
    }
    std::vector<uint64_t> expired;
    for (const auto& [id, conn] : conns_) {
      if (conn->deadline <= now) expired.push_back(id);
    }
    for (uint64_t id : expired) {
      const auto it = conns_.find(id);
      if (it == conns_.end()) continue;
      Conn& c = *it->second;
      if (c.phase == Phase::kConnecting) {
        c.last_connect_errno = ETIMEDOUT;
        TryNextCandidate(c);
      } else if (c.phase == Phase::kResolving) {
        if (c.kind == ProxyListener::Kind::kSocks5) {
          ReplyAndClose(c, MakeSocks5Reply(kSocksHostUnreachable));
        } else {
          ReplyAndClose(c, HttpResponse(504, "cordon: looking up " + c.host + " timed out"));
        }
      } else {
        Close(c);
      }
    }
  }

  ProxyOptions options_;
  std::vector<ProxyListener> listeners_;
  std::vector<Clock::time_point> listener_retry_;
  std::unique_ptr<Resolver> resolver_;
  std::shared_ptr<Mailbox> mailbox_;
  UniqueFd epoll_;
  std::thread thread_;
  std::mutex stop_mu_;
  std::atomic<bool> stopping_{false};

  // Loop-thread state.
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  std::vector<uint64_t> ready_;
  uint64_t next_id_ = 1;

  mutable std::mutex blocked_mu_;
  std::map<std::pair<std::string, uint16_t>, BlockedHost> blocked_;

  std::atomic<uint64_t> accepted_{0}, active_{0}, upstream_attempts_{0}, tunnels_{0};
};

Result<std::unique_ptr<ProxyServer>> ProxyServer::Start(ProxyOptions options,
                                                        std::vector<ProxyListener> listeners,
                                                        std::unique_ptr<Resolver> resolver) {
  if (!resolver) return PlainError("start proxy", "no resolver given");
  if (options.buffer_size < 4096) options.buffer_size = 4096;
  if (options.splice_size < 4096) options.splice_size = 4096;
  auto impl = std::make_unique<Impl>(std::move(options), std::move(listeners), std::move(resolver));
  CORDON_TRY(impl->Init());
  impl->StartThread();
  return std::unique_ptr<ProxyServer>(new ProxyServer(std::move(impl)));
}

std::string FormatBlockedHosts(const std::vector<BlockedHost>& blocked) {
  if (blocked.empty()) return "";
  std::string out = "cordon: blocked by network policy:\n";
  for (const BlockedHost& b : blocked) {
    out += "  " + b.reason + " (" + std::to_string(b.count) +
           (b.count == 1 ? " request)\n" : " requests)\n");
  }
  return out;
}

ProxyServer::ProxyServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProxyServer::~ProxyServer() { Stop(); }
void ProxyServer::Stop() { impl_->Stop(); }
std::vector<BlockedHost> ProxyServer::BlockedHosts() const { return impl_->BlockedHosts(); }
ProxyStats ProxyServer::Stats() const { return impl_->Stats(); }

}  // namespace cordon
