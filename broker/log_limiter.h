// LogLimiter: at most one log line per distinct message key per window, so a fault that repeats
// every loop iteration (a full disk makes every store write fail) cannot flood the log. The
// line that is let through after a quiet-down says how many like it were suppressed.
//
// Not thread-safe: owned by one loop (BrokerCore). Memory is bounded: keys idle for a whole
// window are forgotten once there are more than `max_keys`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace s1mple::broker {

class LogLimiter {
 public:
  explicit LogLimiter(int64_t window_ms = 10000, size_t max_keys = 1024)
      : window_ms_(window_ms), max_keys_(max_keys) {}

  // True when a line with `key` may be logged at `now_ms`; then *suppressed is the number of
  // lines with that key dropped since the last one logged. False: drop this one (counted).
  bool Allow(const std::string& key, int64_t now_ms, uint64_t* suppressed);

 private:
  struct Entry {
    int64_t last_logged_ms = 0;
    uint64_t suppressed = 0;
  };
  int64_t window_ms_;
  size_t max_keys_;
  std::map<std::string, Entry> entries_;
};

}  // namespace s1mple::broker
