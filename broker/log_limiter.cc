#include "broker/log_limiter.h"

namespace s1mple::broker {

bool LogLimiter::Allow(const std::string& key, int64_t now_ms, uint64_t* suppressed) {
  auto it = entries_.find(key);
  if (it != entries_.end() && now_ms - it->second.last_logged_ms < window_ms_) {
    it->second.suppressed++;
    return false;
  }
  if (it == entries_.end()) {
    if (entries_.size() >= max_keys_) {
      for (auto e = entries_.begin(); e != entries_.end();) {
        e = now_ms - e->second.last_logged_ms >= window_ms_ ? entries_.erase(e) : std::next(e);
      }
    }
    it = entries_.emplace(key, Entry{}).first;
  }
  *suppressed = it->second.suppressed;
  it->second = Entry{now_ms, 0};
  return true;
}

}  // namespace s1mple::broker
