// Parsing and validation of the [otel] table. Every error names the key as a dotted path under
// `otel` and the file:line toml++ recorded for the offending node.
#include "telemetry/otel_settings.h"

#include <algorithm>

namespace cordon {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  Error Fail(const toml::node& node, const std::string& key, const std::string& msg) const {
    std::string where(source_);
    const auto& src = node.source();
    if (src.begin.line != 0) where += ":" + std::to_string(src.begin.line);
    return PlainError("invalid config " + where, key + ": " + msg);
  }

  Result<std::string> String(const toml::node& node, const std::string& key) const {
    const auto* s = node.as_string();
    if (s == nullptr) return Fail(node, key, "must be a string");
    return s->get();
  }

  Status Environment(const toml::node& node, OtelSettings& out) const {
    auto s = String(node, "otel.environment");
    if (!s) return s.error();
    if (!HeaderSafe(*s)) {
      return Fail(node, "otel.environment", "must be printable ASCII without control characters");
    }
    out.environment = *s;
    return OkStatus();
  }

  Status TraceExporter(const toml::node& node, OtelSettings& out) const {
    const std::string key = "otel.trace_exporter";
    if (const auto* s = node.as_string()) {
      if (s->get() == "none") return OkStatus();
      if (s->get() == "otlp-http") {
        return Fail(node, key,
                    "'otlp-http' needs settings: { otlp-http = { endpoint = \"...\" } }");
      }
      return Fail(node, key,
                  "unknown exporter '" + s->get() +
                      "' (expected \"none\" or "
                      "{ otlp-http = { ... } })");
    }
    const auto* t = node.as_table();
    if (t == nullptr) return Fail(node, key, "must be \"none\" or { otlp-http = { ... } }");
    if (t->size() != 1) return Fail(node, key, "must name exactly one exporter");
    const auto first = t->begin();
    const std::string name(first->first.str());
    const toml::node& value = first->second;
    if (name != "otlp-http") {
      return Fail(value, key, "unknown exporter '" + name + "' (supported: otlp-http)");
    }
    return OtlpHttp(value, key + ".otlp-http", out);
  }

  Status OtlpHttp(const toml::node& node, const std::string& key, OtelSettings& out) const {
    const auto* t = node.as_table();
    if (t == nullptr) return Fail(node, key, "must be a table");
    OtlpHttpSettings http;
    bool has_endpoint = false;
    for (const auto& [k, v] : *t) {
      const std::string sub = key + "." + std::string(k.str());
      if (k == "endpoint") {
        auto s = String(v, sub);
        if (!s) return s.error();
        auto endpoint = ValidateEndpoint(*s);
        if (!endpoint) return Fail(v, sub, endpoint.error().detail);
        http.endpoint = *endpoint;
        has_endpoint = true;
      } else if (k == "headers") {
        const auto* ht = v.as_table();
        if (ht == nullptr) return Fail(v, sub, "must be a table of strings");
        for (const auto& [hk, hv] : *ht) {
          const std::string hkey = sub + "." + std::string(hk.str());
          if (!IsHeaderName(hk.str())) {
            return Fail(hv, hkey, "not a valid HTTP header name");
          }
          auto value = String(hv, hkey);
          if (!value) return value.error();
          if (!IsHeaderValue(*value)) {
            return Fail(hv, hkey,
                        "header value must be printable ASCII without line breaks, control "
                        "characters or surrounding spaces");
          }
          http.headers.emplace_back(std::string(hk.str()), *value);
        }
      } else if (k == "timeout_ms") {
        const auto* i = v.as_integer();
        if (i == nullptr || i->get() <= 0 || i->get() > 600000) {
          return Fail(v, sub, "must be an integer between 1 and 600000");
        }
        http.timeout = std::chrono::milliseconds(i->get());
      } else if (k == "protocol") {
        // Accepted for configs written for other OTLP clients; cordon speaks JSON only.
        auto s = String(v, sub);
        if (!s) return s.error();
        if (*s != "json") return Fail(v, sub, "only \"json\" is supported");
      } else {
        return Fail(v, sub, "unknown key");
      }
    }
    if (!has_endpoint) return Fail(node, key + ".endpoint", "is required");
    out.otlp_http = std::move(http);
    return OkStatus();
  }

  Status SpanAttributes(const toml::node& node, OtelSettings& out) const {
    const auto* t = node.as_table();
    if (t == nullptr) return Fail(node, "otel.span_attributes", "must be a table");
    for (const auto& [k, v] : *t) {
      const std::string key = "otel.span_attributes." + std::string(k.str());
      if (k.str().empty()) return Fail(v, key, "attribute key is empty");
      if (!HeaderSafe(k.str())) {
        return Fail(v, key, "attribute key must be printable ASCII");
      }
      if (const auto* s = v.as_string()) {
        SetAttribute(out.span_attributes, k.str(), s->get());
      } else if (const auto* i = v.as_integer()) {
        SetAttribute(out.span_attributes, k.str(), i->get());
      } else if (const auto* b = v.as_boolean()) {
        SetAttribute(out.span_attributes, k.str(), b->get());
      } else if (const auto* d = v.as_floating_point()) {
        SetAttribute(out.span_attributes, k.str(), d->get());
      } else {
        return Fail(v, key, "must be a string, integer, boolean or float");
      }
    }
    return OkStatus();
  }

