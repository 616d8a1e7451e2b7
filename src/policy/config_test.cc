#include "policy/config.h"

#include <gtest/gtest.h>

namespace cordon {
namespace {

TEST(Config, EmptyConfigIsValid) {
  auto c = ParseConfig("", "config.toml");
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_TRUE(c->default_permissions.empty());
  EXPECT_TRUE(c->profiles.empty());
}

TEST(Config, ParsesProfilesAndWorkspaceSettings) {
  auto c = ParseConfig(R"(
default_permissions = "dev"
[sandbox_workspace_write]
writable_roots = ["/srv/cache", "~/scratch"]
exclude_slash_tmp = true
[permissions.dev]
description = "my profile"
extends = ":workspace"
[permissions.dev.filesystem]
"/opt/data" = "read"
":workspace_roots" = { "." = "write", "docs" = "read" }
"~/.secret" = "none"
[permissions.dev.network]
mode = "none"
allow_local_binding = true
)",
                       "config.toml");
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->default_permissions, "dev");
  EXPECT_TRUE(c->workspace_write.exclude_slash_tmp);
  EXPECT_EQ(c->workspace_write.writable_roots.size(), 2u);
  const ProfileSpec& p = c->profiles.at("dev");
  EXPECT_EQ(p.extends, ":workspace");
  ASSERT_EQ(p.filesystem.size(), 3u);
  EXPECT_EQ(p.filesystem[0].key, "/opt/data");
  EXPECT_EQ(p.filesystem[1].scoped.size(), 2u);
  EXPECT_EQ(*p.filesystem[2].access, Access::kDeny);  // "none" is a synonym of "deny"
  EXPECT_EQ(p.filesystem[0].where, "config.toml:10");
  EXPECT_TRUE(*p.network.allow_local_binding);
}

struct BadCase {
  const char* text;
  const char* message;
};

class ConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigErrors, NameTheFileLineAndKey) {
  auto c = ParseConfig(GetParam().text, "cfg.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().ToString().find(GetParam().message), std::string::npos)
      << c.error().ToString();
}

INSTANTIATE_TEST_SUITE_P(
    All, ConfigErrors,
    ::testing::Values(
        BadCase{"x = 1\n", "cfg.toml:1: unknown key 'x'"},
        BadCase{"default_permissions = 3\n", "'default_permissions' must be a string"},
        BadCase{"a = [\n", "invalid config cfg.toml:"},
        BadCase{"[permissions.p]\nfoo = 1\n", "cfg.toml:2: unknown key 'foo' in [permissions.p]"},
        BadCase{"[permissions.p.filesystem]\n\"rel/path\" = \"read\"\n", "must be absolute"},
        BadCase{"[permissions.p.filesystem]\n\"/a\" = \"execute\"\n",
                "expected \"read\", \"write\" or \"deny\""},
        BadCase{"[permissions.p.filesystem]\n\":nope\" = \"read\"\n", "unknown path token"},
        BadCase{"[permissions.\":mine\"]\n", "reserved"},
        BadCase{"[permissions.p.network]\nmode = \"some\"\n", "expected \"none\", \"proxy\""},
        BadCase{"[permissions.p.network]\nhost_ports = [70000]\n", "ports 1-65535"},
        BadCase{"[sandbox_workspace_write]\nwritable_roots = [\"rel\"]\n",
                "must be an absolute path"},
        BadCase{"[permissions.p.filesystem]\n\":workspace_roots\" = { \"/abs\" = \"read\" }\n",
                "must be relative to the root"}));

TEST(ConfigOverrides, SetValuesByDottedKey) {
  auto c = ParseConfig("", "cfg.toml",
                       {"default_permissions=:read-only", "sandbox_workspace_write.exclude_slash_tmp=true",
                        "permissions.x.filesystem.\"/data\"=\"write\""});
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->default_permissions, ":read-only");
  EXPECT_TRUE(c->workspace_write.exclude_slash_tmp);
  EXPECT_EQ(c->profiles.at("x").filesystem[0].key, "/data");
}

TEST(ConfigOverrides, AreValidatedLikeTheFile) {
  auto c = ParseConfig("", "cfg.toml", {"nonsense.key=1"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().ToString().find("unknown key 'nonsense'"), std::string::npos);
  c = ParseConfig("", "cfg.toml", {"novalue"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().ToString().find("expected key=value"), std::string::npos);
}

}  // namespace
}  // namespace cordon
