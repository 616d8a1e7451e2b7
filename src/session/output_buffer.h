// OutputBuffer: the output of one session stream, bounded. It keeps the first half of its
// capacity (the head) and the most recent half (the tail); what falls between is dropped and
// shown as one marker line, "\n[... N bytes omitted ...]\n". Cuts follow utf8.h: the head ends
// and the tail begins on a character boundary (the bytes trimmed for that are counted as
// omitted). Appending is O(bytes appended); memory is O(capacity) and grows only as output does.
//
// Polling callers read with cursors. A cursor is a byte offset in the stream (0 = start). A read
// returns what the buffer still holds from the cursor on, the offset to pass next time, and how
// many bytes in between were dropped before the caller saw them (a marker stands for them in the
// text). Until Close(), a read stops before an unfinished multi-byte sequence at the very end,
// so that a character is never split across two reads; Close() releases it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cordon {

class OutputBuffer {
 public:
  static constexpr size_t kDefaultMaxBytes = 1u << 20;
  static constexpr size_t kMinMaxBytes = 64;  // smaller capacities are raised to this

  explicit OutputBuffer(size_t max_bytes = kDefaultMaxBytes);

  void Append(std::string_view bytes);
  // The stream has ended (the pipe or PTY closed): nothing is held back any more.
  void Close() { closed_ = true; }

  struct Chunk {
    std::string text;          // retained bytes from the cursor on, with a marker for a gap
    uint64_t next_cursor = 0;  // pass to the next ReadSince
    uint64_t omitted = 0;      // bytes after the cursor that were dropped (0 if none)
  };
  // What is new since `cursor`. A cursor beyond the end reads nothing and is returned unchanged.
  Chunk ReadSince(uint64_t cursor) const;
  // Everything retained, with the marker if anything was dropped: ReadSince(0).text.
  std::string Contents() const { return ReadSince(0).text; }

  uint64_t total_bytes() const { return total_; }  // every byte ever appended
  uint64_t dropped_bytes() const { return total_ - head_.size() - tail_size_; }
  size_t max_bytes() const { return head_cap_ + tail_cap_; }
  bool closed() const { return closed_; }

 private:
  // Bytes [from, to) of the stream; the range must be retained.
  std::string Slice(uint64_t from, uint64_t to) const;
  void AppendTail(std::string_view bytes);
  uint64_t tail_begin() const { return total_ - tail_size_; }

  size_t head_cap_;
  size_t tail_cap_;
  std::string head_;       // stream bytes [0, head_.size())
  std::string ring_;       // the tail: linear until it first overflows, then circular
  size_t ring_start_ = 0;  // index in ring_ of the oldest tail byte (circular mode)
  size_t tail_size_ = 0;   // stream bytes [total_ - tail_size_, total_)
  bool circular_ = false;
  uint64_t total_ = 0;
  bool closed_ = false;
};

}  // namespace cordon
