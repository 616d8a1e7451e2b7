// SessionLimits: the documented defaults, and Validate() refusing values that cannot work.
#include "session/session_limits.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace cordon {
namespace {

TEST(SessionLimits, DefaultsAreTheDocumentedOnesAndValid) {
  SessionLimits l;
  EXPECT_EQ(l.max_sessions, 64u);
  EXPECT_EQ(l.max_output_bytes, 1u << 20);
  EXPECT_TRUE(l.Validate().ok());
}

TEST(SessionLimits, ValidateNamesTheBadField) {
  SessionLimits l;
  l.max_sessions = 0;
  ASSERT_FALSE(l.Validate().ok());
  EXPECT_EQ(l.Validate().error().err, EINVAL);
  EXPECT_NE(l.Validate().error().detail.find("max_sessions"), std::string::npos);
  l = SessionLimits{};
  l.min_yield_ms = 10;
  l.max_yield_ms = 5;
  EXPECT_NE(l.Validate().error().detail.find("min_yield_ms"), std::string::npos);
  l = SessionLimits{};
  l.max_output_bytes = 10;
  EXPECT_FALSE(l.Validate().ok());
}

}  // namespace
}  // namespace cordon
