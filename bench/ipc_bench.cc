// Throughput of the host<->runner protocol against the raw socket it runs on, and of
// OutputBuffer. Prints medians over --runs runs:
//   raw:    a writer process write()s N bytes in 64 KiB pieces to a socketpair, the reader read()s
//   framed: the writer sends them as Output frames (FrameWriter::SendOutput), the reader
//           decodes them (FrameReader) and counts the payload bytes
//   output_buffer: appends of 64 KiB pieces into a 1 MiB OutputBuffer
// Usage: ipc_bench [--mib 1024] [--runs 5]
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/sys.h"
#include "ipc/frame_reader.h"
#include "ipc/frame_writer.h"
#include "session/output_buffer.h"

namespace {

using namespace cordon;
using Clock = std::chrono::steady_clock;
constexpr size_t kPiece = 64 << 10;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Runs `writer` in a child with one end of a socketpair and `reader` here; returns seconds.
template <typename W, typename R>
double Run(W writer, R reader) {
  auto pair = SysSocketpair(SOCK_STREAM);
  if (!pair) std::abort();
  const auto start = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    pair->read.reset();
    writer(pair->write.get());
    _exit(0);
  }
  pair->write.reset();
  reader(pair->read.get());
  waitpid(pid, nullptr, 0);
  return Seconds(Clock::now() - start);
}

}  // namespace

int main(int argc, char** argv) {
  size_t mib = 1024;
  int runs = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--mib") == 0) mib = std::strtoul(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
  }
  const size_t total = mib << 20;
  const std::string piece(kPiece, 'x');

  std::vector<double> raw, framed, buffer;
  for (int r = 0; r < runs; ++r) {
    raw.push_back(Run(
        [&](int fd) {
          for (size_t sent = 0; sent < total; sent += kPiece) {
            if (!WriteAll(fd, piece)) std::abort();
          }
        },
        [&](int fd) {
          std::vector<char> buf(256 << 10);
          size_t got = 0;
          for (ssize_t n; (n = read(fd, buf.data(), buf.size())) > 0;) got += n;
          if (got != total) std::abort();
        }));

    framed.push_back(Run(
        [&](int fd) {
          ipc::FrameWriter w;
          for (size_t sent = 0; sent < total; sent += kPiece) {
            // As a runner would: send straight from the read buffer, and stop reading (here:
            // wait) only while the queue is above a high-water mark.
            if (!w.SendOutput(fd, 1, ipc::Stream::kStdout, piece)) std::abort();
            while (w.queued_bytes() >= (1 << 20)) {
              pollfd p{fd, POLLOUT, 0};
              poll(&p, 1, -1);
              if (!w.Flush(fd)) std::abort();
            }
          }
          while (!w.empty()) {
            pollfd p{fd, POLLOUT, 0};
            poll(&p, 1, -1);
            if (!w.Flush(fd)) std::abort();
          }
        },
        [&](int fd) {
          ipc::FrameReader reader;
          size_t got = 0;
          for (;;) {
            auto st = reader.ReadFrom(fd, 1 << 20);
            if (!st) std::abort();
            for (;;) {
              std::string_view bytes;  // as the host does: no copy until the OutputBuffer
              auto next = reader.NextView(&bytes);
              if (!next) std::abort();
              if (!next->has_value()) break;
              got += bytes.size();
            }
            if (*st == ipc::FrameReader::ReadState::kEof) break;
          }
          if (got != total) std::abort();
        }));

    OutputBuffer ob;
    const auto start = Clock::now();
    for (size_t sent = 0; sent < total; sent += kPiece) ob.Append(piece);
    buffer.push_back(Seconds(Clock::now() - start));
  }
  const double gib = static_cast<double>(total) / (1 << 30);
  const double raw_s = Median(raw), framed_s = Median(framed), buf_s = Median(buffer);
  std::printf("bytes: %zu MiB, runs: %d (medians)\n", mib, runs);
  std::printf("raw socketpair       %8.3f s  %6.2f GiB/s\n", raw_s, gib / raw_s);
  std::printf("framed Output        %8.3f s  %6.2f GiB/s  (%.2fx raw)\n", framed_s, gib / framed_s,
              raw_s / framed_s);
  std::printf("OutputBuffer append  %8.3f s  %6.2f GiB/s\n", buf_s, gib / buf_s);
  return 0;
}
