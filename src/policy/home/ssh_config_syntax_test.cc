// Line splitting as OpenSSH's readconf.c/argv_split() do it.
#include "policy/home/ssh_config_syntax.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cordon {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(SshConfigSyntax, BlankAndCommentLinesHaveNoKeyword) {
  EXPECT_EQ(ParseSshConfigLine("").keyword, "");
  EXPECT_EQ(ParseSshConfigLine("   \t ").keyword, "");
  EXPECT_EQ(ParseSshConfigLine("  # IdentityFile ~/.ssh/x").keyword, "");
}

TEST(SshConfigSyntax, KeywordIsLowerCasedAndArgumentsSplitOnWhitespace) {
  SshConfigLine l = ParseSshConfigLine("  UserKnownHostsFile\t~/a  ~/b \r");
  EXPECT_EQ(l.keyword, "userknownhostsfile");
  EXPECT_THAT(l.args, ElementsAre("~/a", "~/b"));
  EXPECT_FALSE(l.unterminated_quote);
}

TEST(SshConfigSyntax, EqualsSeparatesKeywordAndValue) {
  EXPECT_THAT(ParseSshConfigLine("IdentityFile=~/k").args, ElementsAre("~/k"));
  EXPECT_THAT(ParseSshConfigLine("IdentityFile = ~/k").args, ElementsAre("~/k"));
  EXPECT_THAT(ParseSshConfigLine("IdentityFile =~/k").args, ElementsAre("~/k"));
  EXPECT_EQ(ParseSshConfigLine("IdentityFile=~/k").keyword, "identityfile");
  // Only one '=' is a separator; a second one belongs to the value.
  EXPECT_THAT(ParseSshConfigLine("IdentityFile==~/k").args, ElementsAre("=~/k"));
}

TEST(SshConfigSyntax, QuotesGroupAndAreRemoved) {
  EXPECT_THAT(ParseSshConfigLine("IdentityFile \"~/my key\"").args, ElementsAre("~/my key"));
  EXPECT_THAT(ParseSshConfigLine("IdentityFile '~/my key'").args, ElementsAre("~/my key"));
  EXPECT_THAT(ParseSshConfigLine("IdentityFile ~/\"a b\"/c").args, ElementsAre("~/a b/c"));
  EXPECT_THAT(ParseSshConfigLine("IdentityFile \"it's\"").args, ElementsAre("it's"));
}

TEST(SshConfigSyntax, BackslashEscapes) {
  EXPECT_THAT(ParseSshConfigLine(R"(IdentityFile ~/a\ b)").args, ElementsAre("~/a b"));
  EXPECT_THAT(ParseSshConfigLine(R"(IdentityFile ~/a\"b)").args, ElementsAre("~/a\"b"));
  EXPECT_THAT(ParseSshConfigLine(R"(IdentityFile ~/a\\b)").args, ElementsAre(R"(~/a\b)"));
  // Unrecognised escapes keep the backslash.
  EXPECT_THAT(ParseSshConfigLine(R"(IdentityFile ~/a\nb)").args, ElementsAre(R"(~/a\nb)"));
}

TEST(SshConfigSyntax, HashStartsACommentOnlyAtTheStartOfAnArgument) {
  EXPECT_THAT(ParseSshConfigLine("IdentityFile ~/k # old key").args, ElementsAre("~/k"));
  EXPECT_THAT(ParseSshConfigLine("IdentityFile ~/k#1").args, ElementsAre("~/k#1"));
  EXPECT_THAT(ParseSshConfigLine("IdentityFile \"# not a comment\"").args,
              ElementsAre("# not a comment"));
}

TEST(SshConfigSyntax, UnterminatedQuoteIsReportedAndKeepsTheRestOfTheLine) {
  SshConfigLine l = ParseSshConfigLine("IdentityFile \"~/broken key # x");
  EXPECT_TRUE(l.unterminated_quote);
  EXPECT_THAT(l.args, ElementsAre("~/broken key # x"));
}

TEST(SshConfigSyntax, KeywordWithoutArguments) {
  SshConfigLine l = ParseSshConfigLine("IdentityFile");
  EXPECT_EQ(l.keyword, "identityfile");
  EXPECT_THAT(l.args, IsEmpty());
}

}  // namespace
}  // namespace cordon
