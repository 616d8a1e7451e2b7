// Who is on the other end of a unix socket, and passing a descriptor across one.
//
// SECURITY: SO_PEERCRED reports the process that CREATED the peer socket (socketpair(2) or
// connect(2)), not the one that holds it now. On a socketpair made by the host before clone()
// it names the host itself, so checking it would prove nothing. The runner therefore makes the
// control socketpair itself after it starts and sends the host one end with SendFd() over the
// bootstrap socket; VerifyPeerPid() on that end then names the runner, translated by the kernel
// into the host's PID namespace.
#pragma once

#include <sys/types.h>

#include "base/result.h"
#include "base/unique_fd.h"
#include "ipc/blocking_io.h"

namespace cordon::ipc {

struct PeerCredentials {
  pid_t pid = 0;  // 0 if the peer's pid is not visible in the caller's PID namespace
  uid_t uid = 0;
  gid_t gid = 0;
};
Result<PeerCredentials> GetPeerCredentials(int socket_fd);

// Ok if the peer socket was created by `expected_pid`; EPERM with both pids in the detail if not.
Status VerifyPeerPid(int socket_fd, pid_t expected_pid);

// Sends `fd` (SCM_RIGHTS) with a one-byte payload over a unix socket.
Status SendFd(int socket_fd, int fd);
// Receives one descriptor sent by SendFd, close-on-exec, by the deadline (ETIMEDOUT). EPROTO if
// the message carried no descriptor; any extra descriptors are closed.
Result<UniqueFd> ReceiveFd(int socket_fd, Deadline deadline);

}  // namespace cordon::ipc
