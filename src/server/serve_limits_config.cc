// See serve_limits_config.h.
#include "server/serve_limits_config.h"

#include <cstdint>
#include <limits>
#include <string>
#include <variant>

namespace cordon {
namespace {

Error Invalid(std::string_view source, const toml::node& node, const std::string& key,
              const std::string& why) {
  std::string where(source);
  if (node.source().begin.line != 0) where += ":" + std::to_string(node.source().begin.line);
  return PlainError("invalid config " + where, "serve." + key + ": " + why);
}

// Every field, by its config key, as a pointer to the member (all unsigned integers).
using Field =
    std::variant<size_t SessionLimits::*, uint32_t SessionLimits::*, uint16_t SessionLimits::*>;
struct Key {
  const char* name;
  Field field;
};
constexpr Key kKeys[] = {
    {"max_sessions", &SessionLimits::max_sessions},
    {"max_sandboxes", &SessionLimits::max_sandboxes},
    {"max_output_bytes", &SessionLimits::max_output_bytes},
    {"max_call_output_bytes", &SessionLimits::default_max_call_output_bytes},
    {"exec_yield_ms", &SessionLimits::exec_yield_ms},
    {"write_stdin_yield_ms", &SessionLimits::write_stdin_yield_ms},
    {"min_yield_ms", &SessionLimits::min_yield_ms},
    {"max_yield_ms", &SessionLimits::max_yield_ms},
    {"max_stdin_queue_bytes", &SessionLimits::max_stdin_queue_bytes},
    {"handshake_timeout_ms", &SessionLimits::handshake_timeout_ms},
    {"drain_after_exit_ms", &SessionLimits::drain_after_exit_ms},
    {"default_rows", &SessionLimits::default_rows},
    {"default_cols", &SessionLimits::default_cols},
};

template <typename T>
Status Set(SessionLimits& limits, T SessionLimits::*field, std::string_view source,
           const toml::node& node, const std::string& key) {
  const auto* v = node.as_integer();
  if (v == nullptr) return Invalid(source, node, key, "must be an integer");
  const int64_t n = v->get();
  if (n < 0 || static_cast<uint64_t>(n) > std::numeric_limits<T>::max()) {
    return Invalid(source, node, key,
                   "must be between 0 and " + std::to_string(std::numeric_limits<T>::max()));
  }
  limits.*field = static_cast<T>(n);
  return OkStatus();
}

}  // namespace

Result<SessionLimits> SessionLimitsFromDocument(const toml::table* document,
                                                std::string_view source) {
  SessionLimits limits;
  if (document == nullptr) return limits;
  const toml::node* serve = document->get("serve");
  if (serve == nullptr) return limits;
  const auto* table = serve->as_table();
  if (table == nullptr) {
    return PlainError("invalid config " + std::string(source), "serve: must be a table");
  }
  for (const auto& [k, v] : *table) {
    const std::string key(k.str());
    const Key* found = nullptr;
    for (const Key& candidate : kKeys) {
      if (key == candidate.name) found = &candidate;
    }
    if (found == nullptr) return Invalid(source, v, key, "unknown key");
    Status st =
        std::visit([&](auto field) { return Set(limits, field, source, v, key); }, found->field);
    if (!st) return st.error();
  }
  if (Status st = limits.Validate(); !st) {
    return PlainError("invalid config " + std::string(source), "serve." + st.error().detail);
  }
  return limits;
}

}  // namespace cordon
