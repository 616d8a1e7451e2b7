// The messages that cordon (the host) and the runner (the init process inside a sandbox) exchange
// over their socketpair, as plain values. The wire format lives in codec.h; docs/protocol.md is the
// specification both sides follow. Values here are already validated: a decoded Spawn has a
// non-empty argv and no NUL inside any string, an Output has a known stream, and so on.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cordon::ipc {

// Frame header: magic, version, type, payload length (all little-endian), then the payload.
inline constexpr uint32_t kMagic = 0x4E445243;  // the bytes "CRDN" read as a little-endian u32
inline constexpr size_t kHeaderSize = 12;
// Versions this build speaks. A peer's Hello offers a range; the highest common one is used.
inline constexpr uint16_t kMinVersion = 1;
inline constexpr uint16_t kMaxVersion = 1;
// No frame's payload may be larger than this; a header that claims more ends the connection
// before anything of that size is allocated.
inline constexpr uint32_t kMaxPayloadSize = 1u << 20;
// Output and Stdin bytes are sent in chunks of at most this size, so that one busy stream cannot
// hold the channel for long and a reader's buffer stays small.
inline constexpr size_t kMaxChunkSize = 64u << 10;

enum class MessageType : uint16_t {
  kHello = 1,          // runner -> host, first frame
  kHelloAck = 2,       // host -> runner, answer to Hello
  kSpawn = 3,          // host -> runner
  kSpawnReady = 4,     // runner -> host
  kSpawnError = 5,     // runner -> host
  kOutput = 6,         // runner -> host
  kStdin = 7,          // host -> runner
  kCloseStdin = 8,     // host -> runner
  kResize = 9,         // host -> runner
  kSignal = 10,        // host -> runner
  kExit = 11,          // runner -> host
  kTerminateAll = 12,  // host -> runner
  kShutdown = 13,      // host -> runner
};
// "Hello", "Spawn", ...; "unknown" for a value outside the enum.
const char* MessageTypeName(MessageType type);

// Offered by the runner as soon as it starts. `pid` is the runner's pid as the runner sees it (1
// when it is the init of a new PID namespace): informational only, the host checks its peer with
// SO_PEERCRED (peer.h).
struct Hello {
  uint16_t min_version = kMinVersion;
  uint16_t max_version = kMaxVersion;
  int32_t pid = 0;
  std::string agent;  // free text, e.g. "cordon-runner 0.1.0", for logs
  bool operator==(const Hello&) const = default;
};

// The version the host chose; every later frame in both directions carries it.
struct HelloAck {
  uint16_t version = kMaxVersion;
  bool operator==(const HelloAck&) const = default;
};

// Start a process. `id` is chosen by the host, unique for the connection's life, never 0.
struct Spawn {
  uint64_t id = 0;
  std::vector<std::string> argv;  // argv[0] is the program (searched in PATH of `env` if no '/')
  std::string cwd;                // absolute path inside the sandbox; empty = the runner's cwd
  std::vector<std::string> env;   // "KEY=VALUE" entries, the complete environment
  bool tty = false;               // true: one PTY for stdin/stdout/stderr; false: three pipes
  uint16_t rows = 24;             // PTY size; ignored without tty
  uint16_t cols = 80;
  bool stdin_open = true;  // false: stdin is /dev/null (pipes) or closed at once (PTY: EOF)
  bool operator==(const Spawn&) const = default;
};

struct SpawnReady {
  uint64_t id = 0;
  int32_t pid = 0;  // in the sandbox's PID namespace
  bool operator==(const SpawnReady&) const = default;
};

// Where starting the process failed. Nothing runs for this id afterwards; no Exit follows.
enum class SpawnStage : uint8_t {
  kBadRequest = 1,  // the request cannot be honoured (duplicate id, limit reached, ...)
  kPty = 2,         // opening or configuring the PTY
  kPipes = 3,       // creating pipes
  kFork = 4,
  kChdir = 5,
  kExec = 6,
};
const char* SpawnStageName(SpawnStage stage);

struct SpawnError {
  uint64_t id = 0;
  SpawnStage stage = SpawnStage::kExec;
  int32_t err = 0;      // errno, or 0
  std::string message;  // for people and logs
  bool operator==(const SpawnError&) const = default;
};

enum class Stream : uint8_t { kStdout = 1, kStderr = 2, kPty = 3 };
const char* StreamName(Stream stream);

// Bytes a process wrote, exactly as read from its pipe or PTY (never re-encoded).
struct Output {
  uint64_t id = 0;
  Stream stream = Stream::kStdout;
  std::string bytes;
  bool operator==(const Output&) const = default;
};

struct Stdin {
  uint64_t id = 0;
  std::string bytes;
  bool operator==(const Stdin&) const = default;
};

struct CloseStdin {
  uint64_t id = 0;
  bool operator==(const CloseStdin&) const = default;
};

struct Resize {
  uint64_t id = 0;
  uint16_t rows = 0;
  uint16_t cols = 0;
  bool operator==(const Resize&) const = default;
};

// Deliver `signo` to the process group of process `id` (its session leader's group).
struct Signal {
  uint64_t id = 0;
  int32_t signo = 0;
  bool operator==(const Signal&) const = default;
};

// The process ended and every byte of its output was sent before this frame.
struct Exit {
  uint64_t id = 0;
  bool signaled = false;  // false: exited with `code`; true: killed by signal `code`
  int32_t code = 0;
  bool operator==(const Exit&) const = default;
};

// Send `signo` to every process in the sandbox except the runner (e.g. SIGKILL); the runner
// still reports an Exit for every process it started.
struct TerminateAll {
  int32_t signo = 9;
  bool operator==(const TerminateAll&) const = default;
};

// Kill everything, reap, and exit: the host closes its end after sending this.
struct Shutdown {
  bool operator==(const Shutdown&) const = default;
};

using Message = std::variant<Hello, HelloAck, Spawn, SpawnReady, SpawnError, Output, Stdin,
                             CloseStdin, Resize, Signal, Exit, TerminateAll, Shutdown>;

MessageType TypeOf(const Message& message);

}  // namespace cordon::ipc
