#include "support/run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

extern char** environ;

namespace cordon::testing {

uid_t TestUid() {
  const char* v = std::getenv("CORDON_TEST_UID");
  return v != nullptr && *v != '\0' ? static_cast<uid_t>(std::atoi(v)) : ::getuid();
}

bool RunningUnprivileged() { return TestUid() != 0; }

const std::string& CordonBinary() {
  static const std::string path = [] {
    std::string built = std::string(CORDON_BINARY_DIR) + "/src/cli/cordon";
    if (const char* b = std::getenv("CORDON_BIN")) built = b;
    // The build tree may sit below a directory other users cannot enter (/root): copy the
    // binary to a private, world-executable place.
    char tmpl[] = "/tmp/cordon-test-bin-XXXXXX";
    std::string dir = ::mkdtemp(tmpl);
    // Removed when the test process exits: every test is its own process, and a copy each
    // (tens of MB) would fill /tmp within a few runs of the suite.
    static std::string remove_at_exit = dir;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(remove_at_exit, ec);
    });
    ::chmod(dir.c_str(), 0755);
    std::string copy = dir + "/cordon";
    std::filesystem::copy_file(built, copy);
    ::chmod(copy.c_str(), 0755);
    if (RunningUnprivileged() && ::getuid() == 0) {
      // The unprivileged user gets a home of its own (root's is not readable to it).
      std::string home = dir + "/home";
      ::mkdir(home.c_str(), 0755);
      if (::chown(home.c_str(), TestUid(), TestUid()) != 0) ADD_FAILURE() << "chown " << home;
      ::setenv("HOME", home.c_str(), 1);
    }
    return copy;
  }();
  return path;
}

namespace {

void ReadInto(int fd, std::string& out, bool& open) {
  char buf[65536];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) {
    out.append(buf, static_cast<size_t>(n));
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    open = false;
  }
}

}  // namespace

RunResult Run(const std::vector<std::string>& argv_in, const RunOptions& options) {
  std::vector<std::string> argv = argv_in;
  if (options.as_test_user && RunningUnprivileged() && ::getuid() == 0) {
    const std::string id = std::to_string(TestUid());
    argv.insert(argv.begin(), {"setpriv", "--reuid=" + id, "--regid=" + id, "--clear-groups",
                               "--"});
  }
  int in[2], out[2], err[2];
  // The pipes belong to the user who runs cordon, as in that user's shell: a pipe's inode takes
  // the creator's fsuid, and opening /dev/stdout on another user's pipe is EACCES anywhere.
  const bool as_other_user = options.as_test_user && RunningUnprivileged() && ::getuid() == 0;
  if (as_other_user) ::setfsuid(TestUid());
  const bool piped = ::pipe2(in, O_CLOEXEC) == 0 && ::pipe2(out, O_CLOEXEC) == 0 &&
                     ::pipe2(err, O_CLOEXEC) == 0;
  if (as_other_user) ::setfsuid(0);
  if (!piped) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return {};
  }
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    bool drop = options.env_set.count(name) > 0;
    for (const auto& u : options.env_unset) drop = drop || u == name;
    if (!drop) env.push_back(entry);
  }
  for (const auto& [k, v] : options.env_set) env.push_back(k + "=" + v);
  std::vector<char*> argv_p, env_p;
  for (auto& a : argv) argv_p.push_back(a.data());
  argv_p.push_back(nullptr);
  for (auto& e : env) env_p.push_back(e.data());
  env_p.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(options.stdin_fd >= 0 ? options.stdin_fd : in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) ::_exit(121);
    ::execvpe(argv_p[0], argv_p.data(), env_p.data());
    ::_exit(122);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (!options.stdin_data.empty()) {
    ssize_t ignored = ::write(in[1], options.stdin_data.data(), options.stdin_data.size());
    (void)ignored;
  }
  ::close(in[1]);
  RunResult r;
  bool out_open = true, err_open = true;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.timeout_ms);
  while (out_open || err_open) {
    pollfd fds[2] = {{out_open ? out[0] : -1, POLLIN, 0}, {err_open ? err[0] : -1, POLLIN, 0}};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ADD_FAILURE() << "timed out: " << argv_in[0];
      ::kill(pid, SIGKILL);
      break;
    }
    int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (fds[0].revents != 0) ReadInto(out[0], r.out, out_open);
    if (fds[1].revents != 0) ReadInto(err[0], r.err, err_open);
  }
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

RunResult Cordon(const std::vector<std::string>& args, const RunOptions& options) {
  std::vector<std::string> argv = {CordonBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, options);
}

void ChownToTestUser(const std::string& path) {
  if (::getuid() != 0 || !RunningUnprivileged()) return;
  std::string cmd = "chown -R " + std::to_string(TestUid()) + ":" + std::to_string(TestUid()) +
                    " '" + path + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
}

TempDir::TempDir(const std::string& parent) {
  std::string tmpl = parent + "/cordon-test-XXXXXX";
  char* p = ::mkdtemp(tmpl.data());
  if (p == nullptr) {
    ADD_FAILURE() << "mkdtemp in " << parent << ": " << std::strerror(errno);
    return;
  }
  path_ = p;
  ::chmod(path_.c_str(), 0755);
  ChownToTestUser(path_);
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  // Fixtures may contain read-only directories made by tests: make them writable first.
  std::string cmd = "chmod -R u+rwx '" + path_ + "' 2>/dev/null; rm -rf '" + path_ + "'";
  int ignored = std::system(cmd.c_str());
  (void)ignored;
}

void WriteFile(const std::string& path, const std::string& content) {
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr) << path;
  std::fwrite(content.data(), 1, content.size(), f);
  std::fclose(f);
  ChownToTestUser(path);
}

std::string ReadFile(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return "";
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string Sh(const std::string& script, const std::string& cwd, bool as_test_user) {
  RunOptions o;
  o.cwd = cwd;
  o.as_test_user = as_test_user;
  o.env_set = {{"GIT_AUTHOR_NAME", "t"}, {"GIT_AUTHOR_EMAIL", "t@example.invalid"},
               {"GIT_COMMITTER_NAME", "t"}, {"GIT_COMMITTER_EMAIL", "t@example.invalid"},
               {"HOME", cwd.empty() ? "/tmp" : cwd}};
  RunResult r = Run({"/bin/sh", "-c", script}, o);
  EXPECT_EQ(r.exit_code, 0) << script << "\n" << r.err;
  return r.out;
}

}  // namespace cordon::testing
