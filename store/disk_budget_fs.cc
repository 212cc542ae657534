#include "store/disk_budget_fs.h"

namespace s1mple::store {
namespace {

class BudgetedFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  BudgetedFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::shared_ptr<DiskBudget> budget)
      : FSWritableFileOwnerWrapper(std::move(file)), budget_(std::move(budget)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (!Take(data.size())) return Full();
    return target()->Append(data, options, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (!Take(data.size())) return Full();
    return target()->Append(data, options, info, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    if (!Take(data.size())) return Full();
    return target()->PositionedAppend(data, offset, options, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    if (!Take(data.size())) return Full();
    return target()->PositionedAppend(data, offset, options, info, dbg);
  }

 private:
  bool Take(std::size_t n) { return budget_->TryConsume(static_cast<std::int64_t>(n)); }
  static rocksdb::IOStatus Full() {
    return rocksdb::IOStatus::NoSpace("No space left on device", "(store disk budget)");
  }
  std::shared_ptr<DiskBudget> budget_;
};

class BudgetedFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  BudgetedFileSystem(std::shared_ptr<rocksdb::FileSystem> base, std::shared_ptr<DiskBudget> budget)
      : FileSystemWrapper(std::move(base)), budget_(std::move(budget)) {}
  const char* Name() const override { return "S1mpleDiskBudgetFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& opts,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    return Wrap(target()->NewWritableFile(f, opts, r, dbg), r);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& opts,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override {
    return Wrap(target()->ReopenWritableFile(f, opts, r, dbg), r);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                                      const rocksdb::FileOptions& opts,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override {
    return Wrap(target()->ReuseWritableFile(f, old, opts, r, dbg), r);
  }

 private:
  rocksdb::IOStatus Wrap(rocksdb::IOStatus s, std::unique_ptr<rocksdb::FSWritableFile>* r) {
    if (s.ok()) *r = std::make_unique<BudgetedFile>(std::move(*r), budget_);
    return s;
  }
  std::shared_ptr<DiskBudget> budget_;
};

}  // namespace

std::shared_ptr<rocksdb::FileSystem> NewDiskBudgetFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base, std::shared_ptr<DiskBudget> budget) {
  return std::make_shared<BudgetedFileSystem>(std::move(base), std::move(budget));
}

}  // namespace s1mple::store
