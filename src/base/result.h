// Result<T>: a value or an Error, in the spirit of std::expected (which g++ 12 offers only under
// C++23 and clang-tidy 14 cannot parse). Small on purpose: construct from a value or an Error,
// test with ok()/operator bool, read with value()/operator*/operator->, error().
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "base/error.h"

namespace cordon {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}           // NOLINT(google-explicit-constructor)
  Result(Error error) : data_(std::move(error)) {}       // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<T>(data_); }
  const T& value() const& { assert(ok()); return std::get<T>(data_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<Error>(data_); }

 private:
  std::variant<T, Error> data_;
};

// Result<void>: success carries nothing.
struct Ok {};
using Status = Result<Ok>;
inline Status OkStatus() { return Ok{}; }

// Propagates an error from an expression returning Result/Status.
#define CORDON_TRY(expr)                                  \
  do {                                                    \
    auto cordon_try_result_ = (expr);                     \
    if (!cordon_try_result_) return cordon_try_result_.error(); \
  } while (0)

}  // namespace cordon
