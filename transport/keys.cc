#include "transport/keys.h"

#include <sys/stat.h>
#include <zmq.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace s1mple::transport {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

Result<std::string> ReadFirstLine(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return Status::NotFound(file.string() + ": cannot open");
  std::string line;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (!line.empty() && line[0] != '#') return line;
  }
  return Status::InvalidArgument(file.string() + ": no key in file");
}

Status WriteFile(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  std::string p = path.string();
  FILE* f = std::fopen(p.c_str(), "wx");  // x: fail if it exists
  if (!f) return Status::IOError(p + ": cannot create (exists already, or no permission)");
  ::chmod(p.c_str(), mode);
  bool ok = std::fputs(text.c_str(), f) >= 0;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) return Status::IOError(p + ": write failed");
  return Status::Ok();
}

}  // namespace

bool IsZ85Key(const std::string& key) {
  if (key.size() != 40) return false;
  std::array<uint8_t, 32> raw{};
  return zmq_z85_decode(raw.data(), key.c_str()) != nullptr;
}

Result<CurveKeyPair> GenerateKeyPair() {
  std::array<char, 41> pub{};
  std::array<char, 41> sec{};
  if (zmq_curve_keypair(pub.data(), sec.data()) != 0) {
    return Status::Internal(std::string("zmq_curve_keypair: ") + zmq_strerror(zmq_errno()));
  }
  return CurveKeyPair{pub.data(), sec.data()};
}

Status WriteKeyPair(const std::filesystem::path& prefix, const CurveKeyPair& pair) {
  std::filesystem::path key = prefix.string() + ".key";
  std::filesystem::path pub = prefix.string() + ".pub";
  if (std::filesystem::exists(key))
    return Status::AlreadyExists(key.string() + " exists; not overwritten");
  if (std::filesystem::exists(pub))
    return Status::AlreadyExists(pub.string() + " exists; not overwritten");
  S1MPLE_RETURN_IF_ERROR(WriteFile(key, pair.secret_key + "\n", 0600));
  return WriteFile(pub, pair.public_key + "\n", 0644);
}

Result<CurveKeyPair> LoadKeyPair(const std::filesystem::path& secret_key_file) {
  auto line = ReadFirstLine(secret_key_file);
  if (!line.ok()) return line.status();
  if (!IsZ85Key(*line)) {
    return Status::InvalidArgument(secret_key_file.string() +
                                   ": not a 40-character Z85 secret key");
  }
  std::array<char, 41> pub{};
  if (zmq_curve_public(pub.data(), line->c_str()) != 0) {
    return Status::InvalidArgument(secret_key_file.string() + ": cannot derive the public key");
  }
  return CurveKeyPair{pub.data(), *line};
}

Result<std::string> LoadPublicKey(const std::string& key_or_path) {
  if (IsZ85Key(key_or_path)) return key_or_path;
  auto line = ReadFirstLine(key_or_path);
  if (!line.ok()) {
    return Status::InvalidArgument("'" + key_or_path +
                                   "' is neither a Z85 public key nor a readable file");
  }
  std::string key = line->substr(0, line->find_first_of(" \t"));
  if (!IsZ85Key(key))
    return Status::InvalidArgument(key_or_path + ": not a 40-character Z85 public key");
  return key;
}

Result<std::vector<std::string>> LoadAuthorizedKeys(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return Status::NotFound(file.string() + ": cannot open authorized keys file");
  std::vector<std::string> keys;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    std::string entry = line.substr(0, line.find_first_of(" \t"));
    auto key = LoadPublicKey(entry);
    if (!key.ok()) {
      return Status::InvalidArgument(file.string() + ":" + std::to_string(n) + ": " +
                                     key.status().message());
    }
    keys.push_back(*key);
  }
  return keys;
}

}  // namespace s1mple::transport
