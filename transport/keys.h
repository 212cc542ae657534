// CurveZMQ key material: key pairs in files, public keys, authorized-keys lists.
//
// Files (all text, Z85 = ZeroMQ's printable 40-character encoding of a 32-byte key):
//   NAME.key  the secret key, one line, mode 0600
//   NAME.pub  the public key, one line
//   authorized keys: one public key per line (Z85, or a path to a .pub file); '#' starts a
//                    comment, blank lines are ignored, text after the key is a label.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"

namespace s1mple::transport {

struct CurveKeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters
};

// A fresh key pair (zmq_curve_keypair). Fails only if libzmq lacks CURVE support.
Result<CurveKeyPair> GenerateKeyPair();

// Writes `<prefix>.key` (secret, mode 0600) and `<prefix>.pub`. Refuses to overwrite.
Status WriteKeyPair(const std::filesystem::path& prefix, const CurveKeyPair& pair);

// Reads a secret key file and derives its public key.
Result<CurveKeyPair> LoadKeyPair(const std::filesystem::path& secret_key_file);

// A public key given literally (40 Z85 characters) or as a path to a .pub file.
Result<std::string> LoadPublicKey(const std::string& key_or_path);

// Parses an authorized-keys file; names the file and line of a bad entry.
Result<std::vector<std::string>> LoadAuthorizedKeys(const std::filesystem::path& file);

// True when `key` is 40 characters of the Z85 alphabet that decode to 32 bytes.
bool IsZ85Key(const std::string& key);

}  // namespace s1mple::transport
