// Encoding and decoding of frames. See codec.h and docs/protocol.md.
#include "ipc/codec.h"

#include <algorithm>
#include <cerrno>
#include <type_traits>

namespace cordon::ipc {
namespace {

Error ProtocolError(std::string detail) {
  return Error{"decode ipc frame", {}, EPROTO, std::move(detail)};
}

// ---- encoding ------------------------------------------------------------------------------

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  void U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void U16(uint16_t v) { Le(v, 2); }
  void U32(uint32_t v) { Le(v, 4); }
  void I32(int32_t v) { Le(static_cast<uint32_t>(v), 4); }
  void U64(uint64_t v) { Le(v, 8); }
  void Bool(bool v) { U8(v ? 1 : 0); }
  void Str(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_->append(s);
  }
  void StrList(const std::vector<std::string>& list) {
    U32(static_cast<uint32_t>(list.size()));
    for (const auto& s : list) Str(s);
  }
  void Raw(std::string_view s) { out_->append(s); }

 private:
  void Le(uint64_t v, int n) {
    char b[8];
    for (int i = 0; i < n; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out_->append(b, static_cast<size_t>(n));
  }
  std::string* out_;
};

void EncodePayload(const Message& message, Writer& w) {
  std::visit(
      [&w](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Hello>) {
          w.U16(m.min_version);
          w.U16(m.max_version);
          w.I32(m.pid);
          w.Str(m.agent);
        } else if constexpr (std::is_same_v<T, HelloAck>) {
          w.U16(m.version);
        } else if constexpr (std::is_same_v<T, Spawn>) {
          w.U64(m.id);
          w.StrList(m.argv);
          w.Str(m.cwd);
          w.StrList(m.env);
          w.Bool(m.tty);
          w.U16(m.rows);
          w.U16(m.cols);
          w.Bool(m.stdin_open);
        } else if constexpr (std::is_same_v<T, SpawnReady>) {
          w.U64(m.id);
          w.I32(m.pid);
        } else if constexpr (std::is_same_v<T, SpawnError>) {
          w.U64(m.id);
          w.U8(static_cast<uint8_t>(m.stage));
          w.I32(m.err);
          w.Str(m.message);
        } else if constexpr (std::is_same_v<T, Output>) {
          w.U64(m.id);
          w.U8(static_cast<uint8_t>(m.stream));
          w.Raw(m.bytes);
        } else if constexpr (std::is_same_v<T, Stdin>) {
          w.U64(m.id);
          w.Raw(m.bytes);
        } else if constexpr (std::is_same_v<T, CloseStdin>) {
          w.U64(m.id);
        } else if constexpr (std::is_same_v<T, Resize>) {
          w.U64(m.id);
          w.U16(m.rows);
          w.U16(m.cols);
        } else if constexpr (std::is_same_v<T, Signal>) {
          w.U64(m.id);
          w.I32(m.signo);
        } else if constexpr (std::is_same_v<T, Exit>) {
          w.U64(m.id);
          w.Bool(m.signaled);
          w.I32(m.code);
        } else if constexpr (std::is_same_v<T, TerminateAll>) {
          w.I32(m.signo);
        } else if constexpr (std::is_same_v<T, Shutdown>) {
          // no payload
        }
      },
      message);
}

void PutHeader(std::string* out, size_t at, uint16_t version, MessageType type, uint32_t length) {
  std::string header;
  Writer w(&header);
  w.U32(kMagic);
  w.U16(version);
  w.U16(static_cast<uint16_t>(type));
  w.U32(length);
  out->replace(at, kHeaderSize, header);
}

Status FinishFrame(std::string* out, size_t start, uint16_t version, MessageType type) {
  const size_t payload = out->size() - start - kHeaderSize;
  if (payload > kMaxPayloadSize) {
    out->resize(start);
    return Error{"encode ipc frame",
                 {},
                 EMSGSIZE,
                 std::string(MessageTypeName(type)) + " payload of " + std::to_string(payload) +
                     " bytes exceeds the cap of " + std::to_string(kMaxPayloadSize)};
  }
  PutHeader(out, start, version, type, static_cast<uint32_t>(payload));
  return OkStatus();
}

// ---- decoding ------------------------------------------------------------------------------

// Reads fields from a payload; the first failure sticks and later reads return zeros.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  uint8_t U8() { return static_cast<uint8_t>(Le(1)); }
  uint16_t U16() { return static_cast<uint16_t>(Le(2)); }
  uint32_t U32() { return static_cast<uint32_t>(Le(4)); }
  int32_t I32() { return static_cast<int32_t>(U32()); }
  uint64_t U64() { return Le(8); }
  bool Bool() {
    uint8_t v = U8();
    if (v > 1) Fail("boolean field is " + std::to_string(v));
    return v == 1;
  }
  // A string without NUL bytes (it ends up in argv, envp or a path).
  std::string CStr(const char* what) {
    uint32_t n = U32();
    if (!Need(n, what)) return {};
    std::string_view s = in_.substr(0, n);
    in_.remove_prefix(n);
    if (s.find('\0') != std::string_view::npos) {
      Fail(std::string(what) + " contains a NUL byte");
      return {};
    }
    return std::string(s);
  }
  std::string AnyStr(const char* what) {
    uint32_t n = U32();
    if (!Need(n, what)) return {};
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  std::vector<std::string> CStrList(const char* what) {
    uint32_t count = U32();
    // Every element needs at least its 4-byte length: a count the payload cannot hold is refused
    // before the vector reserves anything.
    if (failed_ || count > in_.size() / 4) {
      Fail(std::string(what) + " count " + std::to_string(count) + " does not fit the payload");
      return {};
    }
    std::vector<std::string> out;
    out.reserve(count);
    for (uint32_t i = 0; i < count && !failed_; ++i) out.push_back(CStr(what));
    return out;
  }
  std::string Rest() {
    std::string s(in_);
    in_ = {};
    return s;
  }

  void Fail(std::string why) {
    if (!failed_) error_ = std::move(why);
    failed_ = true;
  }
  // The outcome: the first failure, or trailing bytes.
  Status Finish(MessageType type) {
    if (!failed_ && !in_.empty()) {
      Fail(std::to_string(in_.size()) + " trailing bytes");
    }
    if (failed_) return ProtocolError(std::string(MessageTypeName(type)) + ": " + error_);
    return OkStatus();
  }

 private:
  bool Need(size_t n, const char* what) {
    if (failed_) return false;
    if (in_.size() < n) {
      Fail(std::string(what) + " of " + std::to_string(n) + " bytes runs past the payload end");
      return false;
    }
    return true;
  }
  uint64_t Le(int n) {
    if (failed_) return 0;
    if (in_.size() < static_cast<size_t>(n)) {
      Fail("payload too short");
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(in_[i])} << (8 * i);
    in_.remove_prefix(static_cast<size_t>(n));
    return v;
  }

  std::string_view in_;
  bool failed_ = false;
  std::string error_;
};

// Checks after the fields are read, so that a short payload is reported as such first.
void CheckId(Reader& r, uint64_t id) {
  if (id == 0) r.Fail("process id 0 is reserved");
}

}  // namespace

