// Parsing and matching of the network domain rules, including the over-broad patterns that must
// be refused as config errors.
#include "net/domain_rules.h"

#include <gtest/gtest.h>

namespace cordon {
namespace {

DomainRules MustParse(const std::vector<std::pair<std::string, std::string>>& entries) {
  auto rules = DomainRules::Parse(entries);
  EXPECT_TRUE(rules.ok()) << (rules.ok() ? "" : rules.error().ToString());
  return rules.ok() ? *rules : DomainRules();
}

std::string ParseError(const std::string& pattern) {
  auto rules = DomainRules::Parse({{pattern, "allow"}});
  if (rules.ok()) return "<parsed>";
  return rules.error().ToString();
}

TEST(DomainRules, ExampleFromTheIssue) {
  const DomainRules rules = MustParse({{"github.com", "allow"},
                                       {"*.npmjs.org", "allow"},
                                       {"evil.example", "deny"},
                                       {"api.example.com:8443", "allow"}});
  EXPECT_TRUE(rules.Decide("github.com", 443).allowed);
  EXPECT_TRUE(rules.Decide("github.com", 22).allowed);
  EXPECT_FALSE(rules.Decide("api.github.com", 443).allowed);
  EXPECT_TRUE(rules.Decide("registry.npmjs.org", 443).allowed);
  EXPECT_TRUE(rules.Decide("a.b.npmjs.org", 443).allowed);
  EXPECT_FALSE(rules.Decide("npmjs.org", 443).allowed);  // the apex is not a subdomain
  EXPECT_FALSE(rules.Decide("evilnpmjs.org", 443).allowed);
  EXPECT_TRUE(rules.Decide("api.example.com", 8443).allowed);
  EXPECT_FALSE(rules.Decide("api.example.com", 443).allowed);

  const Verdict denied = rules.Decide("evil.example", 443);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.reason, "evil.example:443 is denied by the rule \"evil.example\"");
  const Verdict unknown = rules.Decide("other.example", 80);
  EXPECT_FALSE(unknown.allowed);
  EXPECT_EQ(unknown.reason, "other.example:80 is not in the allowed domains");
}

TEST(DomainRules, DenyWinsOverAllowInAnyOrder) {
  for (bool deny_first : {false, true}) {
    std::vector<std::pair<std::string, std::string>> entries = {{"*.example.com", "allow"},
                                                                {"bad.example.com", "deny"}};
    if (deny_first) std::swap(entries[0], entries[1]);
    const DomainRules rules = MustParse(entries);
    EXPECT_FALSE(rules.Decide("bad.example.com", 443).allowed);
    EXPECT_TRUE(rules.Decide("good.example.com", 443).allowed);
  }
  const DomainRules port_deny = MustParse({{"x.test", "allow"}, {"x.test:25", "deny"}});
  EXPECT_TRUE(port_deny.Decide("x.test", 443).allowed);
  EXPECT_FALSE(port_deny.Decide("x.test", 25).allowed);
}

TEST(DomainRules, NoRulesDeniesEverything) {
  const DomainRules none;
  EXPECT_FALSE(none.Decide("github.com", 443).allowed);
  EXPECT_FALSE(none.Decide("1.2.3.4", 443).allowed);
}

TEST(DomainRules, CaseAndTrailingDotAreIgnored) {
  const DomainRules rules = MustParse({{"GitHub.COM.", "allow"}, {"*.Example.Org", "allow"}});
  EXPECT_TRUE(rules.Decide("github.com", 443).allowed);
  EXPECT_TRUE(rules.Decide("GITHUB.com.", 443).allowed);
  EXPECT_TRUE(rules.Decide("WWW.example.org.", 443).allowed);
  EXPECT_EQ(rules.rules()[0].host, "github.com");
}

TEST(DomainRules, IpLiteralsMatchOnlyLiterals) {
  const DomainRules rules =
      MustParse({{"203.0.113.7", "allow"}, {"[2001:DB8::1]:443", "allow"}, {"*.x.test", "allow"}});
  EXPECT_TRUE(rules.Decide("203.0.113.7", 80).allowed);
  EXPECT_FALSE(rules.Decide("203.0.113.8", 80).allowed);
  EXPECT_TRUE(rules.Decide("2001:db8::1", 443).allowed);
  EXPECT_TRUE(rules.Decide("[2001:db8:0::1]", 443).allowed);
  EXPECT_FALSE(rules.Decide("2001:db8::1", 80).allowed);
  EXPECT_EQ(rules.Decide("2001:db8::2", 80).reason,
            "[2001:db8::2]:80 is not in the allowed domains");
  EXPECT_TRUE(rules.Decide("a.x.test", 1).allowed);
}

TEST(DomainRules, InvalidRequestHostsAreDenied) {
  const DomainRules rules = MustParse({{"*.example.com", "allow"}});
  EXPECT_FALSE(rules.Decide("a b.example.com", 80).allowed);
  EXPECT_FALSE(rules.Decide("", 80).allowed);
  EXPECT_FALSE(rules.Decide("a..example.com", 80).allowed);
}

TEST(DomainRules, OverBroadPatternsAreErrorsNamingThePattern) {
  for (const char* pattern : {"*", "*.", "*.com", "*.org:443", "*.co.uk", "*.com.au", "*.ac.jp",
                              "*.github.io", "*.vercel.app", "*.s3.amazonaws.com"}) {
    const std::string error = ParseError(pattern);
    EXPECT_NE(error, "<parsed>") << pattern;
    EXPECT_NE(error.find(std::string("\"") + pattern + "\""), std::string::npos) << error;
  }
  EXPECT_EQ(ParseError("*"),
            "parse network domain rule: \"*\": a wildcard over every host is too broad");
  EXPECT_EQ(ParseError("*.com"),
            "parse network domain rule: \"*.com\": a wildcard over a whole top-level domain is "
            "too broad");
  // Narrow enough: two labels that are not a public suffix.
  EXPECT_EQ(ParseError("*.npmjs.org"), "<parsed>");
  EXPECT_EQ(ParseError("*.example.co.uk"), "<parsed>");
  EXPECT_EQ(ParseError("*.user.github.io"), "<parsed>");
}

TEST(DomainRules, MalformedPatternsAreErrors) {
  for (const char* pattern :
       {"", "a.*.com", "*example.com", "ex ample.com", "example.com:0", "example.com:65536",
        "example.com:http", "2001:db8::1", "[2001:db8::1", "*.1.2.3.4", "-bad.com", "a..b"}) {
    EXPECT_NE(ParseError(pattern), "<parsed>") << pattern;
  }
  auto bad_action = DomainRules::Parse({{"github.com", "permit"}});
  ASSERT_FALSE(bad_action.ok());
  EXPECT_NE(bad_action.error().ToString().find("\"allow\" or \"deny\""), std::string::npos);
}

TEST(NormalizeHost, CanonicalizesNamesAndLiterals) {
  EXPECT_EQ(NormalizeHost("Example.COM."), "example.com");
  EXPECT_EQ(NormalizeHost("[::FFFF:127.0.0.1]"), "::ffff:127.0.0.1");
  EXPECT_EQ(NormalizeHost("bad host"), "");
}

}  // namespace
}  // namespace cordon
