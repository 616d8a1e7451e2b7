// tracestate parsing, key/value grammar, nested fields and the configured-member upsert.
#include "telemetry/trace_state.h"

#include <gtest/gtest.h>

namespace cordon {
namespace {

std::string Roundtrip(std::string_view header) {
  auto s = TraceState::Parse(header);
  return s ? s->Serialize() : "<invalid: " + s.error().detail + ">";
}

TEST(TraceStateKey, SimpleAndMultiTenantForms) {
  EXPECT_TRUE(IsValidTraceStateKey("dd"));
  EXPECT_TRUE(IsValidTraceStateKey("a0_-*/z"));
  EXPECT_TRUE(IsValidTraceStateKey(std::string(256, 'a')));
  EXPECT_FALSE(IsValidTraceStateKey(std::string(257, 'a')));
  EXPECT_FALSE(IsValidTraceStateKey(""));
  EXPECT_FALSE(IsValidTraceStateKey("0abc"));  // a simple key starts with a letter
  EXPECT_FALSE(IsValidTraceStateKey("Dd"));
  EXPECT_FALSE(IsValidTraceStateKey("d d"));
  EXPECT_TRUE(IsValidTraceStateKey("0tenant@sys"));  // a tenant may start with a digit
  EXPECT_TRUE(IsValidTraceStateKey(std::string(241, 't') + "@" + std::string(14, 's')));
  EXPECT_FALSE(IsValidTraceStateKey(std::string(242, 't') + "@s"));
  EXPECT_FALSE(IsValidTraceStateKey("t@" + std::string(15, 's')));
  EXPECT_FALSE(IsValidTraceStateKey("t@0sys"));  // a system id starts with a letter
  EXPECT_FALSE(IsValidTraceStateKey("@sys"));
  EXPECT_FALSE(IsValidTraceStateKey("t@"));
  EXPECT_FALSE(IsValidTraceStateKey("a@b@c"));
  EXPECT_FALSE(IsValidTraceStateKey("_t@sys"));
}

TEST(TraceStateValue, Grammar) {
  EXPECT_TRUE(IsValidTraceStateValue("o:rum;s:0"));
  EXPECT_TRUE(IsValidTraceStateValue("a b"));
  EXPECT_TRUE(IsValidTraceStateValue(std::string(256, 'v')));
  EXPECT_FALSE(IsValidTraceStateValue(std::string(257, 'v')));
  EXPECT_FALSE(IsValidTraceStateValue(""));
  EXPECT_FALSE(IsValidTraceStateValue("a "));  // trailing space
  EXPECT_FALSE(IsValidTraceStateValue("a,b"));
  EXPECT_FALSE(IsValidTraceStateValue("a=b"));
  EXPECT_FALSE(IsValidTraceStateValue("a\tb"));
  EXPECT_FALSE(IsValidTraceStateValue("a\r\nb"));
  EXPECT_FALSE(IsValidTraceStateValue("caf\xc3\xa9"));
  EXPECT_FALSE(IsValidTraceStateValue("a\x7f"));
}

TEST(TraceStateParse, KeepsOrderAndToleratesOwsAndEmptyMembers) {
  EXPECT_EQ(Roundtrip("dd=o:rum;s:0,other=x"), "dd=o:rum;s:0,other=x");
  EXPECT_EQ(Roundtrip(" a=1 ,\tb=2\t,, ,c=3"), "a=1,b=2,c=3");
  EXPECT_EQ(Roundtrip(""), "");
  EXPECT_EQ(Roundtrip(" , "), "");
}

TEST(TraceStateParse, RejectsTheWholeHeaderOnAnyInvalidMember) {
  EXPECT_FALSE(TraceState::Parse("a=1,b").ok());
  EXPECT_FALSE(TraceState::Parse("a=1,B=2").ok());
  EXPECT_FALSE(TraceState::Parse("a=1,b=").ok());
  EXPECT_FALSE(TraceState::Parse("a=1,a=2").ok());
  EXPECT_FALSE(TraceState::Parse("a=1\r\n,b=2").ok());
  EXPECT_FALSE(TraceState::Parse("a=x=y").ok());
  std::string many;
  for (int i = 0; i < 33; ++i) many += "k" + std::to_string(i) + "=v,";
  EXPECT_FALSE(TraceState::Parse(many).ok());
  many.resize(many.size() - std::string("k32=v,").size());
  EXPECT_TRUE(TraceState::Parse(many).ok());
  auto r = TraceState::Parse("a=1,a=2");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(), "parse tracestate: duplicate member key 'a'");
  r = TraceState::Parse("a=\x1b[2J");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("\\x1b"), std::string::npos) << "control bytes are escaped";
}