const char* MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kHello:
      return "Hello";
    case MessageType::kHelloAck:
      return "HelloAck";
    case MessageType::kSpawn:
      return "Spawn";
    case MessageType::kSpawnReady:
      return "SpawnReady";
    case MessageType::kSpawnError:
      return "SpawnError";
    case MessageType::kOutput:
      return "Output";
    case MessageType::kStdin:
      return "Stdin";
    case MessageType::kCloseStdin:
      return "CloseStdin";
    case MessageType::kResize:
      return "Resize";
    case MessageType::kSignal:
      return "Signal";
    case MessageType::kExit:
      return "Exit";
    case MessageType::kTerminateAll:
      return "TerminateAll";
    case MessageType::kShutdown:
      return "Shutdown";
  }
  return "unknown";
}

const char* SpawnStageName(SpawnStage stage) {
  switch (stage) {
    case SpawnStage::kBadRequest:
      return "request";
    case SpawnStage::kPty:
      return "pty";
    case SpawnStage::kPipes:
      return "pipes";
    case SpawnStage::kFork:
      return "fork";
    case SpawnStage::kChdir:
      return "chdir";
    case SpawnStage::kExec:
      return "exec";
  }
  return "unknown";
}

const char* StreamName(Stream stream) {
  switch (stream) {
    case Stream::kStdout:
      return "stdout";
    case Stream::kStderr:
      return "stderr";
    case Stream::kPty:
      return "pty";
  }
  return "unknown";
}

