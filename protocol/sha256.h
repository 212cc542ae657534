// SHA-256 content addresses (artifacts are named by the hex digest of their bytes; plans are
// found again by the digest of their text). The project's one SHA-256: a thin wrapper over
// OpenSSL's EVP, used by protocol, store (which links protocol), runner and cli.
#pragma once

#include <string>
#include <string_view>

namespace s1mple::protocol {

// The SHA-256 of `data` as 64 lower-case hex digits. Thread-safe. Throws std::runtime_error
// only if OpenSSL itself fails (allocation failure or a broken OpenSSL), a bug not an input
// error. protocol::IsSha256Hex (protocol/codec.h) checks the format of a digest.
std::string Sha256Hex(std::string_view data);

}  // namespace s1mple::protocol
