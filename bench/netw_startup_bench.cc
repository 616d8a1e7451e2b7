// Start-up cost of a "proxy" sandbox against a "none" one: `cordon exec --network proxy
// --allow-domain example.com -- /bin/true` vs `cordon exec --network none -- /bin/true`, run
// round-robin in alternating order (so background noise hits both alike); prints the medians
// and the median of the paired differences.
// The proxy run includes creating the listeners inside, passing them over SCM_RIGHTS, starting
// and stopping the proxy thread and its resolver pool. Target: under 2 ms extra.
//
//   netw_startup_bench [--runs N] [--cordon PATH] [--workspace DIR]
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
  int runs = 200;
  std::string cordon = CORDON_BIN;
  std::string workspace = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--cordon")) cordon = argv[i + 1];
    if (!std::strcmp(argv[i], "--workspace")) workspace = argv[i + 1];
  }
  const std::vector<std::string> none = {cordon,      "exec", "-C", workspace,
                                         "--network", "none", "--", "/bin/true"};
  const std::vector<std::string> proxy = {
      cordon,  "exec",           "-C",          workspace, "--network",
      "proxy", "--allow-domain", "example.com", "--",      "/bin/true"};
  for (int i = 0; i < 10; ++i) {  // warm caches
    RunOnce(none);
    RunOnce(proxy);
  }
  std::vector<double> t_none, t_proxy, diff;
  for (int i = 0; i < runs; ++i) {
    // The order alternates (ABBA...): each run pays for the tear-down of the one before it (the
    // kernel frees a network namespace in the background), which a fixed order would charge to
    // one side only.
    double a, b;
    if (i % 2 == 0) {
      a = RunOnce(none);
      b = RunOnce(proxy);
    } else {
      b = RunOnce(proxy);
      a = RunOnce(none);
    }
    t_none.push_back(a);
    t_proxy.push_back(b);
    diff.push_back(b - a);
  }
  std::printf("runs: %d pairs (round-robin, alternating order)\n", runs);
  std::printf("network none : median %.3f ms\n", Median(t_none));
  std::printf("network proxy: median %.3f ms\n", Median(t_proxy));
  std::printf("proxy - none : median of paired differences %.3f ms (target < 2 ms)\n",
              Median(diff));
  return 0;
}
