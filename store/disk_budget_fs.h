// Internal to store/: a RocksDB FileSystem that stands in for a disk of limited size
// (Options::disk_budget). Every append to a file the store writes consumes the budget; an
// append that does not fit fails with NoSpace, as ENOSPC from a full disk would.
#pragma once

#include <rocksdb/file_system.h>

#include <memory>

#include "store/job_store.h"

namespace s1mple::store {

std::shared_ptr<rocksdb::FileSystem> NewDiskBudgetFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base, std::shared_ptr<DiskBudget> budget);

}  // namespace s1mple::store
