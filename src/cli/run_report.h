// The machine-readable end-of-run report of `cordon exec --json-report FILE` (or
// `--json-report-fd N`): one JSON object on one line, written after the command has ended, on a
// channel of its own so that it never mixes with the command's stdout or stderr (which the
// command controls, and could use to forge a report). Format: docs/network.md#run-report.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "runner/one_shot.h"

namespace cordon {

// What the report says besides the outcome; filled in as the run gets to know it.
struct RunReportContext {
  std::string profile;       // "" until the policy is resolved
  std::string network_mode;  // "none", "proxy", "full"; "" until the policy is resolved
  double duration_ms = 0;    // from `cordon exec`'s start to the command's end
};

// The report as JSON (keys in a fixed, documented order).
nlohmann::ordered_json RunReportJson(const ExecOutcome& outcome, const RunReportContext& context);

// Where the report goes, opened before anything runs so that a bad destination fails the run
// up front and the sandboxed command cannot choose or redirect it.
class RunReportSink {
 public:
  RunReportSink() = default;  // no report asked for
  // A file, created (mode 0600) or truncated. A symlink as the last component is refused
  // (O_NOFOLLOW): an earlier sandboxed command could have planted one to make cordon overwrite
  // another of the user's files.
  static Result<RunReportSink> OpenFile(const std::string& path);
  // A descriptor the caller passed (e.g. a pipe). Not 0, 1 or 2; must be open for writing. It is
  // made close-on-exec: the sandboxed command never gets it.
  static Result<RunReportSink> AdoptFd(int fd);

  bool wanted() const { return fd_.valid(); }
  // Writes `report` and a newline. A file is rewritten from its start (the command may have
  // written to it if it lies in a writable part of the sandbox); a descriptor gets one write.
  // Fails if the path no longer names the file opened before the run: the command replaced it,
  // and whatever the path shows now is not cordon's report.
  Status Write(const nlohmann::ordered_json& report);

 private:
  UniqueFd fd_;
  bool is_file_ = false;
  std::string path_;  // OpenFile only
};

// Tracks the time and the context of one `cordon exec`, and writes its report when asked.
class RunReporter {
 public:
  explicit RunReporter(RunReportSink sink)
      : sink_(std::move(sink)), start_(std::chrono::steady_clock::now()) {}
  void SetPolicy(std::string profile, std::string network_mode) {
    context_.profile = std::move(profile);
    context_.network_mode = std::move(network_mode);
  }
  // Writes the report for `outcome` (if one was asked for) and returns cordon's exit status. A
  // report that cannot be written (or was replaced) is printed on stderr and makes it 125.
  int Finish(const ExecOutcome& outcome);
  // A failure before the sandbox ran: printed on stderr ("cordon: ..."), reported, 125.
  int Fail(const Error& error);

 private:
  RunReportSink sink_;
  std::chrono::steady_clock::time_point start_;
  RunReportContext context_;
};

}  // namespace cordon
