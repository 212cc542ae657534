#include "store/info_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace s1mple::store {
namespace {

class InfoLog final : public rocksdb::Logger {
 public:
  InfoLog(int fd, rocksdb::InfoLogLevel level) : rocksdb::Logger(level), fd_(fd) {}
  ~InfoLog() override { CloseFd(); }

  void Logv(const char* format, va_list ap) override {
    Write(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    Write(level, format, ap);
  }

 protected:
  rocksdb::Status CloseImpl() override {
    CloseFd();
    return rocksdb::Status::OK();
  }

 private:
  // One line, one write(2) on an O_APPEND descriptor: lines of concurrent threads do not mix.
  // A failed or short write (full disk) loses (part of) the line and is otherwise ignored.
  void Write(rocksdb::InfoLogLevel level, const char* format, va_list ap) {
    if (fd_ < 0) return;
    char line[1024];
    struct timeval now {};
    ::gettimeofday(&now, nullptr);
    struct tm t {};
    ::localtime_r(&now.tv_sec, &t);
    int n = std::snprintf(line, sizeof(line), "%04d/%02d/%02d-%02d:%02d:%02d.%06ld %s",
                          t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                          static_cast<long>(now.tv_usec), LevelTag(level));
    if (n < 0) return;
    std::size_t len = std::min(static_cast<std::size_t>(n), sizeof(line) - 1);
    va_list copy;
    va_copy(copy, ap);
    int m = std::vsnprintf(line + len, sizeof(line) - len, format, copy);
    va_end(copy);
    if (m < 0) return;
    len = std::min(len + static_cast<std::size_t>(m), sizeof(line) - 2);  // long lines cut
    if (line[len - 1] != '\n') line[len++] = '\n';
    (void)!::write(fd_, line, len);
  }

  static const char* LevelTag(rocksdb::InfoLogLevel level) {
    switch (level) {
      case rocksdb::InfoLogLevel::DEBUG_LEVEL:
        return "[DEBUG] ";
      case rocksdb::InfoLogLevel::WARN_LEVEL:
        return "[WARN] ";
      case rocksdb::InfoLogLevel::ERROR_LEVEL:
        return "[ERROR] ";
      case rocksdb::InfoLogLevel::FATAL_LEVEL:
        return "[FATAL] ";
      default:
        return "";
    }
  }

  void CloseFd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  int fd_;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewInfoLog(const InfoLogOptions& options) {
  struct stat st {};
  if (options.rotate_bytes > 0 && ::stat(options.path.c_str(), &st) == 0 &&
      static_cast<std::size_t>(st.st_size) > options.rotate_bytes) {
    (void)::rename(options.path.c_str(), (options.path + ".old").c_str());
  }
  int fd = ::open(options.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  return std::make_shared<InfoLog>(fd, options.level);
}

}  // namespace s1mple::store
