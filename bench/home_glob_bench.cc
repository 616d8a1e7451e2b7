// Deny-glob expansion speed: generates a tree of N files (default 100,000) in a temporary
// directory, shaped like a source checkout (nested packages, a few .env files, secrets/ dirs),
// then times ExpandDenyGlobs over it several times and prints the median, next to a
// std::filesystem::recursive_directory_iterator walk of the same tree as a baseline.
// Usage: home_glob_bench [files] [runs] [existing-dir]
// With an existing directory, the tree is neither generated nor removed (for profiling).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "policy/home/deny_glob.h"

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void Touch(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror(path.c_str());
    std::exit(1);
  }
  ::close(fd);
}

// 10 top dirs x 10 x 10 leaf dirs, files spread evenly; every 50th leaf has a secrets/ dir
// and every 10th a .env file.
size_t Generate(const std::string& root, size_t files) {
  namespace fs = std::filesystem;
  size_t leaves = 1000;
  size_t per_leaf = files / leaves;
  size_t made = 0;
  for (size_t i = 0; i < leaves; ++i) {
    std::string dir = root + "/pkg" + std::to_string(i / 100) + "/mod" +
                      std::to_string(i / 10 % 10) + "/src" + std::to_string(i % 10);
    fs::create_directories(dir);
    for (size_t f = 0; f < per_leaf; ++f, ++made) {
      Touch(dir + "/file" + std::to_string(f) + (f % 3 == 0 ? ".cc" : ".h"));
    }
    if (i % 10 == 0) Touch(dir + "/.env");
    if (i % 50 == 0) {
      fs::create_directories(dir + "/secrets");
      Touch(dir + "/secrets/key.pem");
    }
  }
  fs::create_directories(root + "/config");
  Touch(root + "/config/server.pem");
  return made;
}

}  // namespace

int main(int argc, char** argv) {
  size_t files = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  int runs = argc > 2 ? std::atoi(argv[2]) : 7;
  bool own_tree = argc <= 3;
  std::string root;
  size_t made = 0;
  if (own_tree) {
    char tmpl[] = "/tmp/cordon-home-bench-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    root = tmpl;
    made = Generate(root, files);
  } else {
    root = argv[3];
  }
  std::vector<std::string> patterns = {"**/*.env", "**/secrets/**", "config/*.pem"};

  std::vector<double> ours;
  std::vector<double> baseline;
  size_t matches = 0;
  size_t entries = 0;
  for (int r = 0; r < runs + 1; ++r) {  // the first run warms the dentry cache and is dropped
    auto t0 = std::chrono::steady_clock::now();
    auto result = cordon::ExpandDenyGlobs(root, patterns);
    auto t1 = std::chrono::steady_clock::now();
    if (!result) {
      std::fprintf(stderr, "%s\n", result.error().ToString().c_str());
      return 1;
    }
    matches = result->matches.size();
    entries = result->entries_seen;
    size_t n = 0;
    for (auto it = std::filesystem::recursive_directory_iterator(root);
         it != std::filesystem::recursive_directory_iterator(); ++it) {
      ++n;
    }
    auto t2 = std::chrono::steady_clock::now();
    if (r == 0) continue;
    ours.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    baseline.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  std::printf("tree: %zu files (+ .env/secrets fixtures), %zu entries seen, %zu matches\n", made,
              entries, matches);
  std::printf("ExpandDenyGlobs (3 patterns): median %.2f ms over %d runs\n", Median(ours), runs);
  std::printf("recursive_directory_iterator baseline: median %.2f ms\n", Median(baseline));
  if (own_tree) std::filesystem::remove_all(root);
  return 0;
}
