// W3C Trace Context `tracestate` (https://www.w3.org/TR/trace-context/#tracestate-header):
// an ordered list of at most 32 `key=value` members, and cordon's view of a member value as
// nested fields `k:v;k2:v2` (the shape Datadog's `dd` member uses), so that configured fields can
// be upserted while the other fields and members a caller propagated are kept.
//
// cordon is stricter than some SDKs on purpose: a header with any invalid member, a duplicate key
// or more than 32 members is rejected as a whole (never partly passed on), and nothing that is
// unsafe in a header (control characters, CR/LF, non-ASCII) ever gets through.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace cordon {

inline constexpr size_t kMaxTraceStateMembers = 32;

// key = simple-key / multi-tenant-key (W3C):
//   simple-key       = lcalpha 0*255( lcalpha / DIGIT / "_" / "-" / "*" / "/" )
//   multi-tenant-key = tenant-id "@" system-id
//   tenant-id        = ( lcalpha / DIGIT ) 0*240( lcalpha / DIGIT / "_" / "-" / "*" / "/" )
//   system-id        = lcalpha 0*13( lcalpha / DIGIT / "_" / "-" / "*" / "/" )
bool IsValidTraceStateKey(std::string_view key);
// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-7E except "," and "=".
bool IsValidTraceStateValue(std::string_view value);

struct TraceStateMember {
  std::string key;
  std::string value;
  bool operator==(const TraceStateMember&) const = default;
};

class TraceState {
 public:
  TraceState() = default;

  // Parses a whole header. Optional whitespace (SP, HTAB) around members and empty members are
  // allowed, as W3C says; anything else invalid rejects the whole header, with a reason.
  static Result<TraceState> Parse(std::string_view header);

  // "k1=v1,k2=v2" in list order; "" for an empty list.
  std::string Serialize() const;

  const std::vector<TraceStateMember>& members() const { return members_; }
  bool empty() const { return members_.empty(); }
  // The value of `key`, or nullptr.
  const std::string* Get(std::string_view key) const;

  // Sets `key` to `value` and moves it to the front (W3C: a modified member moves to the left);
  // then drops members from the end beyond 32. The caller has validated key and value.
  void Upsert(std::string_view key, std::string_view value);

 private:
  std::vector<TraceStateMember> members_;
};

// One nested field of a member value: `key:value`.
struct TraceStateField {
  std::string key;
  std::string value;
  bool operator==(const TraceStateField&) const = default;
};
using TraceStateFields = std::vector<TraceStateField>;

// Field rules (checked on config, before anything is installed): a key is non-empty, has no
// `,;:=`, no spaces at either end; a value has no `,;=`, and no trailing space; both are printable
// ASCII only (no control characters, CR/LF or non-ASCII). The error names what is wrong.
Status ValidateTraceStateFieldKey(std::string_view key);
Status ValidateTraceStateFieldValue(std::string_view value);

// "k:v;k2:v2" (no validation).
std::string FormatTraceStateFields(const TraceStateFields& fields);

// Merges `updates` into an existing member value read as fields: a field with the same key gets
// the new value in place, new fields are appended, and every other part of `existing` (including
// parts without ':') is kept verbatim. Returns the new member value.
std::string UpsertTraceStateFields(std::string_view existing, const TraceStateFields& updates);

// The configured tracestate: members in the order they are applied, each with its fields.
using TraceStateConfig = std::vector<std::pair<std::string, TraceStateFields>>;

// Applies every configured member to `state`: fields are upserted into the member's current
// value (kept when it is there), the member moves to the front, and the list keeps at most 32
// members. If a merged value would not be a valid W3C value (too long), the configured fields
// alone are used. `config` must have passed settings validation.
void ApplyTraceStateConfig(const TraceStateConfig& config, TraceState& state);

}  // namespace cordon
