// Option checks shared by the daemons' Validate functions (broker::Validate, runner::Validate):
// one message shape for a flag whose value the daemon cannot work with.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace s1mple {

// InvalidArgument "--flag VALUE: must be at least MIN (WHY)" when value < min, else Ok.
[[nodiscard]] inline Status FlagAtLeast(const char* flag, int64_t value, int64_t min,
                                        const char* why) {
  if (value >= min) return Status::Ok();
  return Status::InvalidArgument(std::string(flag) + " " + std::to_string(value) +
                                 ": must be at least " + std::to_string(min) + " (" + why + ")");
}

}  // namespace s1mple
