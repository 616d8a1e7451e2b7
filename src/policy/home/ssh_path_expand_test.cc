// Token expansion of SSH config paths: ~, %d, %u, %%, ${VAR}, unknown tokens.
#include "policy/home/ssh_path_expand.h"

#include <gtest/gtest.h>

#include <map>

namespace cordon {
namespace {

SshExpandContext Ctx() {
  SshExpandContext c;
  c.home = "/home/alice";
  c.user = "alice";
  c.getenv = [](const std::string& name) -> std::optional<std::string> {
    static const std::map<std::string, std::string> env = {{"HOME", "/home/alice"},
                                                           {"KEYS", "/srv/keys"}};
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return c;
}

ExpandedSshPath Expand(std::string_view arg, SshExpandContext c = Ctx()) {
  std::string why;
  std::optional<ExpandedSshPath> p = ExpandSshPath(arg, c, &why);
  EXPECT_TRUE(p.has_value()) << arg << ": " << why;
  return p.value_or(ExpandedSshPath{});
}

TEST(SshPathExpand, KnownTokens) {
  EXPECT_EQ(Expand("~").path, "/home/alice");
  EXPECT_EQ(Expand("~/.ssh/id").path, "/home/alice/.ssh/id");
  EXPECT_EQ(Expand("~alice/.ssh/id").path, "/home/alice/.ssh/id");
  EXPECT_EQ(Expand("%d/.ssh/id_%u").path, "/home/alice/.ssh/id_alice");
  EXPECT_EQ(Expand("/k/100%%").path, "/k/100%");
  EXPECT_EQ(Expand("${HOME}/x").path, "/home/alice/x");
  EXPECT_EQ(Expand("${KEYS}/id").path, "/srv/keys/id");
  EXPECT_EQ(Expand("~/a/../b/./c").path, "/home/alice/b/c");
  EXPECT_TRUE(Expand("~/.ssh/id").pattern.empty());
  // "$VAR" without braces is literal for ssh.
  EXPECT_EQ(Expand("/x/$KEYS").path, "/x/$KEYS");
}

TEST(SshPathExpand, UnknownTokensKeepTheDirectoryAndAPattern) {
  ExpandedSshPath p = Expand("~/.cache/ssh/%r@%h:%p");
  EXPECT_EQ(p.path, "/home/alice/.cache/ssh");
  EXPECT_EQ(p.pattern, "/home/alice/.cache/ssh/*@*:*");
  p = Expand("~/.cm-%C");
  EXPECT_EQ(p.path, "/home/alice");
  EXPECT_EQ(p.pattern, "/home/alice/.cm-*");
  p = Expand("/tmp/sock/%h/x");
  EXPECT_EQ(p.path, "/tmp/sock");
  EXPECT_EQ(p.pattern, "/tmp/sock/*/x");
  // An unset variable is unknown, never an empty string.
  p = Expand("~/${NOPE}/id");
  EXPECT_EQ(p.path, "/home/alice");
  EXPECT_EQ(p.pattern, "/home/alice/*/id");
  // Literal glob characters are escaped in the pattern.
  p = Expand("~/we*ird/%h");
  EXPECT_EQ(p.path, "/home/alice/we*ird");
  EXPECT_EQ(p.pattern, "/home/alice/we\\*ird/*");
  // A trailing '%' and an unclosed ${ are unknown too.
  EXPECT_EQ(Expand("~/x%").pattern, "/home/alice/x*");
  EXPECT_EQ(Expand("~/y/${OPEN").pattern, "/home/alice/y/*");
}

TEST(SshPathExpand, RelativePathsAreAnchored) {
  ExpandedSshPath p = Expand("id_rsa");
  EXPECT_EQ(p.path, "/home/alice/id_rsa");
  EXPECT_FALSE(p.note.empty());
  SshExpandContext c = Ctx();
  c.relative_base = "/home/alice/.ssh";
  EXPECT_EQ(Expand("config.d/a", c).path, "/home/alice/.ssh/config.d/a");
  // Starting with an unknown token: anchored, and the pattern covers every child.
  p = Expand("%C");
  EXPECT_EQ(p.path, "/home/alice");
  EXPECT_EQ(p.pattern, "/home/alice/*");
}

TEST(SshPathExpand, IncludeGetsTildeOnly) {
  SshExpandContext c = Ctx();
  c.tokens = false;
  c.relative_base = "/home/alice/.ssh";
  EXPECT_EQ(Expand("~/conf/%d", c).path, "/home/alice/conf/%d");
  EXPECT_TRUE(Expand("~/conf/%d", c).pattern.empty());
  EXPECT_EQ(Expand("${HOME}/x", c).path, "/home/alice/.ssh/${HOME}/x");
}

TEST(SshPathExpand, OtherUsersHomeIsNotExpanded) {
  std::string why;
  EXPECT_FALSE(ExpandSshPath("~bob/.ssh/id", Ctx(), &why).has_value());
  EXPECT_NE(why.find("bob"), std::string::npos);
  EXPECT_FALSE(ExpandSshPath("", Ctx(), &why).has_value());
}

}  // namespace
}  // namespace cordon
