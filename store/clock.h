// Clock: where the store (and the broker) read the time, so tests can jump it.
#pragma once

#include <atomic>
#include <cstdint>

namespace s1mple::store {

// Milliseconds since the Unix epoch (wall clock). Lease deadlines and creation times use it.
using UnixMillis = std::int64_t;

// The source of "now". Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixMillis NowMs() const = 0;
};

// The real wall clock (std::chrono::system_clock).
class SystemClock final : public Clock {
 public:
  UnixMillis NowMs() const override;
};

// A clock that only moves when told to: for tests that let leases expire without sleeping.
// Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixMillis start = 1'700'000'000'000) : now_(start) {}
  UnixMillis NowMs() const override { return now_.load(); }
  void Set(UnixMillis t) { now_.store(t); }
  void Advance(UnixMillis delta_ms) { now_.fetch_add(delta_ms); }

 private:
  std::atomic<UnixMillis> now_;
};

}  // namespace s1mple::store
