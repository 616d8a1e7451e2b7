#include "policy/access.h"

namespace cordon {

std::optional<Access> ParseAccess(std::string_view text) {
  if (text == "read") return Access::kRead;
  if (text == "write") return Access::kWrite;
  if (text == "deny" || text == "none") return Access::kDeny;
  return std::nullopt;
}

const char* AccessName(Access access) {
  switch (access) {
    case Access::kDeny: return "deny";
    case Access::kRead: return "read";
    case Access::kWrite: return "write";
  }
  return "?";
}

}  // namespace cordon
