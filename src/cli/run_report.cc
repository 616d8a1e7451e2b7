#include "cli/run_report.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "base/sys.h"
#include "linux/sandbox.h"
#include "net/blocked_hosts_json.h"

namespace cordon {
namespace {

const char* OutcomeName(ExecOutcome::Kind kind) {
  switch (kind) {
    case ExecOutcome::Kind::kExited:
      return "exited";
    case ExecOutcome::Kind::kSignaled:
      return "signaled";
    case ExecOutcome::Kind::kExecFailed:
      return "exec_failed";
    case ExecOutcome::Kind::kSetupFailed:
      return "setup_failed";
  }
  return "setup_failed";
}

nlohmann::ordered_json OrNull(const std::string& s) {
  return s.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s);
}

}  // namespace

nlohmann::ordered_json RunReportJson(const ExecOutcome& outcome, const RunReportContext& context) {
  using J = nlohmann::ordered_json;
  J report;
  report["cordon_run_report"] = 1;  // the format's version; fields are only ever added
  report["outcome"] = OutcomeName(outcome.kind);
  report["exit_status"] = outcome.ExitStatus();
  report["exit_code"] = outcome.kind == ExecOutcome::Kind::kExited ? J(outcome.code) : J(nullptr);
  if (outcome.kind == ExecOutcome::Kind::kSignaled) {
    report["signal"] = outcome.signal;
    const char* abbrev = sigabbrev_np(outcome.signal);
    report["signal_name"] = abbrev != nullptr ? J(std::string("SIG") + abbrev) : J(nullptr);
  } else {
    report["signal"] = nullptr;
    report["signal_name"] = nullptr;
  }
  const bool failed = outcome.kind == ExecOutcome::Kind::kExecFailed ||
                      outcome.kind == ExecOutcome::Kind::kSetupFailed;
  report["error"] = failed ? J(outcome.error.ToString()) : J(nullptr);
  // Whole microseconds: the value is measured, more digits would be noise.
  report["duration_ms"] =
      static_cast<double>(static_cast<int64_t>(context.duration_ms * 1000)) / 1000;
  report["profile"] = OrNull(context.profile);
  report["network"] = J{{"mode", OrNull(context.network_mode)},
                        {"blocked_hosts", BlockedHostsToJson(outcome.blocked_hosts)}};
  return report;
}

Result<RunReportSink> RunReportSink::OpenFile(const std::string& path) {
  auto fd = SysOpen(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (!fd) {
    Error e = fd.error();
    if (e.err == ELOOP) e.op = "open the run report " + path + " (a symlink: refused)";
    return e;
  }
  RunReportSink sink;
  sink.fd_ = std::move(*fd);
  struct stat st {};
  sink.is_file_ = ::fstat(sink.fd_.get(), &st) == 0 && S_ISREG(st.st_mode);
  sink.path_ = path;
  return sink;
}

Result<RunReportSink> RunReportSink::AdoptFd(int fd) {
  const std::string op = "use descriptor " + std::to_string(fd) + " for the run report";
  if (fd >= 0 && fd <= 2) {
    return PlainError(op, "0, 1 and 2 belong to the command; pass another descriptor");
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return ErrnoError(op);
  if ((flags & O_ACCMODE) == O_RDONLY) return PlainError(op, "it is not open for writing");
  if (::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) return ErrnoError(op);
  RunReportSink sink;
  sink.fd_.reset(fd);
  return sink;
}

Status RunReportSink::Write(const nlohmann::ordered_json& report) {
  if (!fd_) return OkStatus();
  if (!path_.empty()) {
    struct stat opened {
    }, now{};
    if (::fstat(fd_.get(), &opened) < 0 || ::lstat(path_.c_str(), &now) < 0 ||
        opened.st_dev != now.st_dev || opened.st_ino != now.st_ino) {
      return PlainError("write the run report " + path_,
                        "the file was removed or replaced during the run (the sandboxed command "
                        "can write there); use a path outside the sandbox's writable roots, or "
                        "--json-report-fd");
    }
  }
  if (is_file_ && (::ftruncate(fd_.get(), 0) < 0 || ::lseek(fd_.get(), 0, SEEK_SET) < 0)) {
    return ErrnoError("rewrite the run report");
  }
  return WriteAll(fd_.get(), report.dump() + "\n");
}

int RunReporter::Finish(const ExecOutcome& outcome) {
  context_.duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
  if (Status written = sink_.Write(RunReportJson(outcome, context_)); !written) {
    std::fprintf(stderr, "cordon: %s\n", written.error().ToString().c_str());
    return kExitCordonError;  // a caller that reads the report must not trust what is there
  }
  return outcome.ExitStatus();
}

int RunReporter::Fail(const Error& error) {
  std::fprintf(stderr, "cordon: %s\n", error.ToString().c_str());
  ExecOutcome failed;
  failed.kind = ExecOutcome::Kind::kSetupFailed;
  failed.error = error;
  return Finish(failed);
}

}  // namespace cordon
