#include "base/error.h"

#include <cerrno>
#include <cstring>

namespace cordon {

std::string Error::ToString() const {
  if (err != 0) {
    std::string out = "cannot " + op + ": " + ErrnoName(err) + " (" + std::strerror(err) + ")";
    if (!detail.empty()) out += ": " + detail;
    return out;
  }
  if (detail.empty()) return op;
  return op + ": " + detail;
}

Error ErrnoError(std::string op, std::string path) {
  const int saved = errno;
  return ErrnoError(saved, std::move(op), std::move(path));
}

Error ErrnoError(int err, std::string op, std::string path) {
  return Error{std::move(op), std::move(path), err, {}};
}

Error PlainError(std::string op, std::string detail) {
  return Error{std::move(op), {}, 0, std::move(detail)};
}

const char* ErrnoName(int err) {
  // strerrorname_np exists since glibc 2.32 (Debian 12 has 2.36).
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "EUNKNOWN";
}

}  // namespace cordon
