// SessionLimits::Validate: see session_limits.h.
#include "session/session_limits.h"

#include <cerrno>
#include <string>

namespace cordon {
namespace {
Error Invalid(const char* field, const std::string& why) {
  return Error{"check session limits", {}, EINVAL, std::string(field) + " " + why};
}
}  // namespace

Status SessionLimits::Validate() const {
  if (max_sessions == 0) return Invalid("max_sessions", "must be at least 1");
  if (max_sandboxes == 0) return Invalid("max_sandboxes", "must be at least 1");
  if (max_output_bytes < 64) return Invalid("max_output_bytes", "must be at least 64");
  if (default_max_call_output_bytes == 0) {
    return Invalid("default_max_call_output_bytes", "must be at least 1");
  }
  if (min_yield_ms > max_yield_ms) return Invalid("min_yield_ms", "exceeds max_yield_ms");
  if (handshake_timeout_ms == 0) return Invalid("handshake_timeout_ms", "must be positive");
  if (default_rows == 0 || default_cols == 0) {
    return Invalid("default_rows/default_cols", "must be positive");
  }
  return OkStatus();
}

}  // namespace cordon
