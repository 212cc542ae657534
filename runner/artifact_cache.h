// The runner's artifact cache: content-addressed bytes fetched from the broker, verified against
// their SHA-256 before they are kept, held in memory and optionally in a directory on disk (one
// file per hash) so a restarted runner does not fetch them again. Not thread-safe (owned by the
// runner's loop thread).
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "common/status.h"

namespace s1mple::runner {

class ArtifactCache {
 public:
  // `disk_dir` empty: memory only. The directory is created on first Put.
  explicit ArtifactCache(std::filesystem::path disk_dir = {});

  // Keeps `bytes` under `hash` after checking SHA-256(bytes) == hash (Corruption otherwise).
  Status Put(const std::string& hash, std::string bytes);
  // The bytes, from memory or disk (a disk file that fails its hash is removed); nullptr when
  // absent. The pointer stays valid until the cache is destroyed.
  const std::string* Get(const std::string& hash);
  bool Has(const std::string& hash) { return Get(hash) != nullptr; }
  size_t size() const { return memory_.size(); }
  uint64_t bytes() const { return bytes_; }

 private:
  std::filesystem::path disk_dir_;
  std::map<std::string, std::string> memory_;
  uint64_t bytes_ = 0;
};

}  // namespace s1mple::runner
