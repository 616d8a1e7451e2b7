// The span line format between serve and its exporter process: lossless round trips (every
// attribute type, odd bytes in strings) and refusal of anything malformed.
#include "telemetry/span_wire.h"

#include <gtest/gtest.h>

namespace cordon {
namespace {

SpanRecord Sample() {
  IdGenerator ids;
  SpanRecord s;
  s.trace_id = ids.NewTraceId();
  s.span_id = ids.NewSpanId();
  s.parent_span_id = ids.NewSpanId();
  s.flags = kTraceFlagSampled;
  s.trace_state = "dd=o:rum;s:1,other=x";
  s.name = "cordon.session";
  s.start_unix_nanos = 1764400000123456789ULL;
  s.end_unix_nanos = 1764400000987654321ULL;
  SetAttribute(s.attributes, "cordon.workspace", std::string("/tmp/a b\n\"q\"\\,=;"));
  SetAttribute(s.attributes, "cordon.session.id", int64_t{-42});
  SetAttribute(s.attributes, "cordon.tty", true);
  SetAttribute(s.attributes, "cordon.duration_ms", 12.5);
  s.status = SpanStatusCode::kError;
  s.status_message = "killed by signal 9";
  return s;
}

void ExpectSame(const SpanRecord& a, const SpanRecord& b) {
  EXPECT_EQ(a.trace_id, b.trace_id);
  EXPECT_EQ(a.span_id, b.span_id);
  EXPECT_EQ(a.parent_span_id, b.parent_span_id);
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.trace_state, b.trace_state);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.start_unix_nanos, b.start_unix_nanos);
  EXPECT_EQ(a.end_unix_nanos, b.end_unix_nanos);
  ASSERT_EQ(a.attributes.size(), b.attributes.size());
  for (size_t i = 0; i < a.attributes.size(); ++i) {
    EXPECT_EQ(a.attributes[i].key, b.attributes[i].key);
    EXPECT_EQ(a.attributes[i].value, b.attributes[i].value) << a.attributes[i].key;
  }
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.status_message, b.status_message);
}

TEST(SpanWire, RoundTripKeepsEveryFieldAndType) {
  const SpanRecord s = Sample();
  const std::string line = EncodeSpanLine(s);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line, whatever the strings hold";
  auto back = DecodeSpanLine(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(back) << back.error().ToString();
  ExpectSame(s, *back);
}

TEST(SpanWire, RootSpanKeepsAZeroParent) {
  SpanRecord s = Sample();
  s.parent_span_id = SpanId{};
  s.status = SpanStatusCode::kUnset;
  s.attributes.clear();
  auto back = DecodeSpanLine(EncodeSpanLine(s));
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->parent_span_id.IsValid());
  ExpectSame(s, *back);
}

TEST(SpanWire, InvalidUtf8IsReplacedNotThrown) {
  SpanRecord s = Sample();
  SetAttribute(s.attributes, "cordon.workspace", std::string("/tmp/\xff\xfe"));
  auto back = DecodeSpanLine(EncodeSpanLine(s));
  ASSERT_TRUE(back);
  EXPECT_EQ(std::get<std::string>(*FindAttribute(back->attributes, "cordon.workspace")),
            "/tmp/\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(SpanWire, MalformedLinesAreErrors) {
  std::string good = EncodeSpanLine(Sample());
  good.pop_back();
  const std::string bad[] = {
      "",
      "{",
      "[]",
      "{}",
      good.substr(0, good.size() / 2),
      // an id of the wrong length, or not lowercase hex
      std::string(good).replace(good.find("\"t\":\"") + 5, 2, "X"),
      std::string(good).replace(good.rfind("\"s\":\"") + 5, 2, "AB"),
      // wrong types
      std::string(good).replace(good.find("\"f\":1"), 5, "\"f\":\"1\""),
      std::string(good).replace(good.find("\"f\":1"), 5, "\"f\":300"),
      std::string(good).replace(good.find("\"c\":2"), 5, "\"c\":7"),
      std::string(good).replace(good.find("{\"b\":true}"), 10, "{\"x\":true}"),
  };
  for (const auto& line : bad) EXPECT_FALSE(DecodeSpanLine(line)) << line;
}

}  // namespace
}  // namespace cordon
