#include "net/resolver.h"

#include <netdb.h>
#include <stdlib.h>

#include <climits>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "net/domain_rules.h"

namespace cordon {
namespace {

Result<std::vector<IpAddress>> LookUp(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (rc != 0) {
    if (rc == EAI_SYSTEM) return ErrnoError("resolve " + host);
    return PlainError("resolve " + host, gai_strerror(rc));
  }
  std::vector<IpAddress> out;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    auto ip = IpAddress::FromSockaddr(ai->ai_addr, ai->ai_addrlen);
    if (ip && std::find(out.begin(), out.end(), *ip) == out.end()) out.push_back(*ip);
  }
  freeaddrinfo(list);
  if (out.empty()) return PlainError("resolve " + host, "no address");
  return out;
}

// Shared between the resolver object and its workers, so detached workers stay valid.
struct PoolState {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<std::string, ResolveCallback>> queue;
  bool stopping = false;
};

void Worker(std::shared_ptr<PoolState> state) {
  for (;;) {
    std::pair<std::string, ResolveCallback> job;
    {
      std::unique_lock lock(state->mu);
      state->cv.wait(lock, [&] { return state->stopping || !state->queue.empty(); });
      if (state->stopping) return;
      job = std::move(state->queue.front());
      state->queue.pop_front();
    }
    job.second(LookUp(job.first));
  }
}

class SystemResolver : public Resolver {
 public:
  SystemResolver(ResolverOverrides overrides, size_t threads, bool static_only)
      : overrides_(std::move(overrides)), static_only_(static_only) {
    if (static_only_) return;
    state_ = std::make_shared<PoolState>();
    for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i) {
      std::thread(Worker, state_).detach();
    }
  }
  ~SystemResolver() override {
    if (!state_) return;
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
    state_->queue.clear();
    state_->cv.notify_all();
  }

  void Resolve(const std::string& host, ResolveCallback done) override {
    if (const auto it = overrides_.find(host); it != overrides_.end() && !it->second.empty()) {
      done(it->second);
      return;
    }
    if (static_only_) {
      done(PlainError("resolve " + host, "not in the resolver overrides"));
      return;
    }
    std::lock_guard lock(state_->mu);
    state_->queue.emplace_back(host, std::move(done));
    state_->cv.notify_one();
  }

 private:
  ResolverOverrides overrides_;
  bool static_only_;
  std::shared_ptr<PoolState> state_;
};

}  // namespace

std::vector<std::string> SystemResolverFiles() {
  std::vector<std::string> files = {
      "/etc/nsswitch.conf",
      "/etc/host.conf",
      "/etc/hosts",
      "/etc/resolv.conf",
      "/etc/gai.conf",
      "/etc/services",
      "/etc/protocols",
      "/etc/ld.so.cache",
      "/lib",
      "/lib64",
      "/usr/lib",
      "/usr/lib64",
  };
  char target[PATH_MAX];
  if (::realpath("/etc/resolv.conf", target) != nullptr) files.emplace_back(target);
  return files;
}

std::unique_ptr<Resolver> MakeSystemResolver(ResolverOverrides overrides, size_t threads) {
  return std::make_unique<SystemResolver>(std::move(overrides), threads, false);
}

std::unique_ptr<Resolver> MakeStaticResolver(ResolverOverrides overrides) {
  return std::make_unique<SystemResolver>(std::move(overrides), 0, true);
}

Status AddResolverOverride(std::string_view entry, ResolverOverrides* overrides) {
  const std::string op = "parse resolver override \"" + std::string(entry) + "\"";
  const size_t colon = entry.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return PlainError(op, "expected host:address[,address...]");
  }
  const std::string host = NormalizeHost(entry.substr(0, colon));
  if (host.empty() || IpAddress::Parse(host)) return PlainError(op, "not a valid host name");
  std::vector<IpAddress> addresses;
  std::string_view rest = entry.substr(colon + 1);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const auto ip = IpAddress::Parse(item);
    if (!ip) return PlainError(op, "\"" + std::string(item) + "\" is not an IP address");
    addresses.push_back(*ip);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (addresses.empty()) return PlainError(op, "no address given");
  (*overrides)[host] = std::move(addresses);
  return OkStatus();
}

}  // namespace cordon
