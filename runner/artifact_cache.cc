#include "runner/artifact_cache.h"

#include <fstream>
#include <sstream>

#include "common/atomic_file.h"
#include "common/sha256.h"

namespace s1mple::runner {

ArtifactCache::ArtifactCache(std::filesystem::path disk_dir) : disk_dir_(std::move(disk_dir)) {}

Status ArtifactCache::Put(const std::string& hash, std::string bytes) {
  if (!IsSha256Hex(hash))
    return Status::InvalidArgument("artifact hash '" + hash + "' is malformed");
  std::string actual = Sha256Hex(bytes);
  if (actual != hash) {
    return Status::Corruption("artifact " + hash + ": received bytes hash to " + actual);
  }
  if (!disk_dir_.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(disk_dir_, ec);
    // Best effort: memory still has it, and a damaged file is refused by its hash on Get.
    (void)WriteFileAtomically(disk_dir_ / hash, bytes);
  }
  bytes_ += bytes.size();
  memory_[hash] = std::move(bytes);
  return Status::Ok();
}

const std::string* ArtifactCache::Get(const std::string& hash) {
  auto it = memory_.find(hash);
  if (it != memory_.end()) return &it->second;
  if (disk_dir_.empty() || !IsSha256Hex(hash)) return nullptr;
  auto path = disk_dir_ / hash;
  std::ifstream f(path, std::ios::binary);
  if (!f) return nullptr;
  std::stringstream ss;
  ss << f.rdbuf();
  std::string bytes = ss.str();
  if (Sha256Hex(bytes) != hash) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    return nullptr;
  }
  bytes_ += bytes.size();
  return &(memory_[hash] = std::move(bytes));
}

}  // namespace s1mple::runner
