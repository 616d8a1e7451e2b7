// The host's pathname unix sockets, so the plan can hide those the sandbox could otherwise reach
// (docker, ssh-agent, D-Bus, X11, systemd) in "none" and "proxy" network modes.
//
// Source: /proc/net/unix, read by cordon before the sandbox is made. It lists the sockets of
// cordon's network namespace only, and only those bound at that moment: sockets created on the
// host later, or bound in another network namespace, are not in it (docs/security.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cordon {

// Every distinct bound pathname (absolute; abstract "@..." names are left out) in the text of
// /proc/net/unix, in order of first appearance. Listening stream sockets and bound datagram
// sockets both count: either can be reached by a path.
std::vector<std::string> ParseProcNetUnix(std::string_view text);

// ParseProcNetUnix of this process's /proc/net/unix; empty if it cannot be read.
std::vector<std::string> ListeningUnixSockets();

}  // namespace cordon
