// Test helpers for policy/home: temporary directories, fixture copies, small file builders.
#pragma once

#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "base/sys.h"

namespace cordon::testing_home {

// A directory under /tmp removed (with everything in it) when the object goes away. Mode 0755
// so that a test can drop to another uid and still reach it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/cordon-home-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
    ::chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    // Restore modes first so that removal works after chmod 000 tests.
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(
             path_, std::filesystem::directory_options::skip_permission_denied, ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_symlink()) ::chmod(it->path().c_str(), 0755);
    }
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

inline std::string Fixture(const std::string& rel) {
  return std::string(CORDON_SOURCE_DIR) + "/src/policy/home/testdata/" + rel;
}

inline void CopyFixture(const std::string& rel, const std::string& to) {
  std::filesystem::copy(
      Fixture(rel), to,
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
}

inline void WriteFile(const std::string& path, const std::string& text = "x\n") {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

inline void MakeDir(const std::string& path) { std::filesystem::create_directories(path); }

inline void Symlink(const std::string& target, const std::string& link) {
  std::filesystem::create_symlink(target, link);
}

// Runs `fn` without privileges and returns its text: directly when not root, else in a forked
// child that has dropped to uid/gid 65534 (root ignores file modes, so a mode-000 fixture means
// nothing to it). Returns "child failed" if the child could not drop privileges or crashed.
inline std::string RunUnprivileged(const std::function<std::string()>& fn) {
  if (::geteuid() != 0) return fn();
  auto pipe = SysPipe(O_CLOEXEC);
  if (!pipe) return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    pipe->read.reset();
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) _exit(3);
    if (::geteuid() == 0) _exit(4);
    (void)WriteAll(pipe->write.get(), fn());
    _exit(0);
  }
  pipe->write.reset();
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipe->read.get(), buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "child failed";
  return out;
}

}  // namespace cordon::testing_home
