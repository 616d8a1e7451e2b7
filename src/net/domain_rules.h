// Domain rules of the network policy: which host[:port] the proxy lets the sandbox reach.
//
//   domains = { "github.com" = "allow", "*.npmjs.org" = "allow", "evil.example" = "deny",
//               "api.example.com:8443" = "allow", "203.0.113.7" = "allow", "[2001:db8::1]:443" =
//               "allow" }
//
// - "name" matches that host exactly; "*.name" matches every subdomain of name at any depth, but
//   NOT name itself (write both "npmjs.org" and "*.npmjs.org" to allow both).
// - ":port" restricts the rule to that port; without it the rule covers every port.
// - A deny rule that matches wins over any allow rule; a host no rule matches is denied.
// - Case-insensitive; a trailing dot is ignored ("GitHub.com." is "github.com").
// - IP literals (IPv6 in brackets) match only the same literal; wildcards never match literals.
// - Over-broad patterns are config errors: "*", "*.com" (a single label after "*."), public
//   suffixes like "*.co.uk" and shared-hosting suffixes like "*.github.io" or "*.vercel.app",
//   where anyone can own a subdomain.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace cordon {

enum class RuleAction { kAllow, kDeny };

struct DomainRule {
  std::string pattern;    // as written in the config (for messages)
  std::string host;       // normalized: lower case, no trailing dot, no "*." prefix, no brackets
  bool wildcard = false;  // "*.host": subdomains of host
  bool ip_literal = false;
  uint16_t port = 0;  // 0: any port
  RuleAction action = RuleAction::kAllow;
};

struct Verdict {
  bool allowed = false;
  std::string reason;  // why it was refused, e.g. "evil.example:443 is not in the allowed domains"
};

class DomainRules {
 public:
  DomainRules() = default;  // no rules: everything is denied

  // Parses config entries (pattern, "allow"|"deny"). Errors name the offending pattern.
  static Result<DomainRules> Parse(const std::vector<std::pair<std::string, std::string>>& entries);
  // One pattern, e.g. for `--allow-domain D`.
  static Result<DomainRule> ParseRule(std::string_view pattern, RuleAction action);

  // `host` is a name or an IP literal (IPv6 with or without brackets), as the client sent it.
  Verdict Decide(std::string_view host, uint16_t port) const;

  const std::vector<DomainRule>& rules() const { return rules_; }
  void Add(DomainRule rule) { rules_.push_back(std::move(rule)); }

 private:
  std::vector<DomainRule> rules_;
};

// Lower-cases and strips one trailing dot and IPv6 brackets; IP literals become canonical text.
// Returns "" for a host that is neither a valid DNS name nor an IP literal.
std::string NormalizeHost(std::string_view host);

}  // namespace cordon
