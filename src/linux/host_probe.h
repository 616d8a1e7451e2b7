// What this host supports, for `cordon doctor`: each check says what it found and what cordon
// does about it.
#pragma once

#include <string>
#include <vector>

namespace cordon {

struct ProbeResult {
  std::string name;       // "user namespaces", "landlock", ...
  bool ok = false;        // cordon can run with its full set of layers on this point
  std::string found;      // what the host has
  std::string action;     // what cordon does about it
};

std::vector<ProbeResult> ProbeHost();

}  // namespace cordon
