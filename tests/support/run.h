// Test support: runs the real cordon binary (or any program) as a child process, optionally as
// an unprivileged user, and captures what it did.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cordon::testing {

struct RunResult {
  int exit_code = -1;     // exit status, or 128+N when killed by signal N
  std::string out;
  std::string err;
};

struct RunOptions {
  std::string cwd;
  std::map<std::string, std::string> env_set;   // added/overridden in the inherited environment
  std::vector<std::string> env_unset;
  std::string stdin_data;
  int stdin_fd = -1;                            // use this fd as stdin instead of stdin_data
  bool as_test_user = true;                     // drop to the unprivileged test user if enabled
  int timeout_ms = 30000;
};

// The uid the integration tests run cordon as: 0 (root), or the value of CORDON_TEST_UID.
uid_t TestUid();
bool RunningUnprivileged();

// A copy of the cordon binary that every user can execute.
const std::string& CordonBinary();

RunResult Run(const std::vector<std::string>& argv, const RunOptions& options = {});
// Runs `cordon <args...>`.
RunResult Cordon(const std::vector<std::string>& args, const RunOptions& options = {});

// A fresh directory under `parent` (default /var/tmp, which no built-in profile makes writable),
// owned by the test user, removed at destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& parent = "/var/tmp");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& content);
std::string ReadFile(const std::string& path);
bool PathExists(const std::string& path);
// Runs a shell snippet on the host (as the test user unless told otherwise), failing the test if
// it fails.
std::string Sh(const std::string& script, const std::string& cwd = "", bool as_test_user = true);
void ChownToTestUser(const std::string& path);

}  // namespace cordon::testing
