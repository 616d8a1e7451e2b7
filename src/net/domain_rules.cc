#include "net/domain_rules.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "net/ip_address.h"

namespace cordon {
namespace {

constexpr std::string_view kParseOp = "parse network domain rule";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A DNS name made of labels [a-z0-9_-]{1,63}, not starting or ending with '-'.
bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    const std::string_view label = name.substr(start, dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok) return false;
    }
    start = dot + 1;
  }
  return true;
}

// Second-level labels under which a country-code TLD sells names to the public ("co.uk").
constexpr std::array<std::string_view, 22> kPublicSecondLevels = {
    "co",  "com", "net", "org", "gov", "edu", "ac",  "or",  "ne",  "go",   "gob",
    "mil", "nic", "ltd", "plc", "sch", "gen", "web", "nom", "ind", "firm", "info"};

// Suffixes where anyone can own a subdomain: a wildcard over them allows strangers' servers.
constexpr std::array<std::string_view, 24> kSharedHostingSuffixes = {
    "github.io",         "gitlab.io",     "herokuapp.com",    "appspot.com",       "blogspot.com",
    "cloudfront.net",    "amazonaws.com", "s3.amazonaws.com", "azurewebsites.net", "cloudapp.net",
    "firebaseapp.com",   "web.app",       "netlify.app",      "vercel.app",        "pages.dev",
    "workers.dev",       "glitch.me",     "repl.co",          "ngrok.io",          "ngrok-free.app",
    "trycloudflare.com", "onrender.com",  "fly.dev",          "railway.app"};

// Why "*.<suffix>" is too broad, or "" if it is fine.
std::string OverBroadReason(std::string_view suffix) {
  const size_t dots = static_cast<size_t>(std::count(suffix.begin(), suffix.end(), '.'));
  if (dots == 0) return "a wildcard over a whole top-level domain is too broad";
  if (dots == 1) {
    const size_t dot = suffix.find('.');
    const std::string_view second = suffix.substr(0, dot);
    const std::string_view tld = suffix.substr(dot + 1);
    if (tld.size() == 2 && std::find(kPublicSecondLevels.begin(), kPublicSecondLevels.end(),
                                     second) != kPublicSecondLevels.end()) {
      return "a wildcard over the public suffix \"" + std::string(suffix) + "\" is too broad";
    }
  }
  if (std::find(kSharedHostingSuffixes.begin(), kSharedHostingSuffixes.end(), suffix) !=
      kSharedHostingSuffixes.end()) {
    return "anyone can own a subdomain of \"" + std::string(suffix) +
           "\"; allow the exact hosts you need";
  }
  return "";
}

Error RuleError(std::string_view pattern, std::string_view why) {
  return PlainError(std::string(kParseOp), "\"" + std::string(pattern) + "\": " + std::string(why));
}

bool ParsePort(std::string_view text, uint16_t* port) {
  if (text.empty() || text.size() > 5) return false;
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value == 0 || value > 65535) {
    return false;
  }
  *port = static_cast<uint16_t>(value);
  return true;
}

bool NameMatches(const DomainRule& rule, std::string_view host) {
  if (!rule.wildcard) return host == rule.host;
  // Subdomains only: "a.example.com" and "a.b.example.com" match "*.example.com".
  return host.size() > rule.host.size() + 1 && host.ends_with(rule.host) &&
         host[host.size() - rule.host.size() - 1] == '.';
}

}  // namespace

std::string NormalizeHost(std::string_view host) {
  if (const auto ip = IpAddress::Parse(host)) return ip->ToString();
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  std::string name = Lower(host);
  if (!IsValidName(name)) return "";
  return name;
}

