// Peer credentials and descriptor passing: see peer.h.
#include "ipc/peer.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace cordon::ipc {

Result<PeerCredentials> GetPeerCredentials(int socket_fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return ErrnoError("read the peer credentials of the ipc socket");
  }
  return PeerCredentials{cred.pid, cred.uid, cred.gid};
}

Status VerifyPeerPid(int socket_fd, pid_t expected_pid) {
  auto cred = GetPeerCredentials(socket_fd);
  if (!cred) return cred.error();
  if (expected_pid <= 0 || cred->pid != expected_pid) {
    return Error{
        "verify the ipc peer",
        {},
        EPERM,
        "peer pid is " + std::to_string(cred->pid) + ", expected " + std::to_string(expected_pid)};
  }
  return OkStatus();
}

Status SendFd(int socket_fd, int fd) {
  char byte = 'F';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  for (;;) {
    if (::sendmsg(socket_fd, &msg, MSG_NOSIGNAL) == 1) return OkStatus();
    if (errno != EINTR) return ErrnoError("send a descriptor over the ipc socket");
  }
}

Result<UniqueFd> ReceiveFd(int socket_fd, Deadline deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Error{"receive a descriptor", {}, ETIMEDOUT, "deadline passed"};
    pollfd p{socket_fd, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left + 1, 1 << 30)));
    if (n < 0 && errno != EINTR) return ErrnoError("receive a descriptor");
    if (n > 0) break;
  }
  char byte = 0;
  iovec iov{&byte, 1};
  // Room for a few descriptors, so that extra ones are received (and closed) rather than leaked
  // into a truncated control message.
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t got;
  do {
    got = ::recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  } while (got < 0 && errno == EINTR);
  if (got < 0) return ErrnoError("receive a descriptor");
  if (got == 0) return Error{"receive a descriptor", {}, ECONNRESET, "peer closed the socket"};
  UniqueFd result;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (!result) {
        result.reset(fd);
      } else {
        UniqueFd extra(fd);  // closed here
      }
    }
  }
  if (!result) return Error{"receive a descriptor", {}, EPROTO, "message carried no descriptor"};
  if ((msg.msg_flags & MSG_CTRUNC) != 0) {
    return Error{"receive a descriptor", {}, EPROTO, "control message truncated"};
  }
  return result;
}

}  // namespace cordon::ipc
