// OutputBuffer: see output_buffer.h.
#include "session/output_buffer.h"

#include <algorithm>

#include "session/utf8.h"

namespace cordon {

OutputBuffer::OutputBuffer(size_t max_bytes) {
  max_bytes = std::max(max_bytes, kMinMaxBytes);
  head_cap_ = max_bytes / 2;
  tail_cap_ = max_bytes - head_cap_;
}

void OutputBuffer::Append(std::string_view bytes) {
  if (head_.size() < head_cap_) {
    const size_t n = std::min(bytes.size(), head_cap_ - head_.size());
    head_.append(bytes.substr(0, n));
    total_ += n;
    bytes.remove_prefix(n);
  }
  if (!bytes.empty()) AppendTail(bytes);
}

void OutputBuffer::AppendTail(std::string_view bytes) {
  total_ += bytes.size();
  if (!circular_) {
    if (ring_.size() + bytes.size() <= tail_cap_) {
      ring_.append(bytes);
      tail_size_ = ring_.size();
      return;
    }
    // First overflow: keep the newest tail_cap_ bytes of (ring_ + bytes) and go circular.
    std::string keep;
    keep.reserve(tail_cap_);
    if (bytes.size() < tail_cap_) keep.append(ring_, ring_.size() - (tail_cap_ - bytes.size()));
    keep.append(bytes.substr(bytes.size() - std::min(bytes.size(), tail_cap_)));
    ring_ = std::move(keep);
    ring_start_ = 0;
    tail_size_ = tail_cap_;
    circular_ = true;
    return;
  }
  if (bytes.size() >= tail_cap_) {
    ring_.assign(bytes.substr(bytes.size() - tail_cap_));
    ring_start_ = 0;
    return;
  }
  // Overwrite the oldest bytes, wrapping at most once.
  const size_t first = std::min(bytes.size(), tail_cap_ - ring_start_);
  ring_.replace(ring_start_, first, bytes.substr(0, first));
  ring_.replace(0, bytes.size() - first, bytes.substr(first));
  ring_start_ = (ring_start_ + bytes.size()) % tail_cap_;
}

std::string OutputBuffer::Slice(uint64_t from, uint64_t to) const {
  std::string out;
  if (from >= to) return out;
  out.reserve(static_cast<size_t>(to - from));
  if (from < head_.size()) {
    const uint64_t head_to = std::min<uint64_t>(to, head_.size());
    out.append(head_, static_cast<size_t>(from), static_cast<size_t>(head_to - from));
    from = head_to;
  }
  if (from >= to) return out;
  // The rest is in the tail; offset k of the tail is ring_[(ring_start_ + k) % size].
  const size_t k = static_cast<size_t>(from - tail_begin());
  const size_t n = static_cast<size_t>(to - from);
  if (!circular_) {
    out.append(ring_, k, n);
    return out;
  }
  const size_t at = (ring_start_ + k) % tail_cap_;
  const size_t first = std::min(n, tail_cap_ - at);
  out.append(ring_, at, first);
  out.append(ring_, 0, n - first);
  return out;
}

OutputBuffer::Chunk OutputBuffer::ReadSince(uint64_t cursor) const {
  Chunk chunk;
  if (cursor >= total_) {
    chunk.next_cursor = cursor;
    return chunk;
  }
  // The end of what may be read now: the stream's end, less an unfinished last character.
  uint64_t end = total_;
  if (!closed_) {
    const uint64_t last_from = total_ - std::min<uint64_t>(3, total_);
    // Retained: with no gap the stream is contiguous; with one, the tail holds far more than 3.
    end -= Utf8IncompleteSuffixLength(Slice(last_from, total_));
  }
  end = std::max(end, cursor);
  if (dropped_bytes() == 0) {
    chunk.text = Slice(cursor, end);
    chunk.next_cursor = end;
    return chunk;
  }
  // A gap: the head ends and the tail starts on character boundaries.
  const uint64_t head_end = head_.size() - Utf8IncompleteSuffixLength(head_);
  const uint64_t tail_start = std::min(
      end, tail_begin() + Utf8ContinuationPrefixLength(Slice(tail_begin(), tail_begin() + 3)));
  if (cursor < head_end) chunk.text = Slice(cursor, head_end);
  const uint64_t gap_from = std::max(cursor, head_end);
  if (gap_from < tail_start) {
    chunk.omitted = tail_start - gap_from;
    chunk.text += OmittedMarker(chunk.omitted);
  }
  chunk.text += Slice(std::max(cursor, tail_start), end);
  chunk.next_cursor = end;
  return chunk;
}

}  // namespace cordon
