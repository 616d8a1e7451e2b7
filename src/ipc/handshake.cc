// The handshake: see handshake.h and docs/protocol.md.
#include "ipc/handshake.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>

#include "ipc/peer.h"

namespace cordon::ipc {

Result<HostHandshakeResult> HostHandshake(int fd, pid_t expected_runner_pid, Deadline deadline) {
  if (expected_runner_pid > 0) CORDON_TRY(VerifyPeerPid(fd, expected_runner_pid));
  // A Hello may come from a runner of any version: its frame carries the runner's lowest version,
  // and Hello's layout is frozen, so any header version is accepted for this one frame.
  auto first = ReadMessage(fd, deadline, 1, std::numeric_limits<uint16_t>::max());
  if (!first) return first.error();
  const auto* hello = std::get_if<Hello>(&*first);
  if (hello == nullptr) {
    return Error{"ipc handshake",
                 {},
                 EPROTO,
                 std::string("expected Hello, got ") + MessageTypeName(TypeOf(*first))};
  }
  const uint16_t low = std::max(hello->min_version, kMinVersion);
  const uint16_t high = std::min(hello->max_version, kMaxVersion);
  if (low > high) {
    return Error{"ipc handshake",
                 {},
                 EPROTONOSUPPORT,
                 "runner speaks versions " + std::to_string(hello->min_version) + ".." +
                     std::to_string(hello->max_version) + ", cordon speaks " +
                     std::to_string(kMinVersion) + ".." + std::to_string(kMaxVersion)};
  }
  CORDON_TRY(WriteMessage(fd, HelloAck{high}, deadline, high));
  return HostHandshakeResult{high, *hello};
}

Result<uint16_t> RunnerHandshake(int fd, std::string agent, Deadline deadline) {
  Hello hello{kMinVersion, kMaxVersion, static_cast<int32_t>(::getpid()), std::move(agent)};
  CORDON_TRY(WriteMessage(fd, hello, deadline, kMinVersion));
  auto reply = ReadMessage(fd, deadline);
  if (!reply) return reply.error();
  const auto* ack = std::get_if<HelloAck>(&*reply);
  if (ack == nullptr) {
    return Error{"ipc handshake",
                 {},
                 EPROTO,
                 std::string("expected HelloAck, got ") + MessageTypeName(TypeOf(*reply))};
  }
  if (ack->version < kMinVersion || ack->version > kMaxVersion) {
    return Error{
        "ipc handshake", {}, EPROTONOSUPPORT, "host chose version " + std::to_string(ack->version)};
  }
  return ack->version;
}

}  // namespace cordon::ipc
