// What a filesystem rule grants: nothing (deny), read, or write. Write implies read.
#pragma once

#include <optional>
#include <string_view>

namespace cordon {

enum class Access { kDeny, kRead, kWrite };

// "read", "write", "deny" and its synonym "none".
std::optional<Access> ParseAccess(std::string_view text);
const char* AccessName(Access access);

// On a tie between rules for the same path: deny beats write beats read.
inline int TieRank(Access a) {
  switch (a) {
    case Access::kDeny: return 2;
    case Access::kWrite: return 1;
    case Access::kRead: return 0;
  }
  return 0;
}

}  // namespace cordon