Result<DomainRule> DomainRules::ParseRule(std::string_view pattern, RuleAction action) {
  DomainRule rule;
  rule.pattern = std::string(pattern);
  rule.action = action;
  std::string_view rest = pattern;
  if (rest.empty()) return RuleError(pattern, "empty pattern");

  // Split off ":port". IPv6 literals must be bracketed so their colons are not ports.
  std::string_view host_part = rest;
  if (rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return RuleError(pattern, "missing ']'");
    host_part = rest.substr(0, close + 1);
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':' || !ParsePort(after.substr(1), &rule.port)) {
        return RuleError(pattern, "expected \":port\" (1-65535) after ']'");
      }
    }
  } else {
    const size_t colon = rest.find(':');
    if (colon != std::string_view::npos) {
      if (rest.find(':', colon + 1) != std::string_view::npos) {
        return RuleError(pattern, "write IPv6 addresses in brackets, e.g. \"[2001:db8::1]:443\"");
      }
      if (!ParsePort(rest.substr(colon + 1), &rule.port)) {
        return RuleError(pattern, "the port must be a number from 1 to 65535");
      }
      host_part = rest.substr(0, colon);
    }
  }

  if (host_part == "*" || host_part == "*.") {
    return RuleError(pattern, "a wildcard over every host is too broad");
  }
  if (host_part.starts_with("*.")) {
    rule.wildcard = true;
    host_part.remove_prefix(2);
  }
  if (host_part.find('*') != std::string_view::npos) {
    return RuleError(pattern, "'*' is only allowed as a leading \"*.\"");
  }
  if (const auto ip = IpAddress::Parse(host_part)) {
    if (rule.wildcard) return RuleError(pattern, "a wildcard cannot cover an IP address");
    if (!ip->is_v4() && host_part.front() != '[') {
      return RuleError(pattern, "write IPv6 addresses in brackets, e.g. \"[2001:db8::1]\"");
    }
    rule.ip_literal = true;
    rule.host = ip->ToString();
    return rule;
  }
  if (!host_part.empty() && host_part.back() == '.') host_part.remove_suffix(1);
  rule.host = Lower(host_part);
  if (!IsValidName(rule.host)) {
    return RuleError(pattern, "not a valid host name (letters, digits, '-', '_' and dots)");
  }
  if (rule.wildcard) {
    const std::string why = OverBroadReason(rule.host);
    if (!why.empty()) return RuleError(pattern, why);
  }
  return rule;
}

Result<DomainRules> DomainRules::Parse(
    const std::vector<std::pair<std::string, std::string>>& entries) {
  DomainRules rules;
  for (const auto& [pattern, action_text] : entries) {
    const std::string action = Lower(action_text);
    RuleAction action_value;
    if (action == "allow") {
      action_value = RuleAction::kAllow;
    } else if (action == "deny") {
      action_value = RuleAction::kDeny;
    } else {
      return RuleError(pattern,
                       "the value must be \"allow\" or \"deny\", not \"" + action_text + "\"");
    }
    auto rule = ParseRule(pattern, action_value);
    if (!rule) return rule.error();
    rules.rules_.push_back(std::move(*rule));
  }
  return rules;
}

Verdict DomainRules::Decide(std::string_view raw_host, uint16_t port) const {
  const std::string host = NormalizeHost(raw_host);
  const auto ip = IpAddress::Parse(host);
  const std::string target =
      ip ? ip->ToString(port)
         : std::string(host.empty() ? raw_host : host) + ":" + std::to_string(port);
  if (host.empty()) return {false, target + " is not a valid host name"};

  const DomainRule* allow = nullptr;
  for (const DomainRule& rule : rules_) {
    if (rule.port != 0 && rule.port != port) continue;
    if (rule.ip_literal != ip.has_value()) continue;
    if (!NameMatches(rule, host)) continue;
    if (rule.action == RuleAction::kDeny) {
      return {false, target + " is denied by the rule \"" + rule.pattern + "\""};
    }
    if (allow == nullptr) allow = &rule;
  }
  if (allow != nullptr) return {true, ""};
  return {false, target + " is not in the allowed domains"};
}

}  // namespace cordon
