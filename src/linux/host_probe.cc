#include "linux/host_probe.h"

#include <linux/magic.h>
#include <sys/prctl.h>
#include <sys/statfs.h>

#include <cerrno>

#include "base/sys.h"
#include "linux/landlock.h"

namespace cordon {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string ReadSetting(const std::string& path) {
  auto text = ReadFileToString(path);
  return text ? Trim(*text) : "";
}

}  // namespace

std::vector<ProbeResult> ProbeHost() {
  std::vector<ProbeResult> out;

  {
    ProbeResult r{"user namespaces", true, "", ""};
    const std::string max = ReadSetting("/proc/sys/user/max_user_namespaces");
    const std::string debian = ReadSetting("/proc/sys/kernel/unprivileged_userns_clone");
    const std::string apparmor = ReadSetting("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
    r.found = "max_user_namespaces=" + (max.empty() ? "?" : max);
    if (!debian.empty()) r.found += ", unprivileged_userns_clone=" + debian;
    if (!apparmor.empty()) r.found += ", apparmor_restrict_unprivileged_userns=" + apparmor;
    if (max == "0") {
      r.ok = false;
      r.action = "cordon cannot create sandboxes: raise user.max_user_namespaces";
    } else if (debian == "0") {
      r.ok = false;
      r.action = "only root can create sandboxes: set kernel.unprivileged_userns_clone=1";
    } else if (apparmor == "1") {
      r.ok = false;
      r.action = "AppArmor restricts unprivileged user namespaces: ordinary users need an "
                 "AppArmor profile for cordon granting 'userns' (root is not affected)";
    } else {
      r.action = "every sandbox gets its own user namespace";
    }
    out.push_back(r);
  }
  {
    const int abi = LandlockAbi();
    ProbeResult r{"landlock", abi > 0, abi > 0 ? "ABI " + std::to_string(abi) : "unavailable", ""};
    if (abi == 0) {
      r.action = "the mount layer alone enforces filesystem rules (Landlock is an extra layer)";
    } else {
      r.action = "filesystem allow-list";
      if (abi >= 3) r.action += " incl. truncate";
      if (abi >= 4) r.action += ", TCP bind/connect denied when the network is off";
      if (abi >= 5) r.action += ", device ioctls";
      if (abi >= 6) r.action += ", abstract unix sockets and signals scoped to the sandbox";
    }
    out.push_back(r);
  }
  {
    const int mode = ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
    const std::string actions = ReadSetting("/proc/sys/kernel/seccomp/actions_avail");
    ProbeResult r{"seccomp", mode >= 0 && !actions.empty(),
                  mode < 0 ? "unavailable" : "filter mode available (" + actions + ")", ""};
    r.action = r.ok ? "refuses io_uring, TIOCSTI, mount calls, keyrings, bpf, ... (see explain)"
                    : "cordon refuses to run: seccomp is a required layer";
    out.push_back(r);
  }
  {
    struct statfs fs;
    std::string found = "unknown";
    if (::statfs("/sys/fs/cgroup", &fs) == 0) {
      if (fs.f_type == CGROUP2_SUPER_MAGIC) found = "v2 (unified)";
      else if (fs.f_type == TMPFS_MAGIC) found = "v1 (legacy or hybrid)";
    }
    out.push_back({"cgroups", true, found,
                   "each sandbox gets its own cgroup namespace; cordon sets no resource limits"});
  }
  return out;
}

}  // namespace cordon
