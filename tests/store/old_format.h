// Test helper: turns a closed store into what a build before result summaries wrote (the same
// keys and values without the summaries beside the results), with RocksDB itself; and plants a
// summary without its result (a broken store, for Recount). Tests that use it link RocksDB.
#pragma once

#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/store_impl.h"

namespace s1mple::store::testing {

// Runs fn(db, results column family) on the closed store in `dir`.
template <typename Fn>
void WithRawResults(const std::string& dir, Fn fn) {
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* name : kCfNames) cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status st = rocksdb::DB::Open(rocksdb::DBOptions(), dir, cfs, &handles, &raw);
  ASSERT_TRUE(st.ok()) << st.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  fn(*db, handles[kResults]);
  for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  ASSERT_TRUE(db->Close().ok());
}

// Deletes every result summary (keys starting with codec::kSummaryTag); returns how many.
inline size_t DropResultSummaries(const std::string& dir) {
  size_t n = 0;
  WithRawResults(dir, [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), cf));
    rocksdb::WriteBatch batch;
    for (it->SeekToFirst(); it->Valid() && it->key()[0] == codec::kSummaryTag; it->Next()) {
      batch.Delete(cf, it->key());
      ++n;
    }
    ASSERT_TRUE(it->status().ok());
    ASSERT_TRUE(db.Write(rocksdb::WriteOptions(), &batch).ok());
  });
  return n;
}

}  // namespace s1mple::store::testing
