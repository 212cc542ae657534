#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <streambuf>
#include <string>
#include <vector>

namespace s1mple {
namespace {

namespace fs = std::filesystem;

Status Errno(const std::string& what, int err) {
  std::string msg = what + ": " + std::strerror(err);
  return err == ENOSPC || err == EDQUOT ? Status::NoSpace(msg) : Status::IOError(msg);
}

Status SyncDirectory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open directory " + dir.string() + " to sync it", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Errno("cannot sync directory " + dir.string(), err);
  return Status::Ok();
}

}  // namespace

// Buffered writes to one descriptor; remembers the errno of the first failed write.
class AtomicFile::Buffer final : public std::streambuf {
 public:
  explicit Buffer(int fd) : fd_(fd), buf_(64 << 10) {
    setp(buf_.data(), buf_.data() + buf_.size());
  }
  ~Buffer() override {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }
  int error() const { return error_; }
  // Flushes the buffer; false (and error() set) when a write failed.
  bool Drain() {
    const char* p = pbase();
    while (p < pptr() && error_ == 0) {
      const ssize_t n = ::write(fd_, p, static_cast<size_t>(pptr() - p));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error_ = n < 0 ? errno : EIO;
        break;
      }
      p += n;
    }
    setp(buf_.data(), buf_.data() + buf_.size());
    return error_ == 0;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 protected:
  int_type overflow(int_type c) override {
    if (!Drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return Drain() ? 0 : -1; }

 private:
  int fd_;
  std::vector<char> buf_;
  int error_ = 0;
};

AtomicFile::AtomicFile(fs::path path, fs::path tmp, int fd)
    : path_(std::move(path)),
      tmp_(std::move(tmp)),
      buf_(std::make_unique<Buffer>(fd)),
      out_(buf_.get()) {}

Result<std::unique_ptr<AtomicFile>> AtomicFile::Create(fs::path path, Writers writers) {
  std::string suffix = ".tmp";
  if (writers == Writers::kProcesses) {
    suffix += '.';
    suffix += std::to_string(::getpid());
  }
  fs::path tmp = path;
  tmp += suffix;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create " + tmp.string(), errno);
  return std::unique_ptr<AtomicFile>(new AtomicFile(std::move(path), std::move(tmp), fd));
}

AtomicFile::~AtomicFile() {
  if (!done_) Discard();
}

void AtomicFile::Discard() {
  done_ = true;
  buf_->Close();
  std::error_code ec;
  fs::remove(tmp_, ec);
}

Status AtomicFile::Commit() {
  if (done_) return Status::FailedPrecondition(path_.string() + ": already committed");
  auto fail = [&](Status s) {
    Discard();
    return s;
  };
  if (!buf_->Drain() || !out_)
    return fail(Errno("cannot write " + tmp_.string(), buf_->error() ? buf_->error() : EIO));
  if (::fsync(buf_->fd()) != 0) return fail(Errno("cannot sync " + tmp_.string(), errno));
  buf_->Close();
  if (::rename(tmp_.c_str(), path_.c_str()) != 0)
    return fail(Errno("cannot rename " + tmp_.string() + " to " + path_.string(), errno));
  done_ = true;
  return SyncDirectory(path_.has_parent_path() ? path_.parent_path() : fs::path("."));
}

Status WriteFileAtomically(const fs::path& path, std::string_view contents) {
  auto f = AtomicFile::Create(path);
  if (!f.ok()) return f.status();
  (*f)->Append(contents);
  return (*f)->Commit();
}

}  // namespace s1mple
