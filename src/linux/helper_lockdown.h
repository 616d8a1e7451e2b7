// LockDownHelperProcess: what a helper process of cordon's gives up before it handles anything
// a sandboxed command sent it. The network bridge (runner/bridge_process.h) runs on the host,
// outside every sandbox, and parses HTTP and SOCKS5 from the command: a bug there must not hand
// the command cordon's powers. So the bridge, once it holds the descriptors it serves, drops
// every capability, sets no_new_privs, restricts itself with Landlock to reading the files name
// resolution needs (no writing anywhere, no other reading; no abstract unix socket, no signal
// outside itself), and installs the sandbox's seccomp filter (no mount, no namespaces, no
// io_uring, no bpf, no ptrace, ...). It keeps its network: reaching the allowed hosts is its job.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace cordon {

// In this order: capabilities (kDropIfPermitted), no_new_privs, Landlock (best effort: Landlock
// may be missing), seccomp. Call it before starting threads (Landlock and seccomp apply to the
// calling thread and the threads it creates afterwards). An error leaves the process partly
// locked down: the caller must not go on serving.
Status LockDownHelperProcess(const std::vector<std::string>& readable);

}  // namespace cordon
