// The bounded cache of shared columns (engine/column_cache.h).
#include "engine/column_cache.h"

#include <utility>

namespace s1mple::engine {

const ColumnCache::Entry* ColumnCache::Find(std::string_view key) {
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second);  // iterators (and the key's storage) stay valid
  return &it->second->entry;
}

void ColumnCache::Erase(std::list<Node>::iterator it) {
  stats_.bytes -= it->bytes;
  index_.erase(it->key);
  lru_.erase(it);
  stats_.entries = lru_.size();
}

void ColumnCache::Insert(std::string key, Entry entry) {
  size_t bytes = 0;
  for (const auto& c : entry.columns) bytes += c ? c->size() * sizeof(double) : 0;
  if (auto it = index_.find(key); it != index_.end()) Erase(it->second);
  if (bytes > max_bytes_) return;
  while (stats_.bytes + bytes > max_bytes_ && !lru_.empty()) {
    Erase(std::prev(lru_.end()));
    ++stats_.evictions;
  }
  lru_.push_front(Node{std::move(key), std::move(entry), bytes});
  index_.emplace(lru_.front().key, lru_.begin());
  stats_.bytes += bytes;
  stats_.entries = lru_.size();
}

}  // namespace s1mple::engine
