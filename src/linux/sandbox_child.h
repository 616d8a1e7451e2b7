// Child-side steps of sandbox set-up, run between clone3() and the init's main loop. Nothing
// here allocates or touches errno after the failing call: each step returns a ChildFailure.
#pragma once

#include "linux/sandbox.h"

namespace cordon {

// Builds the mount tree from plan.mounts and pivots into it.
ChildFailure SetUpMountsChild(const PreparedSandbox& sandbox);
// Brings up the loopback interface of a new network namespace.
ChildFailure BringUpLoopbackChild();
// Creates the listening TCP sockets sandbox.listener_ports on 127.0.0.1 (in the sandbox's network
// namespace) and sends them to cordon over `net_fd` in one SCM_RIGHTS message, then closes them.
ChildFailure SendNetworkListenersChild(const PreparedSandbox& sandbox, int net_fd);
// Adds Landlock rules for what only exists inside the sandbox (/dev/pts, /dev/shm) and
// restricts the calling process (the init; every command it starts inherits the domain).
ChildFailure ApplyLandlockChild(const PreparedSandbox& sandbox);

// The /dev entries bound from the host, in the order ChildStage::kDevNode indexes them.
inline constexpr const char* kDevNodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

}  // namespace cordon
