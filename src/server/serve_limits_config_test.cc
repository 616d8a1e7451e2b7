// The [serve] table: every key sets its SessionLimits field; unknown keys, wrong types, values
// out of range and limits that cannot work are errors naming the key and the file's line.
#include "server/serve_limits_config.h"

#include <string>

#include <gtest/gtest.h>

namespace cordon {
namespace {

Result<SessionLimits> FromToml(const std::string& text) {
  toml::table doc = toml::parse(std::string_view(text), std::string_view("cfg.toml"));
  return SessionLimitsFromDocument(&doc, "cfg.toml");
}

std::string ErrorOf(const std::string& text) {
  auto r = FromToml(text);
  return r ? std::string("(no error)") : r.error().ToString();
}

TEST(ServeLimitsConfig, NoTableGivesTheDefaults) {
  auto r = FromToml("[otel]\nenvironment = \"x\"\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->max_sessions, SessionLimits{}.max_sessions);
  EXPECT_EQ(r->max_sandboxes, 16u);
  EXPECT_TRUE(SessionLimitsFromDocument(nullptr, "none").ok());
}

TEST(ServeLimitsConfig, EveryKeySetsItsField) {
  auto r = FromToml(R"([serve]
max_sessions = 3
max_sandboxes = 2
max_output_bytes = 4096
max_call_output_bytes = 1000
exec_yield_ms = 11
write_stdin_yield_ms = 12
min_yield_ms = 5
max_yield_ms = 60000
max_stdin_queue_bytes = 777
handshake_timeout_ms = 900
drain_after_exit_ms = 40
default_rows = 50
default_cols = 132
)");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->max_sessions, 3u);
  EXPECT_EQ(r->max_sandboxes, 2u);
  EXPECT_EQ(r->max_output_bytes, 4096u);
  EXPECT_EQ(r->default_max_call_output_bytes, 1000u);
  EXPECT_EQ(r->exec_yield_ms, 11u);
  EXPECT_EQ(r->write_stdin_yield_ms, 12u);
  EXPECT_EQ(r->min_yield_ms, 5u);
  EXPECT_EQ(r->max_yield_ms, 60000u);
  EXPECT_EQ(r->max_stdin_queue_bytes, 777u);
  EXPECT_EQ(r->handshake_timeout_ms, 900u);
  EXPECT_EQ(r->drain_after_exit_ms, 40u);
  EXPECT_EQ(r->default_rows, 50u);
  EXPECT_EQ(r->default_cols, 132u);
}

TEST(ServeLimitsConfig, BadValuesNameTheKeyAndLine) {
  EXPECT_EQ(ErrorOf("[serve]\nmax_sesions = 3\n"),
            "invalid config cfg.toml:2: serve.max_sesions: unknown key");
  EXPECT_EQ(ErrorOf("[serve]\n\nmax_sessions = \"3\"\n"),
            "invalid config cfg.toml:3: serve.max_sessions: must be an integer");
  EXPECT_EQ(ErrorOf("[serve]\nexec_yield_ms = -1\n"),
            "invalid config cfg.toml:2: serve.exec_yield_ms: must be between 0 and 4294967295");
  EXPECT_EQ(ErrorOf("[serve]\ndefault_rows = 70000\n"),
            "invalid config cfg.toml:2: serve.default_rows: must be between 0 and 65535");
  EXPECT_EQ(ErrorOf("serve = 3\n"), "invalid config cfg.toml: serve: must be a table");
}

TEST(ServeLimitsConfig, LimitsThatCannotWorkAreRefused) {
  EXPECT_EQ(ErrorOf("[serve]\nmax_sandboxes = 0\n"),
            "invalid config cfg.toml: serve.max_sandboxes must be at least 1");
  EXPECT_NE(ErrorOf("[serve]\nmin_yield_ms = 10\nmax_yield_ms = 5\n")
                .find("min_yield_ms exceeds max_yield_ms"),
            std::string::npos);
}

}  // namespace
}  // namespace cordon