MessageType TypeOf(const Message& message) {
  // The variant's alternatives are listed in the order of the enum, starting at 1.
  return static_cast<MessageType>(message.index() + 1);
}

Status AppendFrame(const Message& message, uint16_t version, std::string* out) {
  const size_t start = out->size();
  out->append(kHeaderSize, '\0');
  Writer w(out);
  EncodePayload(message, w);
  return FinishFrame(out, start, version, TypeOf(message));
}

Status AppendOutputFrame(uint64_t id, Stream stream, std::string_view bytes, uint16_t version,
                         std::string* out) {
  const size_t start = out->size();
  if (bytes.size() > kMaxPayloadSize) {  // checked first so that nothing huge is copied
    return Error{"encode ipc frame",
                 {},
                 EMSGSIZE,
                 "Output of " + std::to_string(bytes.size()) + " bytes exceeds the frame cap"};
  }
  out->append(kHeaderSize, '\0');
  Writer w(out);
  w.U64(id);
  w.U8(static_cast<uint8_t>(stream));
  w.Raw(bytes);
  return FinishFrame(out, start, version, MessageType::kOutput);
}

std::array<char, kOutputPrefixSize> OutputFramePrefix(uint64_t id, Stream stream, size_t size,
                                                      uint16_t version) {
  std::string prefix;
  prefix.reserve(kOutputPrefixSize);
  Writer w(&prefix);
  w.U32(kMagic);
  w.U16(version);
  w.U16(static_cast<uint16_t>(MessageType::kOutput));
  w.U32(static_cast<uint32_t>(size + 9));
  w.U64(id);
  w.U8(static_cast<uint8_t>(stream));
  std::array<char, kOutputPrefixSize> out;
  std::copy(prefix.begin(), prefix.end(), out.begin());
  return out;
}

Result<std::string> EncodeFrame(const Message& message, uint16_t version) {
  std::string out;
  CORDON_TRY(AppendFrame(message, version, &out));
  return out;
}

Result<FrameHeader> ParseHeader(std::string_view bytes, uint16_t min_version,
                                uint16_t max_version) {
  if (bytes.size() < kHeaderSize) return ProtocolError("short frame header");
  Reader r(bytes.substr(0, kHeaderSize));
  const uint32_t magic = r.U32();
  FrameHeader h;
  h.version = r.U16();
  h.type = r.U16();
  h.length = r.U32();
  if (magic != kMagic) return ProtocolError("bad magic (not a cordon ipc frame)");
  if (h.version < min_version || h.version > max_version) {
    return Error{"decode ipc frame",
                 {},
                 EPROTONOSUPPORT,
                 "frame version " + std::to_string(h.version) + " outside the accepted range " +
                     std::to_string(min_version) + ".." + std::to_string(max_version)};
  }
  if (h.length > kMaxPayloadSize) {
    return Error{"decode ipc frame",
                 {},
                 EMSGSIZE,
                 "payload length " + std::to_string(h.length) + " exceeds the cap of " +
                     std::to_string(kMaxPayloadSize)};
  }
  return h;
}

