#include "store/clock.h"

#include <chrono>

namespace s1mple::store {

UnixMillis SystemClock::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace s1mple::store
