// The wire format of protocol.h's messages: a 12-byte header (magic u32, version u16, type u16,
// payload length u32, little-endian) and a payload of fixed-width little-endian integers and
// u32-length-prefixed strings. Output and Stdin bytes are appended to the frame as they are.
// Decoding never trusts a length: every count and size is checked against the bytes actually
// present before anything is allocated, and trailing bytes are an error.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "ipc/protocol.h"

namespace cordon::ipc {

struct FrameHeader {
  uint16_t version = 0;
  uint16_t type = 0;
  uint32_t length = 0;
};

// Appends one whole frame (header + payload) to `out`. Fails (EMSGSIZE) and leaves `out` as it
// was if the payload would exceed kMaxPayloadSize.
Status AppendFrame(const Message& message, uint16_t version, std::string* out);
// The hot path: an Output frame built straight from the bytes read, without a Message copy.
Status AppendOutputFrame(uint64_t id, Stream stream, std::string_view bytes, uint16_t version,
                         std::string* out);
// The first bytes of an Output frame that carries `size` bytes: header, id and stream. A writer
// sends this and then the bytes themselves (sendmsg with two iovecs), so output is not copied.
// Requires size + 9 <= kMaxPayloadSize.
inline constexpr size_t kOutputPrefixSize = kHeaderSize + 9;
std::array<char, kOutputPrefixSize> OutputFramePrefix(uint64_t id, Stream stream, size_t size,
                                                      uint16_t version);
// Convenience: one frame as a string (tests, handshake).
Result<std::string> EncodeFrame(const Message& message, uint16_t version = kMaxVersion);

// Parses and checks a header: magic, version within [min_version, max_version], payload length
// at most kMaxPayloadSize. The type is checked by DecodePayload. `bytes` must hold kHeaderSize.
Result<FrameHeader> ParseHeader(std::string_view bytes, uint16_t min_version, uint16_t max_version);

// Decodes the payload of a frame whose header was accepted. Errors (EPROTO) for an unknown type,
// a short or overlong payload, a string or count that does not fit, an invalid enum value, or a
// field that breaks protocol.h's invariants.
Result<Message> DecodePayload(uint16_t type, std::string_view payload);

// ParseHeader + DecodePayload over exactly one whole frame (tests, fuzzing).
Result<Message> DecodeFrame(std::string_view frame, uint16_t min_version = kMinVersion,
                            uint16_t max_version = kMaxVersion);

}  // namespace cordon::ipc
