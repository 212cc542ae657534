// Atomic file writes (leveldb's WriteStringToFile, with the rename): a reader sees either the
// file as it was or the complete new one, never half of it, and once Commit() returns the new
// file survives a crash or a power cut.
//
// How: the bytes go to PATH.tmp; Commit() flushes and fsyncs it, renames it over PATH and
// fsyncs the directory. A writer destroyed without a successful Commit() removes PATH.tmp, so a
// failed write (a full disk) leaves the previous file, if any, in place and nothing beside it.
//
// Not thread-safe: one thread writes one AtomicFile.
#pragma once

#include <filesystem>
#include <memory>
#include <ostream>
#include <string_view>

#include "common/status.h"

namespace s1mple {

class AtomicFile {
 public:
  // Who may write PATH at the same time: one writer (the temporary file is PATH.tmp), or
  // several processes (each writes PATH.tmp.<pid>; the last rename wins, and every writer
  // writes the same bytes, as for a content-addressed file).
  enum class Writers { kOne, kProcesses };
  // Creates the temporary file (truncating one left by an earlier crash). IOError naming it on
  // failure.
  [[nodiscard]] static Result<std::unique_ptr<AtomicFile>> Create(std::filesystem::path path,
                                                                  Writers writers = Writers::kOne);
  ~AtomicFile();  // without a successful Commit(): removes PATH.tmp
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // The stream to write to (buffered; a failed write sets its badbit). Errors are reported,
  // with their cause, by Commit().
  std::ostream& stream() { return out_; }
  void Append(std::string_view bytes) {
    out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  // Flush, fsync, rename over path(), fsync the directory. IOError naming the file at fault
  // (IsNoSpace() when the disk is full); PATH.tmp is removed then. Once only.
  [[nodiscard]] Status Commit();

  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& temp_path() const { return tmp_; }

 private:
  class Buffer;  // a std::streambuf over the temporary file's descriptor
  AtomicFile(std::filesystem::path path, std::filesystem::path tmp, int fd);
  void Discard();
  std::filesystem::path path_;
  std::filesystem::path tmp_;
  std::unique_ptr<Buffer> buf_;
  std::ostream out_;
  bool done_ = false;  // committed, or failed and cleaned up
};

// Writes `contents` to `path` atomically (an AtomicFile with one Append).
[[nodiscard]] Status WriteFileAtomically(const std::filesystem::path& path,
                                         std::string_view contents);

}  // namespace s1mple
