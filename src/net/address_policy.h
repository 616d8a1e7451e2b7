// The target address policy: which addresses the proxy may connect to on the agent's behalf.
// Everything that reaches the host itself, its private networks or a cloud metadata service is a
// "local target" and is refused unless the profile allows local targets explicitly. IPv6 forms
// that embed an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64
// 64:ff9b::/96, 6to4 2002::/16) are judged by the embedded IPv4 address.
#pragma once

#include <string>

#include "net/ip_address.h"

namespace cordon {

enum class AddressClass {
  kPublic,       // a global unicast address: allowed
  kUnspecified,  // 0.0.0.0/8, ::
  kLoopback,     // 127.0.0.0/8, ::1
  kPrivate,      // 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10, 64:ff9b:1::/48
  kCarrierNat,   // 100.64.0.0/10 (shared address space)
  kLinkLocal,    // 169.254/16, fe80::/10
  kMetadata,     // 169.254.169.254, fd00:ec2::254, 100.100.100.200 (cloud metadata services)
  kMulticast,    // 224/4, ff00::/8
  kBroadcast,    // 255.255.255.255
  kReserved,     // 240/4 (future use), 192.0.0.0/24 (protocol assignments), 198.18/15 (benchmarks)
};

AddressClass ClassifyAddress(const IpAddress& ip);

// "loopback", "private", "cloud metadata service", ... for messages.
const char* AddressClassName(AddressClass c);

// True unless the address is kPublic.
inline bool IsLocalTarget(const IpAddress& ip) {
  return ClassifyAddress(ip) != AddressClass::kPublic;
}

}  // namespace cordon
