// UTF-8 cutting rules: see utf8.h.
#include "session/utf8.h"

#include <algorithm>

namespace cordon {
namespace {

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The sequence length a lead byte announces; 1 for ASCII and for bytes that cannot lead.
size_t AnnouncedLength(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

}  // namespace

size_t Utf8PrefixLength(std::string_view s, size_t max_bytes) {
  if (max_bytes >= s.size()) return s.size();
  const size_t cut = max_bytes;  // s[cut] is the first byte dropped
  if (!IsContinuation(static_cast<unsigned char>(s[cut]))) return cut;
  // s[cut] continues something: find the lead byte at most 3 bytes back.
  for (size_t back = 1; back <= 3 && back <= cut; ++back) {
    const auto c = static_cast<unsigned char>(s[cut - back]);
    if (IsContinuation(c)) continue;
    return AnnouncedLength(c) > back ? cut - back : cut;
  }
  return cut;  // stray continuation bytes: no character to split
}

size_t Utf8IncompleteSuffixLength(std::string_view s) {
  for (size_t back = 1; back <= 3 && back <= s.size(); ++back) {
    const auto c = static_cast<unsigned char>(s[s.size() - back]);
    if (IsContinuation(c)) continue;
    return AnnouncedLength(c) > back ? back : 0;
  }
  return 0;
}

size_t Utf8ContinuationPrefixLength(std::string_view s) {
  size_t n = 0;
  while (n < 3 && n < s.size() && IsContinuation(static_cast<unsigned char>(s[n]))) ++n;
  return n;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c1 < lo || c1 > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      if (!IsContinuation(static_cast<unsigned char>(s[i + k]))) return false;
    }
    i += len;
  }
  return true;
}

std::string OmittedMarker(uint64_t omitted_bytes) {
  return "\n[... " + std::to_string(omitted_bytes) + " bytes omitted ...]\n";
}

std::string TruncateMiddleUtf8(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  // The marker's size with the largest count it could carry, so the result never exceeds max.
  const size_t marker = OmittedMarker(s.size()).size();
  if (max_bytes <= marker) return std::string(TruncateUtf8(s, max_bytes));
  const size_t budget = max_bytes - marker;
  const size_t head = Utf8PrefixLength(s, budget / 2);
  size_t tail_start = s.size() - (budget - budget / 2);
  tail_start += Utf8ContinuationPrefixLength(s.substr(tail_start));
  std::string out(s.substr(0, head));
  out += OmittedMarker(tail_start - head);
  out.append(s.substr(tail_start));
  return out;
}

}  // namespace cordon
