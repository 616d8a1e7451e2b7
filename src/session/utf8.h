// UTF-8 aware cutting of byte strings. Output is kept as the bytes the command wrote (it is not
// validated or repaired); what these helpers guarantee is that a cut never falls inside a
// well-formed multi-byte sequence, so text that was valid UTF-8 stays valid after truncation.
//
// Invalid input, precisely: a byte that is not a continuation byte (10xxxxxx) starts a
// "sequence" whose length its top bits announce (0xxxxxxx 1, 110xxxxx 2, 1110xxxx 3,
// 11110xxx 4; any other lead byte 1). A cut that would fall inside such a sequence (after its
// lead byte and before its announced end, with only continuation bytes in between) moves to the
// start of the sequence. Continuation bytes with no lead byte within 3 bytes before them belong
// to no character: a cut may fall between them. So the helpers are total and O(1) per cut: they
// look at most 3 bytes around it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cordon {

// The length of the longest prefix of `s` of at most `max_bytes` bytes that does not end inside
// a sequence.
size_t Utf8PrefixLength(std::string_view s, size_t max_bytes);
inline std::string_view TruncateUtf8(std::string_view s, size_t max_bytes) {
  return s.substr(0, Utf8PrefixLength(s, max_bytes));
}

// How many bytes at the end of `s` are an unfinished sequence (0..3): a lead byte and fewer
// continuation bytes than it announces. A reader that will get more bytes later holds these back.
size_t Utf8IncompleteSuffixLength(std::string_view s);

// How many continuation bytes `s` starts with, at most 3: the rest of a character whose lead
// byte was cut away. A tail that starts mid-character skips these.
size_t Utf8ContinuationPrefixLength(std::string_view s);

// Strict validity (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);

// "\n[... N bytes omitted ...]\n": the marker put where bytes were dropped.
std::string OmittedMarker(uint64_t omitted_bytes);

// Keeps the start and the end of `s` with a marker in between, the whole at most `max_bytes`
// (if `max_bytes` cannot even hold the marker, the plain UTF-8 safe prefix). `s` itself when it
// fits.
std::string TruncateMiddleUtf8(std::string_view s, size_t max_bytes);

}  // namespace cordon
