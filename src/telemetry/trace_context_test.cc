// traceparent parsing and formatting against the W3C rules.
#include "telemetry/trace_context.h"

#include <gtest/gtest.h>

namespace cordon {
namespace {

constexpr char kValid[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceParent, ParsesAndFormatsVersion00) {
  auto ctx = ParseTraceParent(kValid);
  ASSERT_TRUE(ctx.ok()) << ctx.error().ToString();
  EXPECT_EQ(ctx->trace_id.ToHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(ctx->span_id.ToHex(), "00f067aa0ba902b7");
  EXPECT_TRUE(ctx->sampled());
  EXPECT_EQ(FormatTraceParent(*ctx), kValid);
}

TEST(TraceParent, NotSampledFlagIsKept) {
  auto ctx = ParseTraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(ctx.ok());
  EXPECT_FALSE(ctx->sampled());
  EXPECT_EQ(FormatTraceParent(*ctx), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
}

TEST(TraceParent, FutureVersionParsesThePrefixAndEmitsVersion00) {
  auto ctx =
      ParseTraceParent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future");
  ASSERT_TRUE(ctx.ok()) << ctx.error().ToString();
  EXPECT_EQ(FormatTraceParent(*ctx), kValid);
  EXPECT_TRUE(ParseTraceParent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").ok());
  EXPECT_FALSE(ParseTraceParent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x").ok());
}

TEST(TraceParent, RejectsInvalidHeaders) {
  const char* bad[] = {
      "",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",  // v00 with trailing data
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",    // short flags
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",   // zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",   // zero span id
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",   // uppercase
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",   // uppercase span id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",   // uppercase flags
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // version ff
      "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // bad version hex
      "00-4bf92f3577b34da6a3ce929d0e0e473x-00f067aa0ba902b7-01",   // bad hex
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // bad separator
      "00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-0100",   // wrong field lengths
      " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // whitespace
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ",
  };
  for (const char* h : bad) {
    EXPECT_FALSE(ParseTraceParent(h).ok()) << "accepted '" << h << "'";
  }
}

TEST(TraceParent, ErrorSaysWhatIsWrong) {
  auto r = ParseTraceParent("00-00000000000000000000000000000000-00f067aa0ba902b7-01");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(), "parse traceparent: trace-id is all zeros");
}

}  // namespace
}  // namespace cordon
