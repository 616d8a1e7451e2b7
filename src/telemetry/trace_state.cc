// tracestate parsing, serialization, nested member fields and upserts; rules in trace_state.h.
#include "telemetry/trace_state.h"

#include <algorithm>

namespace cordon {
namespace {

constexpr size_t kMaxValueLength = 256;

bool IsLcAlpha(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsKeyChar(char c) {
  return IsLcAlpha(c) || IsDigit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}
bool IsOws(char c) { return c == ' ' || c == '\t'; }

bool AllKeyChars(std::string_view s) { return std::all_of(s.begin(), s.end(), IsKeyChar); }

// Printable ASCII 0x20-0x7E: everything else (control characters, DEL, bytes of non-ASCII UTF-8)
// is unsafe in a header.
bool IsPrintableAscii(char c) { return c >= 0x20 && c <= 0x7e; }

Error Invalid(std::string detail) { return PlainError("parse tracestate", std::move(detail)); }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

// Quotes a piece of input for a message without letting control bytes through to a terminal.
std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 64)) {
    if (IsPrintableAscii(c)) {
      out.push_back(c);
    } else {
      static constexpr char kDigits[] = "0123456789abcdef";
      const auto u = static_cast<unsigned char>(c);
      out += "\\x";
      out.push_back(kDigits[u >> 4]);
      out.push_back(kDigits[u & 0xf]);
    }
  }
  if (s.size() > 64) out += "...";
  return out + "'";
}

}  // namespace

bool IsValidTraceStateKey(std::string_view key) {
  const size_t at = key.find('@');
  if (at == std::string_view::npos) {
    return !key.empty() && key.size() <= 256 && IsLcAlpha(key[0]) && AllKeyChars(key.substr(1));
  }
  const std::string_view tenant = key.substr(0, at);
  const std::string_view system = key.substr(at + 1);
  return !tenant.empty() && tenant.size() <= 241 && (IsLcAlpha(tenant[0]) || IsDigit(tenant[0])) &&
         AllKeyChars(tenant.substr(1)) && !system.empty() && system.size() <= 14 &&
         IsLcAlpha(system[0]) && AllKeyChars(system.substr(1));
}

bool IsValidTraceStateValue(std::string_view value) {
  if (value.empty() || value.size() > kMaxValueLength) return false;
  if (value.back() == ' ') return false;
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return IsPrintableAscii(c) && c != ',' && c != '='; });
}

Result<TraceState> TraceState::Parse(std::string_view header) {
  TraceState state;
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t comma = header.find(',', pos);
    if (comma == std::string_view::npos) comma = header.size();
    const std::string_view member = TrimOws(header.substr(pos, comma - pos));
    pos = comma + 1;
    if (member.empty()) continue;  // empty and whitespace-only members are allowed
    const size_t eq = member.find('=');
    if (eq == std::string_view::npos) return Invalid("member " + Quote(member) + " has no '='");
    const std::string_view key = member.substr(0, eq);
    const std::string_view value = member.substr(eq + 1);
    if (!IsValidTraceStateKey(key)) return Invalid("invalid member key " + Quote(key));
    if (!IsValidTraceStateValue(value)) {
      return Invalid("invalid value " + Quote(value) + " for member " + Quote(key));
    }
    if (state.Get(key) != nullptr) return Invalid("duplicate member key " + Quote(key));
    if (state.members_.size() == kMaxTraceStateMembers) {
      return Invalid("more than 32 members");
    }
    state.members_.push_back({std::string(key), std::string(value)});
  }
  return state;
}

std::string TraceState::Serialize() const {
  std::string out;
  for (const auto& m : members_) {
    if (!out.empty()) out.push_back(',');
    out += m.key;
    out.push_back('=');
    out += m.value;
  }
  return out;
}

const std::string* TraceState::Get(std::string_view key) const {
  for (const auto& m : members_) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

void TraceState::Upsert(std::string_view key, std::string_view value) {
  auto it = std::find_if(members_.begin(), members_.end(),
                         [&](const TraceStateMember& m) { return m.key == key; });
  if (it != members_.end()) members_.erase(it);
  members_.insert(members_.begin(), {std::string(key), std::string(value)});
  if (members_.size() > kMaxTraceStateMembers) members_.resize(kMaxTraceStateMembers);
}

Status ValidateTraceStateFieldKey(std::string_view key) {
  if (key.empty()) return PlainError("validate tracestate field", "field key is empty");
  for (char c : key) {
    if (!IsPrintableAscii(c)) {
      return PlainError("validate tracestate field",
                        "field key " + Quote(key) + " has a character that is unsafe in a header");
    }
    if (c == ',' || c == ';' || c == ':' || c == '=') {
      return PlainError("validate tracestate field",
                        "field key " + Quote(key) + " may not contain ',', ';', ':' or '='");
    }
  }
  if (key.front() == ' ' || key.back() == ' ') {
    return PlainError("validate tracestate field",
                      "field key " + Quote(key) + " has leading or trailing spaces");
  }
  return OkStatus();
}

Status ValidateTraceStateFieldValue(std::string_view value) {
  for (char c : value) {
    if (!IsPrintableAscii(c)) {
      return PlainError(
          "validate tracestate field",
          "field value " + Quote(value) + " has a character that is unsafe in a header");
    }
    if (c == ',' || c == ';' || c == '=') {
      return PlainError("validate tracestate field",
                        "field value " + Quote(value) + " may not contain ',', ';' or '='");
    }
  }
  if (!value.empty() && value.back() == ' ') {
    return PlainError("validate tracestate field",
                      "field value " + Quote(value) + " has a trailing space");
  }
  return OkStatus();
}

std::string FormatTraceStateFields(const TraceStateFields& fields) {
  std::string out;
  for (const auto& f : fields) {
    if (!out.empty()) out.push_back(';');
    out += f.key;
    out.push_back(':');
    out += f.value;
  }
  return out;
}

std::string UpsertTraceStateFields(std::string_view existing, const TraceStateFields& updates) {
  // Each part is kept as written; only parts whose key is updated are rewritten.
  std::vector<std::string> parts;
  std::vector<bool> applied(updates.size(), false);
  size_t pos = 0;
  while (!existing.empty() && pos <= existing.size()) {
    size_t semi = existing.find(';', pos);
    if (semi == std::string_view::npos) semi = existing.size();
    const std::string_view part = existing.substr(pos, semi - pos);
    pos = semi + 1;
    if (part.empty()) continue;
    const size_t colon = part.find(':');
    const std::string_view key = colon == std::string_view::npos ? part : part.substr(0, colon);
    std::string rewritten(part);
    for (size_t i = 0; i < updates.size(); ++i) {
      if (colon != std::string_view::npos && updates[i].key == key) {
        rewritten = updates[i].key + ":" + updates[i].value;
        applied[i] = true;
      }
    }
    parts.push_back(std::move(rewritten));
  }
  for (size_t i = 0; i < updates.size(); ++i) {
    if (!applied[i]) parts.push_back(updates[i].key + ":" + updates[i].value);
  }
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out.push_back(';');
    out += p;
  }
  return out;
}

void ApplyTraceStateConfig(const TraceStateConfig& config, TraceState& state) {
  for (const auto& [member, fields] : config) {
    const std::string* current = state.Get(member);
    std::string value = UpsertTraceStateFields(current ? *current : "", fields);
    if (!IsValidTraceStateValue(value)) value = FormatTraceStateFields(fields);
    state.Upsert(member, value);
  }
}

}  // namespace cordon
