#include "base/result.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace cordon {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return PlainError("halve " + std::to_string(x), "odd number");
  return x / 2;
}

Status Chain(int x) {
  CORDON_TRY(Half(x));
  return OkStatus();
}

TEST(Result, CarriesValueOrError) {
  EXPECT_EQ(*Half(4), 2);
  EXPECT_FALSE(Half(3).ok());
  EXPECT_EQ(Half(3).error().ToString(), "halve 3: odd number");
  EXPECT_FALSE(Chain(5).ok());
}

TEST(Error, NamesErrnoSymbolically) {
  Error e = ErrnoError(EACCES, "bind /src/app/.git read-only", "/src/app/.git");
  EXPECT_EQ(e.ToString(), "cannot bind /src/app/.git read-only: EACCES (Permission denied)");
}

}  // namespace
}  // namespace cordon