Result<Message> DecodePayload(uint16_t type_value, std::string_view payload) {
  const auto type = static_cast<MessageType>(type_value);
  Reader r(payload);
  Message out;
  switch (type) {
    case MessageType::kHello: {
      Hello m;
      m.min_version = r.U16();
      m.max_version = r.U16();
      m.pid = r.I32();
      m.agent = r.AnyStr("agent");
      if (m.min_version == 0 || m.min_version > m.max_version) r.Fail("bad version range");
      out = std::move(m);
      break;
    }
    case MessageType::kHelloAck: {
      HelloAck m;
      m.version = r.U16();
      if (m.version == 0) r.Fail("version 0");
      out = m;
      break;
    }
    case MessageType::kSpawn: {
      Spawn m;
      m.id = r.U64();
      m.argv = r.CStrList("argv");
      m.cwd = r.CStr("cwd");
      m.env = r.CStrList("env");
      m.tty = r.Bool();
      m.rows = r.U16();
      m.cols = r.U16();
      m.stdin_open = r.Bool();
      CheckId(r, m.id);
      if (m.argv.empty()) r.Fail("empty argv");
      out = std::move(m);
      break;
    }
    case MessageType::kSpawnReady: {
      SpawnReady m;
      m.id = r.U64();
      m.pid = r.I32();
      CheckId(r, m.id);
      if (m.pid <= 0) r.Fail("pid " + std::to_string(m.pid));
      out = m;
      break;
    }
    case MessageType::kSpawnError: {
      SpawnError m;
      m.id = r.U64();
      const uint8_t stage = r.U8();
      m.err = r.I32();
      m.message = r.AnyStr("message");
      CheckId(r, m.id);
      if (stage < 1 || stage > 6) r.Fail("unknown spawn stage " + std::to_string(stage));
      m.stage = static_cast<SpawnStage>(stage);
      out = std::move(m);
      break;
    }
    case MessageType::kOutput: {
      Output m;
      m.id = r.U64();
      const uint8_t stream = r.U8();
      CheckId(r, m.id);
      if (stream < 1 || stream > 3) r.Fail("unknown stream " + std::to_string(stream));
      m.stream = static_cast<Stream>(stream);
      m.bytes = r.Rest();
      out = std::move(m);
      break;
    }
    case MessageType::kStdin: {
      Stdin m;
      m.id = r.U64();
      CheckId(r, m.id);
      m.bytes = r.Rest();
      out = std::move(m);
      break;
    }
    case MessageType::kCloseStdin: {
      CloseStdin m;
      m.id = r.U64();
      CheckId(r, m.id);
      out = m;
      break;
    }
    case MessageType::kResize: {
      Resize m;
      m.id = r.U64();
      m.rows = r.U16();
      m.cols = r.U16();
      CheckId(r, m.id);
      out = m;
      break;
    }
    case MessageType::kSignal: {
      Signal m;
      m.id = r.U64();
      m.signo = r.I32();
      CheckId(r, m.id);
      if (m.signo <= 0 || m.signo > 64) r.Fail("signal number " + std::to_string(m.signo));
      out = m;
      break;
    }
    case MessageType::kExit: {
      Exit m;
      m.id = r.U64();
      m.signaled = r.Bool();
      m.code = r.I32();
      CheckId(r, m.id);
      if (m.signaled ? (m.code <= 0 || m.code > 64) : (m.code < 0 || m.code > 255)) {
        r.Fail("exit code " + std::to_string(m.code));
      }
      out = m;
      break;
    }
    case MessageType::kTerminateAll: {
      TerminateAll m;
      m.signo = r.I32();
      if (m.signo <= 0 || m.signo > 64) r.Fail("signal number " + std::to_string(m.signo));
      out = m;
      break;
    }
    case MessageType::kShutdown:
      out = Shutdown{};
      break;
    default:
      return ProtocolError("unknown message type " + std::to_string(type_value));
  }
  CORDON_TRY(r.Finish(type));
  return out;
}

Result<Message> DecodeFrame(std::string_view frame, uint16_t min_version, uint16_t max_version) {
  auto header = ParseHeader(frame, min_version, max_version);
  if (!header) return header.error();
  if (frame.size() - kHeaderSize != header->length) {
    return ProtocolError("frame of " + std::to_string(frame.size()) + " bytes, header says " +
                         std::to_string(kHeaderSize + header->length));
  }
  return DecodePayload(header->type, frame.substr(kHeaderSize));
}

}  // namespace cordon::ipc
