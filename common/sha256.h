// SHA-256 content addresses (artifacts are named by the hex digest of their bytes; plans are
// found again by the digest of their text). The project's one SHA-256: a thin wrapper over
// OpenSSL's EVP (linked privately by common), used by protocol, store, runner and producer.
#pragma once

#include <string>
#include <string_view>

namespace s1mple {

// The SHA-256 of `data` as 64 lower-case hex digits. Thread-safe. Throws std::runtime_error
// only if OpenSSL itself fails (allocation failure or a broken OpenSSL), a bug not an input
// error.
std::string Sha256Hex(std::string_view data);

// True when `hash` looks like a SHA-256 hex digest (64 lower-case hex digits).
bool IsSha256Hex(std::string_view hash);

}  // namespace s1mple
