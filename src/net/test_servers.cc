#include "net/test_servers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "base/sys.h"

namespace cordon::testing {

Result<UniqueFd> ListenLoopback(uint16_t* port, bool v6) {
  UniqueFd fd(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoError("socket");
  const int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_storage ss{};
  socklen_t len;
  if (v6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = in6addr_loopback;
    len = sizeof(*sin6);
  } else {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(*sin);
  }
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0) return ErrnoError("bind");
  if (listen(fd.get(), 1024) < 0) return ErrnoError("listen");
  if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) < 0) {
    return ErrnoError("getsockname");
  }
  *port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                   : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return fd;
}

Result<UniqueFd> ConnectLoopback(uint16_t port, int timeout_s) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoError("socket");
  timeval tv{timeout_s, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) < 0) {
    return ErrnoError("connect 127.0.0.1:" + std::to_string(port));
  }
  return fd;
}

uint16_t UnusedLoopbackPort() {
  uint16_t port = 0;
  auto fd = ListenLoopback(&port);
  return fd.ok() ? port : 1;  // the socket closes here: nothing listens on `port` any more
}

std::string ReadToEof(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

std::string ReadN(int fd, size_t want) {
  std::string out;
  char buf[65536];
  while (out.size() < want) {
    const ssize_t n = recv(fd, buf, std::min(sizeof(buf), want - out.size()), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string ReadUntil(int fd, const std::string& delim) {
  std::string out;
  char c;
  while (out.find(delim) == std::string::npos) {
    const ssize_t n = recv(fd, &c, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.push_back(c);
  }
  return out;
}

std::string EchoRoundTrip(int fd, const std::string& data) {
  std::string got;
  size_t sent = 0;
  char buf[65536];
  while (got.size() < data.size()) {
    pollfd p{fd, static_cast<short>(POLLIN | (sent < data.size() ? POLLOUT : 0)), 0};
    if (poll(&p, 1, 10000) <= 0) break;
    if ((p.revents & POLLOUT) && sent < data.size()) {
      const ssize_t n = send(fd, data.data() + sent, std::min<size_t>(data.size() - sent, 16384),
                             MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) sent += static_cast<size_t>(n);
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n == 0) break;
      if (n > 0) got.append(buf, static_cast<size_t>(n));
      if (n < 0 && errno != EAGAIN) break;
    }
  }
  return got;
}

std::unique_ptr<LoopbackServer> LoopbackServer::Start(Mode mode, bool v6) {
  std::unique_ptr<LoopbackServer> s(new LoopbackServer());
  s->mode_ = mode;
  auto fd = ListenLoopback(&s->port_, v6);
  if (!fd) return nullptr;
  s->listener_ = std::move(*fd);
  auto pipe = SysPipe(O_CLOEXEC);
  if (!pipe) return nullptr;
  s->stop_r_ = std::move(pipe->read);
  s->stop_w_ = std::move(pipe->write);
  s->acceptor_ = std::thread([p = s.get()] { p->AcceptLoop(); });
  return s;
}

LoopbackServer::~LoopbackServer() {
  stopping_ = true;
  [[maybe_unused]] ssize_t n = write(stop_w_.get(), "x", 1);
  acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
}

std::string LoopbackServer::last_request() const {
  std::lock_guard lock(mu_);
  return last_request_;
}

void LoopbackServer::AcceptLoop() {
  for (;;) {
    pollfd p[2] = {{listener_.get(), POLLIN, 0}, {stop_r_.get(), POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents != 0 || stopping_) return;
    const int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    accepted_++;
    std::lock_guard lock(mu_);
    open_fds_.push_back(fd);
    workers_.emplace_back([this, fd] { Serve(fd); });
  }
}

void LoopbackServer::Serve(int raw_fd) {
  UniqueFd fd(raw_fd);
  timeval tv{30, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  auto finish = [&] {
    std::lock_guard lock(mu_);
    open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), raw_fd), open_fds_.end());
  };
  switch (mode_) {
    case Mode::kEcho: {
      char buf[65536];
      for (;;) {
        const ssize_t n = recv(fd.get(), buf, sizeof(buf), 0);
        if (n <= 0) break;
        if (!WriteAll(fd.get(), std::string_view(buf, static_cast<size_t>(n))).ok()) break;
      }
      break;
    }
    case Mode::kHttp: {
      std::string head = ReadUntil(fd.get(), "\r\n\r\n");
      std::string body;
      std::string lower = head;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      const size_t cl = lower.find("\r\ncontent-length:");
      if (cl != std::string::npos) body = ReadN(fd.get(), std::stoul(head.substr(cl + 17)));
      {
        std::lock_guard lock(mu_);
        last_request_ = head;
      }
      const std::string text =
          "upstream saw: " + head.substr(0, head.find("\r\n")) + "\nbody=" + body;
      const std::string response =
          "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(text.size()) +
          "\r\nConnection: close\r\n\r\n" + text;
      (void)WriteAll(fd.get(), response);
      break;
    }
    case Mode::kBytes: {
      const std::string line = ReadUntil(fd.get(), "\n");
      uint64_t want = line.empty() ? 0 : std::stoull(line);
      static const std::string kPattern = [] {
        std::string p(256 * 1024, '\0');
        for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<char>('a' + i % 26);
        return p;
      }();
      while (want > 0 && !stopping_) {
        const size_t chunk = std::min<uint64_t>(want, kPattern.size());
        const ssize_t n = send(fd.get(), kPattern.data(), chunk, MSG_NOSIGNAL);
        if (n <= 0) break;
        bytes_sent_ += static_cast<uint64_t>(n);
        want -= static_cast<uint64_t>(n);
      }
      break;
    }
  }
  finish();
}

}  // namespace cordon::testing
