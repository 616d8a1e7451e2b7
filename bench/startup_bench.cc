// Start-up cost of `cordon exec -- /bin/true` on the :workspace profile, against bare /bin/true
// and against bubblewrap with the equivalent flags, in the same run. The three commands are run
// round-robin (so background noise hits all of them alike) and the medians and ratios printed.
// A second cordon row runs the same policy in a workspace that has every protected name, so no
// placeholder has to be made and removed.
//
//   startup_bench [--runs N] [--cordon PATH] [--workspace DIR]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

double RunOnce(const std::vector<std::string>& argv) {
  std::vector<char*> a;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execv(a[0], a.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  const auto end = std::chrono::steady_clock::now();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "command failed: %s (status %d)\n", argv[0].c_str(), status);
    std::exit(1);
  }
  return std::chrono::duration<double, std::milli>(end - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 300;
  std::string cordon = CORDON_BIN;
  char cwd[4096];
  std::string workspace = ::getcwd(cwd, sizeof cwd) ? cwd : "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--cordon")) cordon = argv[i + 1];
    if (!std::strcmp(argv[i], "--workspace")) workspace = argv[i + 1];
  }
  if (::chdir(workspace.c_str()) != 0) return 1;
  const bool has_git = ::access((workspace + "/.git").c_str(), F_OK) == 0;
  std::vector<std::string> bwrap = {"/usr/bin/bwrap", "--ro-bind", "/",      "/",
                                    "--bind",         workspace,   workspace};
  if (has_git) {
    const std::string git = workspace + "/.git";
    bwrap.insert(bwrap.end(), {"--ro-bind", git, git});
  }
  bwrap.insert(bwrap.end(), {"--unshare-all", "--die-with-parent", "--new-session", "--proc",
                             "/proc", "--dev", "/dev", "/bin/true"});
  // The same policy in a workspace that already has every protected name (.git, .codex,
  // .agents, .cordon), so cordon needs no placeholders: the part of cordon's cost that bwrap's
  // flags have no counterpart for (they protect .git only, and only when it exists).
  char tmpl[] = "/tmp/cordon-startup-XXXXXX";
  const std::string full = ::mkdtemp(tmpl) ? tmpl : "";
  if (full.empty() || std::system(("git init -q '" + full + "' && mkdir '" + full + "/.codex' '" +
                                   full + "/.agents' '" + full + "/.cordon'")
                                      .c_str()) != 0) {
    std::fprintf(stderr, "cannot prepare %s\n", full.c_str());
    return 1;
  }
  struct Case {
    const char* name;
    std::vector<std::string> argv;
    std::vector<double> ms;
  };
  std::vector<Case> cases = {
      {"bare /bin/true", {"/bin/true"}, {}},
      {"cordon exec (:workspace)", {cordon, "exec", "--", "/bin/true"}, {}},
      {"cordon, no placeholders", {cordon, "exec", "-C", full, "--", "/bin/true"}, {}}};
  if (::access("/usr/bin/bwrap", X_OK) == 0)
    cases.push_back({"bwrap (equivalent flags)", bwrap, {}});

  for (auto& c : cases) RunOnce(c.argv);  // warm caches
  for (int i = 0; i < runs; ++i) {
    for (auto& c : cases) c.ms.push_back(RunOnce(c.argv));
  }
  std::printf("start-up, median of %d runs each (workspace %s%s, uid %d)\n", runs,
              workspace.c_str(), has_git ? ", with .git" : "", ::getuid());
  for (auto& c : cases) std::printf("  %-28s %8.3f ms\n", c.name, Median(c.ms));
  const double cordon_ms = Median(cases[1].ms);
  std::printf("  cordon / bare true          %8.2fx\n", cordon_ms / Median(cases[0].ms));
  if (cases.size() > 3) {
    const double bwrap_ms = Median(cases[3].ms);
    std::printf("  cordon / bwrap              %8.2fx   (target: <= 0.50x)\n",
                cordon_ms / bwrap_ms);
    std::printf("  no placeholders / bwrap     %8.2fx\n", Median(cases[2].ms) / bwrap_ms);
  }
  return std::system(("rm -rf '" + full + "'").c_str()) == 0 ? 0 : 1;
}
