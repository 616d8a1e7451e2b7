// Attribute helpers, the clock and the id generator for spans.
#include "telemetry/span.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <random>

namespace cordon {

void SetAttribute(Attributes& attributes, std::string_view key, AttributeValue value) {
  for (auto& a : attributes) {
    if (a.key == key) {
      a.value = std::move(value);
      return;
    }
  }
  attributes.push_back({std::string(key), std::move(value)});
}

const AttributeValue* FindAttribute(const Attributes& attributes, std::string_view key) {
  for (const auto& a : attributes) {
    if (a.key == key) return &a.value;
  }
  return nullptr;
}

uint64_t UnixNanosNow() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

void IdGenerator::Fill(uint8_t* out, size_t len) {
  if (used_ + len > sizeof(pool_)) {
    size_t got = 0;
    while (got < sizeof(pool_)) {
      const ssize_t n = getrandom(pool_ + got, sizeof(pool_) - got, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    if (got < sizeof(pool_)) {
      // getrandom cannot fail on a kernel cordon supports; if it does, ids still must differ.
      std::random_device rd;
      for (size_t i = got; i < sizeof(pool_); ++i) pool_[i] = static_cast<uint8_t>(rd());
    }
    used_ = 0;
  }
  std::memcpy(out, pool_ + used_, len);
  used_ += len;
}

TraceId IdGenerator::NewTraceId() {
  TraceId id;
  do {
    Fill(id.bytes.data(), id.bytes.size());
  } while (!id.IsValid());
  return id;
}

SpanId IdGenerator::NewSpanId() {
  SpanId id;
  do {
    Fill(id.bytes.data(), id.bytes.size());
  } while (!id.IsValid());
  return id;
}

}  // namespace cordon
