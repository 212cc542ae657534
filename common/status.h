// Status and Result<T>: how errors cross module boundaries (leveldb/rocksdb style).
//
// A Status is either OK or a code plus a one-line message that names what is at fault
// (file and YAML path, CSV line, message field). A Result<T> holds a T or a non-OK Status.
// Both are [[nodiscard]]: an error that is not looked at is a bug. Neither throws.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace s1mple {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // bad input from a user: config, CSV, CLI, a message field
    kNotFound,         // a file, sweep, job or artifact that does not exist
    kAlreadyExists,
    kFailedPrecondition,  // an illegal state transition, a store opened twice, ...
    kCorruption,          // stored or received data that fails its checks
    kIOError,             // the disk or the network said no (full disk, permission, ...)
    kUnavailable,         // try again later (peer gone, timeout)
    kInternal,            // a bug or an exception caught at a boundary
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {Code::kAlreadyExists, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) {
    return {Code::kFailedPrecondition, std::move(msg)};
  }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsFailedPrecondition() const { return code_ == Code::kFailedPrecondition; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsIOError() const { return code_ == Code::kIOError; }

  // A copy with `context: ` put before the message (e.g. the file name).
  Status WithContext(std::string_view context) const {
    if (ok()) return *this;
    return Status(code_, std::string(context) + ": " + message_);
  }

  static std::string_view CodeName(Code c) {
    switch (c) {
      case Code::kOk:
        return "OK";
      case Code::kInvalidArgument:
        return "invalid argument";
      case Code::kNotFound:
        return "not found";
      case Code::kAlreadyExists:
        return "already exists";
      case Code::kFailedPrecondition:
        return "failed precondition";
      case Code::kCorruption:
        return "corruption";
      case Code::kIOError:
        return "I/O error";
      case Code::kUnavailable:
        return "unavailable";
      case Code::kInternal:
        return "internal error";
    }
    return "unknown";
  }
  std::string ToString() const {
    if (ok()) return "OK";
    return std::string(CodeName(code_)) + ": " + message_;
  }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace s1mple

// Return early from a function returning Status or Result<U> when `expr` is not OK.
#define S1MPLE_RETURN_IF_ERROR(expr)         \
  do {                                       \
    ::s1mple::Status _s1mple_st = (expr);    \
    if (!_s1mple_st.ok()) return _s1mple_st; \
  } while (0)