  Status TraceState(const toml::node& node, OtelSettings& out) const {
    const auto* t = node.as_table();
    if (t == nullptr) return Fail(node, "otel.tracestate", "must be a table of members");
    if (t->size() > kMaxTraceStateMembers) {
      return Fail(node, "otel.tracestate", "more than 32 members");
    }
    for (const auto& [member, fields_node] : *t) {
      const std::string key = "otel.tracestate." + std::string(member.str());
      if (!IsValidTraceStateKey(member.str())) {
        return Fail(fields_node, key,
                    "invalid member key (W3C: [a-z][a-z0-9_-*/]{0,255} or tenant@system)");
      }
      const auto* ft = fields_node.as_table();
      if (ft == nullptr) return Fail(fields_node, key, "must be a table of fields");
      if (ft->empty()) return Fail(fields_node, key, "has no fields");
      TraceStateFields fields;
      for (const auto& [fk, fv] : *ft) {
        const std::string fkey = key + "." + std::string(fk.str());
        if (auto st = ValidateTraceStateFieldKey(fk.str()); !st) {
          return Fail(fv, fkey, st.error().detail);
        }
        auto value = String(fv, fkey);
        if (!value) return value.error();
        if (auto st = ValidateTraceStateFieldValue(*value); !st) {
          return Fail(fv, fkey, st.error().detail);
        }
        fields.push_back({std::string(fk.str()), *value});
      }
      if (!IsValidTraceStateValue(FormatTraceStateFields(fields))) {
        return Fail(fields_node, key,
                    "the member value '" + FormatTraceStateFields(fields) +
                        "' is not a valid tracestate value (at most 256 "
                        "characters)");
      }
      out.tracestate.emplace_back(std::string(member.str()), std::move(fields));
    }
    return OkStatus();
  }

 private:
  static bool HeaderSafe(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
  }

  // RFC 9110 token characters.
  static bool IsHeaderName(std::string_view s) {
    if (s.empty()) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
  }

  static bool IsHeaderValue(std::string_view s) {
    if (!HeaderSafe(s)) return false;
    return s.empty() || (s.front() != ' ' && s.back() != ' ');
  }

  // http(s)://host[:port][/path]; an empty path becomes "/" (the OTLP rule for signal-specific
  // endpoints: used as is, except that a URL without a path gets the root path).
  static Result<std::string> ValidateEndpoint(const std::string& url) {
    if (!HeaderSafe(url) || url.find(' ') != std::string::npos) {
      return PlainError("endpoint", "must be a URL without spaces or control characters");
    }
    size_t rest;
    if (url.rfind("http://", 0) == 0) {
      rest = 7;
    } else if (url.rfind("https://", 0) == 0) {
      rest = 8;
    } else {
      return PlainError("endpoint", "must start with http:// or https://");
    }
    const size_t slash = url.find('/', rest);
    const std::string authority =
        url.substr(rest, slash == std::string::npos ? slash : slash - rest);
    if (authority.empty() || authority[0] == ':') {
      return PlainError("endpoint", "has no host");
    }
    if (authority.find('@') != std::string::npos) {
      return PlainError("endpoint", "may not carry credentials; use headers");
    }
    return slash == std::string::npos ? url + "/" : url;
  }

  std::string_view source_;
};

}  // namespace

Result<OtelSettings> ParseOtelSettings(const toml::table& otel_table, std::string_view source) {
  Parser p(source);
  OtelSettings out;
  for (const auto& [k, v] : otel_table) {
    Status st = OkStatus();
    if (k == "environment") {
      st = p.Environment(v, out);
    } else if (k == "trace_exporter") {
      st = p.TraceExporter(v, out);
    } else if (k == "span_attributes") {
      st = p.SpanAttributes(v, out);
    } else if (k == "tracestate") {
      st = p.TraceState(v, out);
    } else {
      st = p.Fail(v, "otel." + std::string(k.str()), "unknown key");
    }
    if (!st) return st.error();
  }
  return out;
}

Result<OtelSettings> OtelSettingsFromDocument(const toml::table* document,
                                              std::string_view source) {
  if (document == nullptr) return OtelSettings{};
  const toml::node* otel = document->get("otel");
  if (otel == nullptr) return OtelSettings{};
  const auto* t = otel->as_table();
  if (t == nullptr) return Parser(source).Fail(*otel, "otel", "must be a table");
  return ParseOtelSettings(*t, source);
}

}  // namespace cordon
