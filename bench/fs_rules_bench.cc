// Start-up cost of filesystem rules as their number grows, and deny-glob expansion over a large
// tree. For N = 10, 100, 1,000, 10,000 rules in a generated workspace (three in four deny a
// file, one in four is a read-only carve-out of a directory inside the writable workspace):
//   - resolve + plan: ResolvePolicy and BuildPlan in this process (config parsing included);
//   - exec: `cordon exec -- /bin/true` with that profile, minus the same with no extra rule,
//     run round-robin (median of the paired differences): the mounts the rules need.
// Then ExpandDenyGlobs through the resolver (":workspace_roots" = { "**/*.env" = "deny", ... })
// over a tree of 100,000 files. Prints the curve and the per-rule cost.
//
//   fs_rules_bench [--runs N] [--files N] [--cordon PATH] [--max-rules N] [--plan-only 1]
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "plan/plan.h"
#include "policy/config.h"
#include "policy/policy.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void Touch(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror(path.c_str());
    std::exit(1);
  }
  ::close(fd);
}

// A workspace with `n` rule targets: d<i>/ directories of 100 entries each; entry i%4==0 is a
// directory (read carve-out), the others files (denied).
std::string MakeProfile(const std::string& ws, int n) {
  std::string body =
      "[permissions.bench.filesystem]\n\":root\" = \"read\"\n"
      "\":workspace_roots\" = { \".\" = \"write\"";
  for (int i = 0; i < n; ++i) {
    const std::string dir = "d" + std::to_string(i / 100);
    const std::string rel = dir + "/e" + std::to_string(i);
    fs::create_directories(ws + "/" + dir);
    if (i % 4 == 0) {
      fs::create_directories(ws + "/" + rel);
      body += ", \"" + rel + "\" = \"read\"";
    } else {
      Touch(ws + "/" + rel);
      body += ", \"" + rel + "\" = \"deny\"";
    }
  }
  return body + " }\n";
}

double RunOnce(const std::vector<std::string>& argv) {
  std::vector<char*> a;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  const auto start = Clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execv(a[0], a.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  const auto end = Clock::now();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "command failed (status %d):", status);
    for (const auto& s : argv) std::fprintf(stderr, " %s", s.c_str());
    std::fprintf(stderr, "\n");
    std::exit(1);
  }
  return Ms(start, end);
}