TEST(TraceStateUpsert, MovesToFrontAndKeepsAtMost32) {
  auto s = TraceState::Parse("a=1,b=2,c=3");
  ASSERT_TRUE(s.ok());
  s->Upsert("b", "9");
  EXPECT_EQ(s->Serialize(), "b=9,a=1,c=3");
  s->Upsert("z", "0");
  EXPECT_EQ(s->Serialize(), "z=0,b=9,a=1,c=3");
  TraceState full;
  for (int i = 31; i >= 0; --i) full.Upsert("k" + std::to_string(i), "v");
  ASSERT_EQ(full.members().size(), 32u);
  full.Upsert("new", "v");
  ASSERT_EQ(full.members().size(), 32u);
  EXPECT_EQ(full.members().front().key, "new");
  EXPECT_EQ(full.members().back().key, "k30");  // k31, the last member, was dropped
}

TEST(TraceStateFields, Validation) {
  EXPECT_TRUE(ValidateTraceStateFieldKey("s").ok());
  EXPECT_TRUE(ValidateTraceStateFieldValue("1").ok());
  EXPECT_TRUE(ValidateTraceStateFieldValue("").ok());
  EXPECT_TRUE(ValidateTraceStateFieldValue("a b:c").ok());  // ':' is allowed in values
  for (const char* k : {"", "a,b", "a;b", "a:b", "a=b", "a\nb", "a\x01", "\xc3\xa9", " a", "a "}) {
    EXPECT_FALSE(ValidateTraceStateFieldKey(k).ok()) << "key '" << k << "'";
  }
  for (const char* v : {"a,b", "a;b", "a=b", "a\r\nb", "a\tb", "\xc3\xa9", "a ", "\x7f"}) {
    EXPECT_FALSE(ValidateTraceStateFieldValue(v).ok()) << "value '" << v << "'";
  }
}

TEST(TraceStateFields, UpsertKeepsOtherFieldsInPlace) {
  EXPECT_EQ(UpsertTraceStateFields("o:rum;s:0", {{"s", "1"}}), "o:rum;s:1");
  EXPECT_EQ(UpsertTraceStateFields("o:rum", {{"s", "1"}}), "o:rum;s:1");
  EXPECT_EQ(UpsertTraceStateFields("", {{"s", "1"}, {"t", "2"}}), "s:1;t:2");
  EXPECT_EQ(UpsertTraceStateFields("opaque;s:0;;p:x", {{"s", "1"}}), "opaque;s:1;p:x");
  // A part without ':' is not a field with that key.
  EXPECT_EQ(UpsertTraceStateFields("s", {{"s", "1"}}), "s;s:1");
}

TEST(TraceStateConfig, TheIssueExample) {
  auto s = TraceState::Parse("dd=o:rum;s:0,other=x");
  ASSERT_TRUE(s.ok());
  ApplyTraceStateConfig({{"dd", {{"s", "1"}}}}, *s);
  EXPECT_EQ(s->Serialize(), "dd=o:rum;s:1,other=x");

  auto moved = TraceState::Parse("other=x,dd=o:rum;s:0,last=y");
  ASSERT_TRUE(moved.ok());
  ApplyTraceStateConfig({{"dd", {{"s", "1"}}}}, *moved);
  EXPECT_EQ(moved->Serialize(), "dd=o:rum;s:1,other=x,last=y");

  TraceState empty;
  ApplyTraceStateConfig({{"dd", {{"s", "1"}}}, {"ot", {{"p", "8"}, {"r", "z"}}}}, empty);
  EXPECT_EQ(empty.Serialize(), "ot=p:8;r:z,dd=s:1");
}

TEST(TraceStateConfig, TooLongMergeFallsBackToConfiguredFields) {
  auto s = TraceState::Parse("dd=o:" + std::string(254, 'r'));  // 256 characters
  ASSERT_TRUE(s.ok());
  ApplyTraceStateConfig({{"dd", {{"s", "1"}}}}, *s);
  EXPECT_EQ(s->Serialize(), "dd=s:1");
}

TEST(TraceStateConfig, ThirtyThreeMembersDropsTheLast) {
  std::string header;
  for (int i = 0; i < 32; ++i) header += (i ? "," : "") + ("k" + std::to_string(i)) + "=v";
  auto s = TraceState::Parse(header);
  ASSERT_TRUE(s.ok());
  ApplyTraceStateConfig({{"dd", {{"s", "1"}}}}, *s);
  ASSERT_EQ(s->members().size(), 32u);
  EXPECT_EQ(s->members().front().key, "dd");
  EXPECT_EQ(s->members().back().key, "k30");
  EXPECT_TRUE(TraceState::Parse(s->Serialize()).ok());
}

}  // namespace
}  // namespace cordon
