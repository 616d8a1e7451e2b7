// The resolvers: overrides, the static resolver that never queries DNS, and the getaddrinfo
// worker pool (only for "localhost", which /etc/hosts answers without any DNS query).
#include "net/resolver.h"

#include <gtest/gtest.h>

#include <future>

namespace cordon {
namespace {

Result<std::vector<IpAddress>> ResolveNow(Resolver& r, const std::string& host) {
  std::promise<Result<std::vector<IpAddress>>> p;
  auto f = p.get_future();
  r.Resolve(host, [&p](Result<std::vector<IpAddress>> a) { p.set_value(std::move(a)); });
  EXPECT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  return f.get();
}

TEST(Resolver, StaticAnswersOverridesAndFailsEverythingElse) {
  ResolverOverrides o;
  ASSERT_TRUE(AddResolverOverride("Allowed.Test:127.0.0.1,[::1]", &o).ok());
  auto r = MakeStaticResolver(o);
  auto a = ResolveNow(*r, "allowed.test");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].ToString(), "127.0.0.1");
  EXPECT_EQ((*a)[1].ToString(), "::1");
  auto miss = ResolveNow(*r, "github.com");
  ASSERT_FALSE(miss.ok());
  EXPECT_EQ(miss.error().detail, "not in the resolver overrides");
}

TEST(Resolver, OverrideEntriesAreValidated) {
  ResolverOverrides o;
  EXPECT_FALSE(AddResolverOverride("nohost", &o).ok());
  EXPECT_FALSE(AddResolverOverride("a.test:", &o).ok());
  EXPECT_FALSE(AddResolverOverride("a.test:not-an-ip", &o).ok());
  EXPECT_FALSE(AddResolverOverride("1.2.3.4:5.6.7.8", &o).ok());
  EXPECT_TRUE(o.empty());
}

TEST(Resolver, SystemResolverUsesOverridesFirstAndGetaddrinfoOtherwise) {
  ResolverOverrides o;
  o["pinned.test"] = {IpAddress::V4(192, 0, 2, 1)};
  auto r = MakeSystemResolver(o, 2);
  auto pinned = ResolveNow(*r, "pinned.test");
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ((*pinned)[0].ToString(), "192.0.2.1");
  auto local = ResolveNow(*r, "localhost");
  ASSERT_TRUE(local.ok()) << local.error().ToString();
  bool loopback = false;
  for (const IpAddress& ip : *local)
    loopback |= ip.ToString() == "127.0.0.1" || ip.ToString() == "::1";
  EXPECT_TRUE(loopback);
}

TEST(Resolver, DestroyingWithQueuedLookupsDoesNotHang) {
  auto r = MakeSystemResolver({}, 1);
  for (int i = 0; i < 20; ++i) r->Resolve("localhost", [](Result<std::vector<IpAddress>>) {});
  r.reset();  // must return without waiting for the queue
  SUCCEED();
}

}  // namespace
}  // namespace cordon
