// Loopback test servers and client helpers for the proxy's tests and benchmark (not part of
// cordon_net). Everything binds and connects to 127.0.0.1 or ::1 only.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::testing {

// A listening TCP socket on 127.0.0.1 (or ::1) on an ephemeral port.
Result<UniqueFd> ListenLoopback(uint16_t* port, bool v6 = false);
// A blocking TCP connection to 127.0.0.1:port (receive/send timeouts of `timeout_s`).
Result<UniqueFd> ConnectLoopback(uint16_t port, int timeout_s = 10);
// A port on 127.0.0.1 where nothing listens (bound, then closed).
uint16_t UnusedLoopbackPort();

// Reads until EOF (or timeout/error), returning what arrived.
std::string ReadToEof(int fd);
// Reads exactly n bytes (less on EOF/timeout).
std::string ReadN(int fd, size_t n);
// Reads until `delim` is in the data (or EOF/timeout).
std::string ReadUntil(int fd, const std::string& delim);
// Sends `data` and reads back as many bytes, interleaving both (for echo peers).
std::string EchoRoundTrip(int fd, const std::string& data);

class LoopbackServer {
 public:
  enum class Mode {
    kHttp,   // one request per connection; answers "upstream saw: <request line>\nbody=<body>"
    kEcho,   // echoes every byte
    kBytes,  // reads "N\n", then sends N bytes (a fixed pattern) and closes
  };
  static std::unique_ptr<LoopbackServer> Start(Mode mode, bool v6 = false);
  ~LoopbackServer();

  uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  uint64_t bytes_sent() const { return bytes_sent_.load(); }
  std::string last_request() const;

 private:
  LoopbackServer() = default;
  void AcceptLoop();
  void Serve(int fd);

  Mode mode_ = Mode::kHttp;
  uint16_t port_ = 0;
  UniqueFd listener_;
  UniqueFd stop_r_, stop_w_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<uint64_t> bytes_sent_{0};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<int> open_fds_;
  std::string last_request_;
};

}  // namespace cordon::testing