cordon::PolicyContext Context(const std::string& ws, const std::string& home) {
  cordon::PolicyContext ctx;
  ctx.workspace_root = ws;
  ctx.home = home;
  ctx.profile = "bench";
  return ctx;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 15;
  size_t files = 100000;
  int max_rules = 10000;
  std::string cordon = CORDON_BIN;
  bool plan_only = false;  // --plan-only 1: skip the exec runs (for profiling)
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--plan-only")) plan_only = std::atoi(argv[i + 1]) != 0;
    if (!std::strcmp(argv[i], "--runs"))
      runs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--files"))
      files = std::strtoul(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--cordon"))
      cordon = argv[i + 1];
    else if (!std::strcmp(argv[i], "--max-rules"))
      max_rules = std::atoi(argv[i + 1]);
  }
  char tmpl[] = "/var/tmp/cordon-fs-bench-XXXXXX";
  const std::string root = ::mkdtemp(tmpl);
  const std::string home = root + "/home";
  fs::create_directories(home);
  ::setenv("CORDON_HOME", (root + "/cordon-home").c_str(), 1);

  std::printf("filesystem rules: start-up cost (median of %d runs)\n", runs);
  std::printf("%8s %14s %14s %14s %16s\n", "rules", "resolve+plan", "exec total", "exec - base",
              "per rule (exec)");
  // Baseline: the same profile with no extra rule.
  const std::string base_ws = root + "/ws-0";
  fs::create_directories(base_ws);
  const std::string base_cfg = root + "/cfg-0.toml";
  {
    FILE* f = std::fopen(base_cfg.c_str(), "w");
    std::fputs(MakeProfile(base_ws, 0).c_str(), f);
    std::fclose(f);
  }
  for (int n : {10, 100, 1000, 10000}) {
    if (n > max_rules) break;
    const std::string ws = root + "/ws-" + std::to_string(n);
    fs::create_directories(ws);
    const std::string text = MakeProfile(ws, n);
    const std::string cfg = root + "/cfg-" + std::to_string(n) + ".toml";
    FILE* f = std::fopen(cfg.c_str(), "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);

    std::vector<double> plan_ms, parse_ms, resolve_ms;
    size_t mounts = 0;
    for (int r = 0; r < runs; ++r) {
      const auto t0 = Clock::now();
      auto config = cordon::ParseConfig(text, cfg);
      const auto tp = Clock::now();
      auto policy = cordon::ResolvePolicy(*config, Context(ws, home));
      const auto tr = Clock::now();
      if (!policy) {
        std::fprintf(stderr, "%s\n", policy.error().ToString().c_str());
        return 1;
      }
      cordon::PlanInputs in;
      in.argv = {"/bin/true"};
      auto plan = cordon::BuildPlan(*policy, in);
      const auto t1 = Clock::now();
      if (!plan) {
        std::fprintf(stderr, "%s\n", plan.error().ToString().c_str());
        return 1;
      }
      mounts = plan->mounts.size();
      plan_ms.push_back(Ms(t0, t1));
      parse_ms.push_back(Ms(t0, tp));
      resolve_ms.push_back(Ms(tp, tr));
    }
    std::vector<double> exec_ms, diff_ms;
    for (int r = 0; r < runs && !plan_only; ++r) {
      const double b = RunOnce(
          {cordon, "exec", "--config", base_cfg, "-P", "bench", "-C", base_ws, "--", "/bin/true"});
      const double e =
          RunOnce({cordon, "exec", "--config", cfg, "-P", "bench", "-C", ws, "--", "/bin/true"});
      exec_ms.push_back(e);
      diff_ms.push_back(e - b);
    }
    const double d = Median(diff_ms);
    std::printf(
        "%8d %11.2f ms %11.2f ms %11.2f ms %13.1f us   (%zu mounts; parse %.2f ms, "
        "resolve %.2f ms)\n",
        n, Median(plan_ms), Median(exec_ms), d, 1000.0 * d / n, mounts, Median(parse_ms),
        Median(resolve_ms));
    std::fflush(stdout);
  }

  // Deny globs over a generated tree, through the resolver.
  const std::string tree = root + "/tree";
  size_t made = 0;
  for (size_t i = 0; made < files; ++i) {
    const std::string dir = tree + "/pkg" + std::to_string(i / 100) + "/mod" +
                            std::to_string(i / 10 % 10) + "/src" + std::to_string(i % 10);
    fs::create_directories(dir);
    for (size_t k = 0; k < 100 && made < files; ++k, ++made) {
      Touch(dir + "/f" + std::to_string(k) + (k % 3 ? ".cc" : ".h"));
    }
    if (i % 10 == 0) Touch(dir + "/.env");
    if (i % 50 == 0) {
      fs::create_directories(dir + "/secrets");
      Touch(dir + "/secrets/key.pem");
    }
  }
  const std::string glob_text =
      "[permissions.bench.filesystem]\n\":root\" = \"read\"\n"
      "\":workspace_roots\" = { \".\" = \"write\", \"**/*.env\" = \"deny\", "
      "\"**/secrets/**\" = \"deny\" }\n";
  auto config = cordon::ParseConfig(glob_text, "glob.toml");
  std::vector<double> glob_ms;
  size_t rules = 0;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = Clock::now();
    auto policy = cordon::ResolvePolicy(*config, Context(tree, home));
    const auto t1 = Clock::now();
    if (!policy) {
      std::fprintf(stderr, "%s\n", policy.error().ToString().c_str());
      return 1;
    }
    rules = policy->rules.size();
    glob_ms.push_back(Ms(t0, t1));
  }
  std::printf(
      "\ndeny globs **/*.env and **/secrets/** over %zu files: resolve %.2f ms "
      "(median of %d), %zu rules\n",
      made, Median(glob_ms), runs, rules);
  fs::remove_all(root);
  return 0;
}
