// `cordon explain`: the resolved policy and the plan, for a person (text) and for tools (JSON).
#include <sstream>

#include "plan/plan.h"
#include "plan/seccomp_policy.h"

namespace cordon {

const char* MountKindName(MountKind kind) {
  switch (kind) {
    case MountKind::kRootFromHost: return "root-from-host";
    case MountKind::kRootEmpty: return "root-empty";
    case MountKind::kBind: return "bind";
    case MountKind::kMaskDir: return "mask-dir";
    case MountKind::kMaskFile: return "mask-file";
    case MountKind::kProc: return "proc";
    case MountKind::kDev: return "dev";
  }
  return "?";
}

namespace {

std::string Namespaces(const Plan& plan) {
  return plan.new_network_namespace ? "user mount pid net ipc uts cgroup"
                                    : "user mount pid ipc uts cgroup (network shared with host)";
}

std::string SeccompLine(const SeccompBlock& b) {
  std::string what = b.syscall;
  if (b.condition == SeccompCondition::kIoctlRequest) {
    what += b.arg == 0x5412 ? "(TIOCSTI)" : b.arg == 0x541C ? "(TIOCLINUX)" : "(request)";
  } else if (b.condition == SeccompCondition::kNamespaceFlags) {
    what += "(CLONE_NEW*)";
  } else if (b.condition == SeccompCondition::kSocketFamily) {
    what += "(family not unix/inet/inet6/netlink)";
  }
  return what;
}

}  // namespace

std::string PlanToText(const Plan& plan, const Policy& policy) {
  std::ostringstream out;
  out << "profile:    " << policy.profile;
  if (policy.profile_chain.size() > 1) {
    out << " (";
    for (size_t i = 1; i < policy.profile_chain.size(); ++i) {
      out << (i > 1 ? " -> " : "extends ") << policy.profile_chain[i];
    }
    out << ")";
  }
  out << "\n";
  if (!policy.description.empty()) out << "            " << policy.description << "\n";
  out << "workspace:  " << policy.workspace_root << "\n";
  out << "command:    ";
  for (const auto& a : plan.argv) out << a << " ";
  out << "\ncwd:        " << plan.cwd << "\n\n";

  out << "filesystem rules (most specific wins; no rule: not visible):\n";
  for (const auto& r : policy.rules) {
    out << "  " << AccessName(r.access) << "\t" << r.path << "\t(" << r.origin << ")\n";
  }
  out << "\nmounts, in order:\n";
  int i = 1;
  for (const auto& m : plan.mounts) {
    out << "  " << i++ << ". " << MountKindName(m.kind) << " ";
    if (m.kind == MountKind::kBind) out << (m.writable ? "rw " : "ro ");
    if (m.kind == MountKind::kRootFromHost) out << (m.writable ? "rw " : "ro ");
    out << m.target << "  -- " << m.why << "\n";
  }
  out << "\nlandlock (second layer, best ABI available):\n";
  for (const auto& g : plan.landlock) {
    out << "  " << (g.write ? "read+write " : "read+exec  ") << g.path << "\n";
  }
  if (plan.landlock_full_coverage) {
    out << "  landlock alone enforces every filesystem rule\n";
  } else {
    for (const auto& gap : plan.landlock_gaps) out << "  mount layer only: " << gap << "\n";
  }
  out << "  tcp bind/connect: " << (plan.landlock_tcp_denied ? "denied" : "allowed") << "\n";
  out << "\nnamespaces: " << Namespaces(plan) << "\n";
  out << "uid map:    " << plan.uid_map.inside << " " << plan.uid_map.outside << " "
      << plan.uid_map.count << "\n";
  out << "network:    " << NetworkModeName(policy.network.mode)
      << (policy.network.mode == NetworkMode::kNone ? " (loopback only)" : "") << "\n";
  out << "capabilities kept: ";
  if (plan.kept_capabilities.empty()) out << "none";
  for (const auto& c : plan.kept_capabilities) out << c << " ";
  out << "\nno_new_privs: yes\n";
  out << "\nseccomp (refused calls):\n";
  for (const auto& b : SeccompBlocks()) {
    out << "  " << SeccompLine(b) << " -- " << b.reason << "\n";
  }
  out << "\nenvironment edits:\n";
  for (const auto& e : plan.env_edits) {
    if (e.kind == EnvEdit::Kind::kUnset) {
      out << "  unset " << e.name << " -- " << e.why << "\n";
    } else {
      out << "  set   " << e.name << "=" << e.value << " -- " << e.why << "\n";
    }
  }
  if (!plan.notes.empty()) {
    out << "\nnotes:\n";
    for (const auto& n : plan.notes) out << "  " << n << "\n";
  }
  return out.str();
}

nlohmann::json PlanToJson(const Plan& plan, const Policy& policy) {
  using nlohmann::json;
  json j;
  j["profile"] = policy.profile;
  j["profile_chain"] = policy.profile_chain;
  j["workspace_root"] = policy.workspace_root;
  j["workspace_roots"] = policy.workspace_roots;
  j["argv"] = plan.argv;
  j["cwd"] = plan.cwd;
  j["rules"] = json::array();
  for (const auto& r : policy.rules) {
    j["rules"].push_back({{"path", r.path}, {"access", AccessName(r.access)}, {"origin", r.origin}});
  }
  j["mounts"] = json::array();
  for (const auto& m : plan.mounts) {
    json op = {{"kind", MountKindName(m.kind)}, {"target", m.target}, {"why", m.why}};
    if (m.kind == MountKind::kBind) op["source"] = m.source;
    if (m.kind == MountKind::kBind || m.kind == MountKind::kRootFromHost) op["writable"] = m.writable;
    j["mounts"].push_back(op);
  }
  j["landlock"]["grants"] = json::array();
  for (const auto& g : plan.landlock) {
    j["landlock"]["grants"].push_back({{"path", g.path}, {"write", g.write}});
  }
  j["landlock"]["full_coverage"] = plan.landlock_full_coverage;
  j["landlock"]["gaps"] = plan.landlock_gaps;
  j["landlock"]["tcp_denied"] = plan.landlock_tcp_denied;
  j["namespaces"] = plan.new_network_namespace
                        ? json::array({"user", "mount", "pid", "net", "ipc", "uts", "cgroup"})
                        : json::array({"user", "mount", "pid", "ipc", "uts", "cgroup"});
  j["uid_map"] = {plan.uid_map.inside, plan.uid_map.outside, plan.uid_map.count};
  j["gid_map"] = {plan.gid_map.inside, plan.gid_map.outside, plan.gid_map.count};
  j["capabilities"] = plan.kept_capabilities;
  j["no_new_privs"] = true;
  j["network"] = {{"mode", NetworkModeName(policy.network.mode)},
                  {"allow_local_binding", policy.network.allow_local_binding}};
  j["seccomp"] = json::array();
  for (const auto& b : SeccompBlocks()) {
    j["seccomp"].push_back({{"call", SeccompLine(b)}, {"errno", b.error}, {"reason", b.reason}});
  }
  j["env_edits"] = json::array();
  for (const auto& e : plan.env_edits) {
    json edit = {{"op", e.kind == EnvEdit::Kind::kUnset ? "unset" : "set"}, {"name", e.name},
                 {"why", e.why}};
    if (e.kind == EnvEdit::Kind::kSet) edit["value"] = e.value;
    j["env_edits"].push_back(edit);
  }
  j["notes"] = plan.notes;
  return j;
}

}  // namespace cordon
