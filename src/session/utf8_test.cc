// UTF-8 cutting at every byte boundary for 1-, 2-, 3- and 4-byte characters, on valid and on
// invalid input.
#include "session/utf8.h"

#include <random>

#include <gtest/gtest.h>

namespace cordon {
namespace {

// One character of each width: a, é, €, 😀.
const std::string kChars[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};

TEST(Utf8, TruncateAtEveryBoundaryOfEveryWidth) {
  for (const std::string& ch : kChars) {
    const size_t w = ch.size();
    for (size_t lead = 0; lead < 4; ++lead) {  // shifts the characters across every alignment
      std::string s(lead, 'x');
      for (int i = 0; i < 6; ++i) s += ch;
      ASSERT_TRUE(IsValidUtf8(s));
      for (size_t max = 0; max <= s.size() + 1; ++max) {
        const std::string_view r = TruncateUtf8(s, max);
        EXPECT_TRUE(IsValidUtf8(r)) << "width " << w << " lead " << lead << " max " << max;
        EXPECT_EQ(s.compare(0, r.size(), r), 0);
        EXPECT_LE(r.size(), max);
        // Maximal: only the split character was given up.
        EXPECT_LT(std::min(max, s.size()) - r.size(), w);
      }
    }
  }
}

TEST(Utf8, IncompleteSuffixAndContinuationPrefix) {
  for (const std::string& ch : kChars) {
    for (size_t k = 0; k <= ch.size(); ++k) {
      const std::string s = "ab" + ch.substr(0, k);
      const size_t expected = (k == ch.size()) ? 0 : k;
      EXPECT_EQ(Utf8IncompleteSuffixLength(s), expected) << ch << " " << k;
      const std::string t = ch.substr(k) + "z";
      EXPECT_EQ(Utf8ContinuationPrefixLength(t), k == 0 ? 0 : ch.size() - k) << ch << " " << k;
    }
  }
  EXPECT_EQ(Utf8IncompleteSuffixLength(""), 0u);
  EXPECT_EQ(Utf8ContinuationPrefixLength(""), 0u);
}

TEST(Utf8, InvalidInputIsCutSafelyAndBytesAreNeverChanged) {
  // Stray continuation bytes belong to no character: any cut is allowed.
  const std::string stray(10, '\x80');
  for (size_t max = 0; max <= 10; ++max) EXPECT_EQ(Utf8PrefixLength(stray, max), max);
  EXPECT_EQ(Utf8ContinuationPrefixLength(stray), 3u);
  // A lead byte whose sequence is cut short by ASCII is kept as it is (one byte of garbage).
  EXPECT_EQ(TruncateUtf8("\xe2z", 1), "\xe2");
  // A lead byte followed by continuation bytes is treated as the sequence it announces.
  EXPECT_EQ(TruncateUtf8("a\xe2\x82\xac", 3), "a");
  // Bytes that cannot lead (0xC0, 0xF8..0xFF) count as one-byte sequences.
  EXPECT_EQ(TruncateUtf8("\xff\x80\x80", 1), "\xff");
  EXPECT_EQ(Utf8IncompleteSuffixLength("a\xff"), 0u);

  std::mt19937 rng(5);
  for (int round = 0; round < 20000; ++round) {
    std::string s(rng() % 12, '\0');
    for (char& c : s) c = static_cast<char>(0x7c + rng() % 0x84);  // mostly non-ASCII
    const size_t max = rng() % (s.size() + 2);
    const size_t n = Utf8PrefixLength(s, max);
    ASSERT_LE(n, std::min(max, s.size()));
    ASSERT_GE(n + 3, std::min(max, s.size()));
    if (IsValidUtf8(s)) {
      ASSERT_TRUE(IsValidUtf8(s.substr(0, n)));
    }
  }
}

TEST(Utf8, Validity) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  for (const std::string& ch : kChars) EXPECT_TRUE(IsValidUtf8(ch));
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));   // U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xc0\x80"));          // overlong NUL
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\x80"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));
}

TEST(Utf8, TruncateMiddleKeepsBothEndsWithinTheLimit) {
  for (const std::string& ch : kChars) {
    std::string s;
    for (int i = 0; i < 200; ++i) s += ch;
    for (size_t max = 0; max <= s.size() + 1; ++max) {
      const std::string r = TruncateMiddleUtf8(s, max);
      ASSERT_LE(r.size(), std::max(max, size_t{0})) << ch.size() << " " << max;
      ASSERT_TRUE(IsValidUtf8(r)) << ch.size() << " " << max;
      if (max >= s.size()) {
        EXPECT_EQ(r, s);
      } else if (max > OmittedMarker(s.size()).size()) {
        const size_t at = r.find("\n[... ");
        ASSERT_NE(at, std::string::npos);
        const size_t end = r.find(" ...]\n", at) + 6;
        const std::string head = r.substr(0, at), tail = r.substr(end);
        const uint64_t omitted = std::stoull(r.substr(at + 6));
        EXPECT_EQ(head.size() + omitted + tail.size(), s.size());
        EXPECT_EQ(s.compare(0, head.size(), head), 0);
        EXPECT_EQ(s.compare(s.size() - tail.size(), tail.size(), tail), 0);
      }
    }
  }
  EXPECT_EQ(OmittedMarker(123456), "\n[... 123456 bytes omitted ...]\n");
}

}  // namespace
}  // namespace cordon
