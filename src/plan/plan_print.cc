// `cordon explain`: the resolved policy and the plan, for a person (text) and for tools (JSON).
#include <sstream>

#include "base/paths.h"
#include "plan/plan.h"
#include "plan/seccomp_policy.h"

namespace cordon {

const char* MountKindName(MountKind kind) {
  switch (kind) {
    case MountKind::kRootFromHost:
      return "root-from-host";
    case MountKind::kRootEmpty:
      return "root-empty";
    case MountKind::kBind:
      return "bind";
    case MountKind::kMaskDir:
      return "mask-dir";
    case MountKind::kMaskFile:
      return "mask-file";
    case MountKind::kProc:
      return "proc";
    case MountKind::kDev:
      return "dev";
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

// The wiring of "proxy" mode and host ports, and the unix sockets hidden (none/proxy).
void NetworkText(const Plan& plan, std::ostringstream& out) {
  const NetworkPlan& n = plan.network;
  if (n.proxy) {
    out << "  http proxy:   127.0.0.1:" << n.http_port << " inside -> cordon (domain rules)\n";
    out << "  socks5 proxy: 127.0.0.1:" << n.socks_port << " inside -> cordon (domain rules)\n";
    out << "  domains:";
    if (n.domains.empty()) out << " none (every request is refused)";
    out << "\n";
    for (const auto& [pattern, action] : n.domains)
      out << "    " << action << "\t" << pattern << "\n";
    for (const auto& r : n.resolve) out << "  resolve:      " << r << "\n";
    out << "  local targets: " << (n.allow_local_targets ? "allowed" : "refused") << "\n";
  }
  for (uint16_t p : n.host_ports) {
    out << "  host port:    127.0.0.1:" << p << " inside -> host 127.0.0.1:" << p << "\n";
  }
  if (!n.hidden_unix_sockets.empty()) {
    out << "  unix sockets on the host hidden: " << n.hidden_unix_sockets.size()
        << " (see the mounts)\n";
  }
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

  out << "filesystem rules (most specific wins; on a tie deny > write > read; no rule: not "
         "visible):\n";
  for (const auto& r : policy.rules) {
    out << "  " << AccessName(r.access) << "\t" << r.path << "\t(" << r.origin << ")\n";
    for (const auto& t : r.tied) out << "  \t  (lost the tie: " << t << ")\n";
  }
  if (!policy.resolution.empty()) {
    out << "\nhow each entry resolved:\n";
    for (const auto& rr : policy.resolution) {
      out << "  " << rr.entry << "  (" << rr.where << ")\n";
      for (const auto& step : rr.steps) out << "      " << step << "\n";
    }
  }
  out << "\nmounts, in order:\n";
  int i = 1;
  for (const auto& m : plan.mounts) {
    out << "  " << i++ << ". " << MountKindName(m.kind) << " ";
    if (m.kind == MountKind::kBind) out << (m.writable ? "rw " : "ro ");
    if (m.kind == MountKind::kRootFromHost) out << (m.writable ? "rw " : "ro ");
    out << m.target << "  -- " << m.why << "\n";
    for (const auto& mp : m.mount_points) {
      out << "       mount point " << (mp.file ? "(file) " : "") << mp.rel
          << " (for a path re-opened below)\n";
    }
    if (m.kind == MountKind::kRootEmpty) {
      for (const auto& [link, target] : plan.root_symlinks) {
        out << "       symlink " << link << " -> " << target << "\n";
      }
    }
  }
  if (!plan.placeholders.empty()) {
    out << "\nplaceholders (empty directories made on the host before the run, removed after):\n";
    for (const auto& p : plan.placeholders) out << "  " << p.path << "  -- " << p.why << "\n";
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
  out << "  tcp bind/connect: " << (plan.landlock_tcp_denied ? "denied" : "allowed");
  if (plan.landlock_tcp_denied && !plan.landlock_tcp_connect_ports.empty()) {
    out << " (connect allowed to ports";
    for (uint16_t p : plan.landlock_tcp_connect_ports) out << " " << p;
    out << ")";
  }
  out << "\n";
  out << "\nnamespaces: " << Namespaces(plan) << "\n";
  out << "uid map:    " << plan.uid_map.inside << " " << plan.uid_map.outside << " "
      << plan.uid_map.count << "\n";
  out << "network:    " << NetworkModeName(policy.network.mode)
      << (policy.network.mode == NetworkMode::kNone ? " (loopback only)" : "") << "\n";
  NetworkText(plan, out);
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

std::string ExplainPathInPlan(const Plan& plan, const Policy& policy, const std::string& given) {
  std::string out = ExplainPath(policy, given);
  std::string path = given;
  if (path.empty() || path[0] != '/') path = JoinPath(policy.workspace_root, path);
  path = NormalizePath(path);
  if (auto resolved = ResolvePath(path)) path = *resolved;
  // The last mount at or above the path is what the command sees there.
  const MountOp* deepest = nullptr;
  for (const auto& m : plan.mounts) {
    if (m.kind == MountKind::kProc || m.kind == MountKind::kDev) {
      if (PathIsUnder(path, m.target)) deepest = &m;
      continue;
    }
    if (PathIsUnder(path, m.target) &&
        (deepest == nullptr || m.target.size() >= deepest->target.size())) {
      deepest = &m;
    }
  }
  if (deepest != nullptr) {
    out += "mount:    " + std::string(MountKindName(deepest->kind)) + " ";
    if (deepest->kind == MountKind::kBind || deepest->kind == MountKind::kRootFromHost) {
      out += deepest->writable ? "rw " : "ro ";
    }
    out += deepest->target + "  -- " + deepest->why + "\n";
    const Decision d = policy.Decide(path);
    if (d.visible && d.access == Access::kWrite && deepest->kind == MountKind::kBind &&
        !deepest->writable) {
      out +=
          "          so it is read-only after all: the mount plan protects it beyond the "
          "rules\n";
    }
  }
  return out;
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
    j["rules"].push_back(
        {{"path", r.path}, {"access", AccessName(r.access)}, {"origin", r.origin}});
  }
  for (size_t k = 0; k < policy.rules.size(); ++k) {
    if (!policy.rules[k].tied.empty()) j["rules"][k]["tied"] = policy.rules[k].tied;
    if (policy.rules[k].credential_default) j["rules"][k]["credential_default"] = true;
  }
  j["resolution"] = json::array();
  for (const auto& rr : policy.resolution) {
    j["resolution"].push_back({{"entry", rr.entry}, {"where", rr.where}, {"steps", rr.steps}});
  }
  j["placeholders"] = json::array();
  for (const auto& p : plan.placeholders) {
    j["placeholders"].push_back({{"path", p.path}, {"why", p.why}});
  }
  j["root_symlinks"] = json::array();
  for (const auto& [link, target] : plan.root_symlinks) {
    j["root_symlinks"].push_back({{"link", link}, {"target", target}});
  }
  j["mounts"] = json::array();
  for (const auto& m : plan.mounts) {
    json op = {{"kind", MountKindName(m.kind)}, {"target", m.target}, {"why", m.why}};
    if (!m.mount_points.empty()) {
      op["mount_points"] = json::array();
      for (const auto& mp : m.mount_points) {
        op["mount_points"].push_back({{"path", mp.rel}, {"file", mp.file}});
      }
    }
    if (m.kind == MountKind::kBind) op["source"] = m.source;
    if (m.kind == MountKind::kBind || m.kind == MountKind::kRootFromHost)
      op["writable"] = m.writable;
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
                  {"allow_local_binding", policy.network.allow_local_binding},
                  {"allow_local_targets", plan.network.allow_local_targets},
                  {"host_ports", plan.network.host_ports},
                  {"hidden_unix_sockets", plan.network.hidden_unix_sockets}};
  if (plan.network.proxy) {
    j["network"]["http_proxy_port"] = plan.network.http_port;
    j["network"]["socks5_proxy_port"] = plan.network.socks_port;
    j["network"]["domains"] = json::array();
    for (const auto& [pattern, action] : plan.network.domains) {
      j["network"]["domains"].push_back({{"pattern", pattern}, {"action", action}});
    }
    j["network"]["resolve"] = plan.network.resolve;
  }
  j["landlock"]["tcp_connect_ports"] = plan.landlock_tcp_connect_ports;
  j["seccomp"] = json::array();
  for (const auto& b : SeccompBlocks()) {
    j["seccomp"].push_back({{"call", SeccompLine(b)}, {"errno", b.error}, {"reason", b.reason}});
  }
  j["env_edits"] = json::array();
  for (const auto& e : plan.env_edits) {
    json edit = {{"op", e.kind == EnvEdit::Kind::kUnset ? "unset" : "set"},
                 {"name", e.name},
                 {"why", e.why}};
    if (e.kind == EnvEdit::Kind::kSet) edit["value"] = e.value;
    j["env_edits"].push_back(edit);
  }
  j["notes"] = plan.notes;
  return j;
}

}  // namespace cordon
