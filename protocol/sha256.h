// SHA-256 content addresses (artifacts are named by the hex digest of their bytes).
#pragma once

#include <string>
#include <string_view>

namespace s1mple::protocol {

// The SHA-256 of `data` as 64 lower-case hex digits. Thread-safe.
std::string Sha256Hex(std::string_view data);

}  // namespace s1mple::protocol
