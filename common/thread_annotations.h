// Clang's thread-safety analysis (leveldb's port/thread_annotations.h): members say which mutex
// guards them, functions say which mutex they need, and `clang++ -Wthread-safety` checks it at
// compile time (ctest thread_safety_check builds the annotated targets that way when clang++ is
// installed). Under GCC the macros expand to nothing.
//
// std::mutex carries no annotations in libstdc++, so annotated state uses Mutex, MutexLock and
// CondVar below: thin wrappers over std::mutex and std::condition_variable.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define S1MPLE_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define S1MPLE_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) S1MPLE_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY S1MPLE_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) S1MPLE_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) S1MPLE_THREAD_ANNOTATION(pt_guarded_by(x))
#define ACQUIRED_AFTER(...) S1MPLE_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define ACQUIRED_BEFORE(...) S1MPLE_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define REQUIRES(...) S1MPLE_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) S1MPLE_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) S1MPLE_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define EXCLUDES(...) S1MPLE_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) S1MPLE_THREAD_ANNOTATION(assert_capability(x))
#define RETURN_CAPABILITY(x) S1MPLE_THREAD_ANNOTATION(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS S1MPLE_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace s1mple {

// A std::mutex the analysis knows about.
class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  // Tells the analysis the caller holds it (where it cannot see that, e.g. in a callback).
  void AssertHeld() ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex for its scope (std::lock_guard).
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable bound to one Mutex (leveldb's port::CondVar). Wait* need the mutex held,
// release it while waiting and hold it again when they return. Like leveldb's, they carry no
// annotation: the analysis cannot tie the bound mutex to the caller's member, so a guarded
// predicate is checked by the caller (`while (!ready_) cv_.Wait();` under a MutexLock).
class CondVar {
 public:
  explicit CondVar(Mutex* mu) : mu_(mu) {}
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void Wait() {
    std::unique_lock<std::mutex> lock(mu_->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // Until `done()` holds (checked with the mutex held).
  template <typename Pred>
  void Wait(Pred done) {
    while (!done()) Wait();
  }
  // Waits at most `timeout`; false when it timed out.
  template <typename Rep, typename Period>
  bool WaitFor(std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock<std::mutex> lock(mu_->mu_, std::adopt_lock);
    const bool signalled = cv_.wait_for(lock, timeout) == std::cv_status::no_timeout;
    lock.release();
    return signalled;
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  Mutex* const mu_;
  std::condition_variable cv_;
};

}  // namespace s1mple
