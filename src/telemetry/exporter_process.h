// ExporterProcess: the OTLP/HTTP exporter in a child process, for `cordon serve`.
//
// serve clones sandboxes whose init allocates, so it must stay single-threaded for its whole life
// (linux/sandbox.h INVARIANT), and the exporter needs a thread (batching, curl, a flush bounded
// by a deadline). So serve forks this exporter once at start, before any sandbox exists, and
// hands it finished spans as lines (span_wire.h) over a socketpair:
//  - the parent never blocks: writes are non-blocking; bytes the socket cannot take yet wait in a
//    bounded buffer, and a span that does not fit is dropped (reported once);
//  - the child keeps no other descriptor of the parent (stdin/stdout become /dev/null, stderr
//    stays for its one warning), dies with the parent (PR_SET_PDEATHSIG), and ignores the
//    terminal's signals (the parent decides when it ends);
//  - Shutdown(t): the parent closes its end, the child flushes (curl, within t) and exits; after
//    t the parent SIGKILLs it. An unreachable collector is reported once by the child.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "telemetry/otlp_http_exporter.h"
#include "telemetry/span_sink.h"

namespace cordon {

class ExporterProcess : public SpanSink {
 public:
  // Forks the exporter. Call from a single-threaded process (fork copies only this thread).
  // `options.report` is used in both processes: in the child for export failures, in the parent
  // for drops.
  static Result<std::unique_ptr<ExporterProcess>> Start(OtlpHttpExporterOptions options,
                                                        size_t max_pending_bytes = 1u << 20);
  ~ExporterProcess() override;  // Shutdown(0) if not done
  ExporterProcess(const ExporterProcess&) = delete;
  ExporterProcess& operator=(const ExporterProcess&) = delete;

  bool Enqueue(SpanRecord span) override;
  void Shutdown(std::chrono::milliseconds flush_timeout) override;

  pid_t pid() const { return pid_; }
  uint64_t dropped_spans() const { return dropped_; }

  // The child's flush budget for a parent that waits `flush_timeout`: a little less, so that the
  // child's own report of a collector that never answered is written before the parent's SIGKILL.
  static std::chrono::milliseconds ChildFlushBudget(std::chrono::milliseconds flush_timeout);

 private:
  ExporterProcess() = default;
  // Writes what the socket takes now; false if the child is gone.
  bool FlushPending();
  void Drop(const std::string& why);

  pid_t pid_ = -1;
  UniqueFd socket_;      // our end; the child reads spans from the other
  UniqueFd exit_watch_;  // read end of a pipe only the child holds open: POLLHUP when it exits
  std::string pending_;  // encoded spans the socket has not taken yet
  size_t max_pending_bytes_ = 0;
  TelemetryReporter report_;
  bool drop_reported_ = false;
  bool gone_ = false;
  bool shut_down_ = false;
  uint64_t dropped_ = 0;
};

}  // namespace cordon
