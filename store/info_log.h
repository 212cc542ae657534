// Internal to store/: RocksDB's info log (its LOG file) written by us instead of by RocksDB.
//
// Why: RocksDB's own logger writes LOG through a WritableFileWriter. When the disk is full, one
// failed LOG write marks that writer as failed, and the next log line (e.g. the warning RocksDB
// writes while closing after the failed write) trips the assertion
// `sync_without_flush_called_` in WritableFileWriter::AssertFalseAndGetStatusForPrevError(),
// which is compiled into Debian's librocksdb (built without NDEBUG): the whole process aborts
// instead of returning "No space left on device". This logger appends each line with one
// write(2) and ignores failures: on a full disk a log line is lost, nothing else happens.
#pragma once

#include <rocksdb/env.h>

#include <memory>
#include <string>

namespace s1mple::store {

struct InfoLogOptions {
  std::string path;  // the LOG file, appended to (created if missing)
  rocksdb::InfoLogLevel level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // When the file is larger than this on open it is renamed to `path`.old first (one old
  // generation kept). 0 = never rotate (read-only opens must not touch the writer's files).
  std::size_t rotate_bytes = 4 << 20;
};

// Never fails: a LOG that cannot be opened makes a logger that drops every line.
std::shared_ptr<rocksdb::Logger> NewInfoLog(const InfoLogOptions& options);

}  // namespace s1mple::store
