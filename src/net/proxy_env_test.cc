// The proxy environment of sandboxed commands.
#include "net/proxy_env.h"

#include <gtest/gtest.h>

#include <map>

namespace cordon {
namespace {

TEST(ProxyEnvironment, PointsEveryToolAtTheProxies) {
  std::map<std::string, std::string> env;
  for (const auto& [k, v] : ProxyEnvironment(3128, 1080)) {
    EXPECT_FALSE(env.contains(k)) << "duplicate " << k;
    env[k] = v;
  }
  for (const char* name : {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                           "npm_config_proxy", "npm_config_https_proxy", "YARN_HTTP_PROXY",
                           "YARN_HTTPS_PROXY", "PIP_PROXY", "CARGO_HTTP_PROXY"}) {
    EXPECT_EQ(env[name], "http://127.0.0.1:3128") << name;
  }
  EXPECT_EQ(env["ALL_PROXY"], "socks5h://127.0.0.1:1080");
  EXPECT_EQ(env["all_proxy"], "socks5h://127.0.0.1:1080");
  EXPECT_EQ(env["NO_PROXY"], "localhost,127.0.0.1,::1");
  EXPECT_EQ(env["no_proxy"], "localhost,127.0.0.1,::1");
  EXPECT_EQ(env["RSYNC_PROXY"], "127.0.0.1:3128");
  EXPECT_NE(env["JAVA_TOOL_OPTIONS"].find("-Dhttps.proxyPort=3128"), std::string::npos);
  EXPECT_NE(env["GRADLE_OPTS"].find("-Dhttp.proxyHost=127.0.0.1"), std::string::npos);
}

TEST(ApplyEnvironment, ReplacesAndKeepsJvmOptions) {
  std::vector<std::string> env = {"PATH=/bin", "HTTP_PROXY=http://evil:1", "GRADLE_OPTS=-Xmx1g"};
  ApplyEnvironment(
      {{"HTTP_PROXY", "http://127.0.0.1:1"}, {"GRADLE_OPTS", "-Dx=1"}, {"NO_PROXY", "localhost"}},
      &env);
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/bin", "HTTP_PROXY=http://127.0.0.1:1",
                                           "GRADLE_OPTS=-Dx=1 -Xmx1g", "NO_PROXY=localhost"}));
}

}  // namespace
}  // namespace cordon
