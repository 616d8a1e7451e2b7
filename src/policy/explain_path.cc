// `cordon explain --path P`: which rule decides one path and why. The answer is computed from the
// resolved policy with the same Decide() the plan uses, so it cannot disagree with what runs.
#include <sstream>

#include "base/paths.h"
#include "policy/policy.h"

namespace cordon {
namespace {

std::string AccessWord(const Decision& d) {
  if (!d.visible) return "not visible";
  switch (d.access) {
    case Access::kDeny:
      return "denied (neither readable nor writable)";
    case Access::kRead:
      return "readable, not writable";
    case Access::kWrite:
      return "readable and writable";
  }
  return "?";
}

}  // namespace

std::string ExplainPath(const Policy& policy, const std::string& given) {
  std::ostringstream out;
  std::string path = given;
  if (path.empty() || path[0] != '/') path = JoinPath(policy.workspace_root, path);
  path = NormalizePath(path);
  out << "path:     " << given << "\n";
  auto resolved = ResolvePath(path);
  if (resolved && *resolved != path) {
    out << "resolved: " << *resolved << " (through a symlink: rules apply to where it leads)\n";
    path = *resolved;
  } else if (path != given) {
    out << "absolute: " << path << "\n";
  }
  const Decision d = policy.Decide(path);
  out << "decision: " << AccessWord(d) << "\n";
  if (d.rule == nullptr) {
    out << "why:      no rule covers it; a path no rule covers is not in the sandbox\n";
    return out.str();
  }
  out << "why:      the most specific rule covering it is\n"
      << "            " << AccessName(d.rule->access) << "  " << d.rule->path << "\n"
      << "          from " << d.rule->origin << "\n";
  if (d.rule->credential_default) {
    out << "          (a credential default: an explicit rule for exactly " << d.rule->path
        << " in the profile opts out)\n";
  }
  for (const auto& t : d.rule->tied) {
    out << "          tie on the same path, lost: " << t << " (deny beats write beats read)\n";
  }
  const auto covering = policy.Covering(path);
  if (covering.size() > 1) {
    out << "covering rules, least specific first:\n";
    for (const FsRule* r : covering) {
      out << "  " << AccessName(r->access) << "\t" << r->path << "\t(" << r->origin << ")"
          << (r == d.rule ? "  <- decides" : "") << "\n";
    }
  }
  // What enforces it: Landlock cannot take a right away below a grant, so a rule weaker than its
  // parent is held by the mount layer alone.
  if (covering.size() > 1) {
    const FsRule* parent = covering[covering.size() - 2];
    if (TieRank(d.rule->access) < TieRank(parent->access) || d.rule->access == Access::kDeny) {
      if (parent->access != Access::kDeny) {
        out << "enforced: by the mount layer only (Landlock cannot narrow " << parent->path << " = "
            << AccessName(parent->access) << ")\n";
      }
    }
  }
  return out.str();
}

}  // namespace cordon
