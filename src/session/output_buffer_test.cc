// OutputBuffer against a naive reference (the whole stream kept in a string) over random inputs
// and chunkings, UTF-8 cuts at every alignment, cursor reads, and linear cost.
#include "session/output_buffer.h"

#include <chrono>
#include <random>

#include <gtest/gtest.h>

#include "session/utf8.h"

namespace cordon {
namespace {

const std::string kChars[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};

// What the buffer should show for a whole stream `s` with capacity `max`, computed directly.
std::string Reference(const std::string& s, size_t max, bool closed) {
  const size_t head_cap = max / 2, tail_cap = max - max / 2;
  size_t end = s.size();
  if (!closed)
    end -= Utf8IncompleteSuffixLength(s.substr(s.size() - std::min<size_t>(3, s.size())));
  if (s.size() <= max) return s.substr(0, end);
  const std::string head = s.substr(0, head_cap);
  const size_t head_end = head.size() - Utf8IncompleteSuffixLength(head);
  const size_t tail_begin = s.size() - tail_cap;
  const size_t tail_start = tail_begin + Utf8ContinuationPrefixLength(s.substr(tail_begin, 3));
  return s.substr(0, head_end) + OmittedMarker(tail_start - head_end) +
         s.substr(tail_start, end - tail_start);
}

// Splits "head<marker>tail"; returns false if there is no marker.
bool SplitAtMarker(const std::string& text, std::string* head, uint64_t* omitted,
                   std::string* tail) {
  const size_t at = text.find("\n[... ");
  if (at == std::string::npos) return false;
  const size_t end = text.find(" bytes omitted ...]\n", at);
  *head = text.substr(0, at);
  *omitted = std::stoull(text.substr(at + 6, end - at - 6));
  *tail = text.substr(end + 20);
  return true;
}

TEST(OutputBuffer, SmallOutputIsKeptVerbatim) {
  OutputBuffer b(100);
  b.Append("hello ");
  b.Append("world\n");
  EXPECT_EQ(b.Contents(), "hello world\n");
  EXPECT_EQ(b.dropped_bytes(), 0u);
  EXPECT_EQ(b.total_bytes(), 12u);
}

TEST(OutputBuffer, KeepsHeadAndTailAndMarksTheMiddle) {
  OutputBuffer b(64);
  std::string all;
  for (int i = 0; i < 1000; ++i) {
    const std::string line = std::to_string(i) + "\n";
    b.Append(line);
    all += line;
  }
  b.Close();
  const std::string c = b.Contents();
  EXPECT_EQ(c, all.substr(0, 32) + OmittedMarker(all.size() - 64) + all.substr(all.size() - 32));
  EXPECT_EQ(b.dropped_bytes(), all.size() - 64);
}

TEST(OutputBuffer, MatchesNaiveReferenceOnRandomStreams) {
  std::mt19937 rng(42);
  for (int round = 0; round < 400; ++round) {
    const size_t max = 64 + rng() % 300;
    OutputBuffer b(max);
    std::string all;
    const int appends = static_cast<int>(rng() % 60);
    for (int a = 0; a < appends; ++a) {
      std::string piece;
      const size_t n = rng() % (rng() % 4 == 0 ? 800 : 40);
      while (piece.size() < n) {
        switch (rng() % 6) {
          case 0:
            piece += static_cast<char>(0x80 + rng() % 0x80);
            break;  // invalid bytes too
          default:
            piece += kChars[rng() % 4];
        }
      }
      // Cut the piece anywhere, so characters straddle appends.
      piece.resize(std::min(piece.size(), n));
      b.Append(piece);
      all += piece;
      ASSERT_EQ(b.Contents(), Reference(all, b.max_bytes(), false)) << round << "/" << a;
    }
    b.Close();
    ASSERT_EQ(b.Contents(), Reference(all, b.max_bytes(), true)) << round;
    ASSERT_EQ(b.total_bytes(), all.size());
  }
}

TEST(OutputBuffer, HeadAndTailCutsNeverSplitACharacter) {
  // Every width at every alignment of the head cut and of the tail cut.
  for (const std::string& ch : kChars) {
    for (size_t lead = 0; lead < 4; ++lead) {
      for (size_t trail = 0; trail < 4; ++trail) {
        std::string s(lead, 'h');
        while (s.size() < 300) s += ch;
        s += std::string(trail, 't');
        OutputBuffer b(64);
        // Append one byte at a time: the cut must not depend on how bytes arrive.
        for (char c : s) b.Append(std::string_view(&c, 1));
        b.Close();
        const std::string c = b.Contents();
        ASSERT_TRUE(IsValidUtf8(c)) << ch.size() << " " << lead << " " << trail;
        std::string head, tail;
        uint64_t omitted = 0;
        ASSERT_TRUE(SplitAtMarker(c, &head, &omitted, &tail));
        EXPECT_EQ(s.compare(0, head.size(), head), 0);
        EXPECT_EQ(s.compare(s.size() - tail.size(), tail.size(), tail), 0);
        EXPECT_EQ(head.size() + omitted + tail.size(), s.size());
        EXPECT_GT(head.size() + ch.size(), 32u);  // only the split character was given up
        EXPECT_GT(tail.size() + ch.size(), 32u);
      }
    }
  }
}

TEST(OutputBuffer, ReadsHoldBackAnUnfinishedCharacterUntilItCompletes) {
  OutputBuffer b(1024);
  b.Append("a\xe2\x82");
  auto r = b.ReadSince(0);
  EXPECT_EQ(r.text, "a");
  EXPECT_EQ(r.next_cursor, 1u);
  b.Append("\xac!");
  r = b.ReadSince(r.next_cursor);
  EXPECT_EQ(r.text, "\xe2\x82\xac!");
  EXPECT_EQ(r.next_cursor, 5u);
  // A stream that ends inside a character: Close() releases the bytes as they are.
  b.Append("\xf0\x9f");
  EXPECT_EQ(b.ReadSince(5).text, "");
  b.Close();
  EXPECT_EQ(b.ReadSince(5).text, "\xf0\x9f");
  EXPECT_EQ(b.ReadSince(99).next_cursor, 99u);
}

TEST(OutputBuffer, PollingWithoutDropsReassemblesTheStreamInValidPieces) {
  std::mt19937 rng(3);
  OutputBuffer b(1 << 16);
  std::string all, seen;
  uint64_t cursor = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string piece;
    for (int k = 0; k < 5; ++k) piece += kChars[rng() % 4];
    const size_t cut = rng() % (piece.size() + 1);  // split characters between appends
    b.Append(piece.substr(0, cut));
    auto r = b.ReadSince(cursor);
    ASSERT_TRUE(IsValidUtf8(r.text));
    ASSERT_EQ(r.omitted, 0u);
    seen += r.text;
    cursor = r.next_cursor;
    b.Append(piece.substr(cut));
    all += piece;
    if (all.size() > (1 << 15)) break;
  }
  b.Close();
  seen += b.ReadSince(cursor).text;
  EXPECT_EQ(seen, all);
}

TEST(OutputBuffer, PollingAcrossDropsAccountsForEveryByte) {
  std::mt19937 rng(11);
  for (int round = 0; round < 100; ++round) {
    OutputBuffer b(64 + rng() % 200);
    uint64_t cursor = 0, text_bytes = 0, omitted = 0;
    for (int i = 0; i < 200; ++i) {
      std::string piece;
      const size_t n = rng() % 50;
      for (size_t k = 0; k < n; ++k) piece += kChars[rng() % 4];
      b.Append(piece);
      if (rng() % 3 != 0) continue;
      auto r = b.ReadSince(cursor);
      ASSERT_TRUE(IsValidUtf8(r.text));
      std::string head, tail;
      uint64_t marked = 0;
      if (SplitAtMarker(r.text, &head, &marked, &tail)) {
        ASSERT_EQ(marked, r.omitted);
        text_bytes += head.size() + tail.size();
      } else {
        ASSERT_EQ(r.omitted, 0u);
        text_bytes += r.text.size();
      }
      omitted += r.omitted;
      ASSERT_GE(r.next_cursor, cursor);
      cursor = r.next_cursor;
      ASSERT_EQ(text_bytes + omitted, cursor);
    }
    b.Close();
    auto r = b.ReadSince(cursor);
    std::string head, tail;
    uint64_t marked = 0;
    if (SplitAtMarker(r.text, &head, &marked, &tail)) {
      text_bytes += head.size() + tail.size();
    } else {
      text_bytes += r.text.size();
    }
    omitted += r.omitted;
    EXPECT_EQ(text_bytes + omitted, b.total_bytes());
    EXPECT_EQ(r.next_cursor, b.total_bytes());
  }
}

TEST(OutputBuffer, AppendIsLinear) {
  // 256 MiB through a 1 MiB buffer in 4 KiB pieces: quadratic behaviour would take minutes.
  OutputBuffer b;
  const std::string piece(4096, 'x');
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 65536; ++i) b.Append(piece);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(b.total_bytes(), 256u << 20);
  EXPECT_EQ(b.Contents().size(), (1u << 20) + OmittedMarker(b.dropped_bytes()).size());
  EXPECT_LT(took, std::chrono::seconds(5));
  std::printf(
      "256 MiB appended in %lld ms\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
}

}  // namespace
}  // namespace cordon
