// Status and Result<T>: how errors cross module boundaries (leveldb/rocksdb style).
//
// A Status is either OK or a code plus a one-line message that names what is at fault
// (file and YAML path, CSV line, message field). A sub-code (RocksDB's SubCode) refines the code
// where callers must tell cases apart: a peer that is gone from one whose queue is full, a
// full disk, an interruption, a deterministic configuration error. Callers branch on the code,
// the sub-code or a predicate (IsPeerUnreachable(), ...), never on the message text, which is
// for people. A Result<T> holds a T or a non-OK Status. Both are [[nodiscard]]: an error that is
// not looked at is a bug. Neither throws.
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

  // What a caller may need to know beyond the code. kNone for most errors.
  enum class SubCode : unsigned char {
    kNone = 0,
    kPeerUnreachable,  // kUnavailable: the peer's connection is gone (a send to it failed)
    kWouldBlock,       // kUnavailable: the peer's queue is full; nothing was sent, try later
    kTimedOut,         // kUnavailable: no answer within the time allowed
    kInterrupted,      // kUnavailable: the user asked to stop (SIGINT, SIGTERM)
    kNoSpace,          // kIOError: the disk is full ("No space left on device")
    kLockHeld,         // kFailedPrecondition: another process holds the store's lock
    kRefused,          // kFailedPrecondition: the peer answered the request with an error
    kBadConfig,        // kInvalidArgument: a job's configuration or data was refused; running
                       // it again fails the same way (a deterministic failure, never retried)
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg, SubCode sub = SubCode::kNone) {
    return {Code::kInvalidArgument, sub, std::move(msg)};
  }
  static Status NotFound(std::string msg) {
    return {Code::kNotFound, SubCode::kNone, std::move(msg)};
  }
  static Status AlreadyExists(std::string msg) {
    return {Code::kAlreadyExists, SubCode::kNone, std::move(msg)};
  }
  static Status FailedPrecondition(std::string msg, SubCode sub = SubCode::kNone) {
    return {Code::kFailedPrecondition, sub, std::move(msg)};
  }
  static Status Corruption(std::string msg) {
    return {Code::kCorruption, SubCode::kNone, std::move(msg)};
  }
  static Status IOError(std::string msg, SubCode sub = SubCode::kNone) {
    return {Code::kIOError, sub, std::move(msg)};
  }
  static Status Unavailable(std::string msg, SubCode sub = SubCode::kNone) {
    return {Code::kUnavailable, sub, std::move(msg)};
  }
  static Status Internal(std::string msg) {
    return {Code::kInternal, SubCode::kNone, std::move(msg)};
  }
  // Shorthands for the sub-coded errors.
  static Status PeerUnreachable(std::string msg) {
    return Unavailable(std::move(msg), SubCode::kPeerUnreachable);
  }
  static Status WouldBlock(std::string msg) {
    return Unavailable(std::move(msg), SubCode::kWouldBlock);
  }
  static Status TimedOut(std::string msg) {
    return Unavailable(std::move(msg), SubCode::kTimedOut);
  }
  static Status Interrupted(std::string msg) {
    return Unavailable(std::move(msg), SubCode::kInterrupted);
  }
  static Status NoSpace(std::string msg) { return IOError(std::move(msg), SubCode::kNoSpace); }
  static Status BadConfig(std::string msg) {
    return InvalidArgument(std::move(msg), SubCode::kBadConfig);
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  SubCode subcode() const { return subcode_; }
  // For people (logs, error lines); never branched on.
  const std::string& message() const { return message_; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsAlreadyExists() const { return code_ == Code::kAlreadyExists; }
  bool IsFailedPrecondition() const { return code_ == Code::kFailedPrecondition; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }
  bool IsInternal() const { return code_ == Code::kInternal; }
  bool IsPeerUnreachable() const { return subcode_ == SubCode::kPeerUnreachable; }
  bool IsWouldBlock() const { return subcode_ == SubCode::kWouldBlock; }
  bool IsTimedOut() const { return subcode_ == SubCode::kTimedOut; }
  bool IsInterrupted() const { return subcode_ == SubCode::kInterrupted; }
  bool IsNoSpace() const { return subcode_ == SubCode::kNoSpace; }
  bool IsLockHeld() const { return subcode_ == SubCode::kLockHeld; }
  bool IsRefused() const { return subcode_ == SubCode::kRefused; }
  bool IsBadConfig() const { return subcode_ == SubCode::kBadConfig; }

  // A copy with `context: ` put before the message (e.g. the file name); code and sub-code stay.
  Status WithContext(std::string_view context) const {
    if (ok()) return *this;
    return Status(code_, subcode_, std::string(context) + ": " + message_);
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
  Status(Code code, SubCode sub, std::string msg)
      : code_(code), subcode_(sub), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  SubCode subcode_ = SubCode::kNone;
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
