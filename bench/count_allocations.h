// Counts every heap allocation of the program that includes this header: it replaces the global
// operator new/delete (plain and nothrow forms) with malloc/free plus a counter. Include it in
// exactly ONE source file of a program (bench_engine, tests/engine/alloc_test.cc): the
// replacements are definitions.
//
// The nothrow forms are replaced too (std::stable_sort's temporary buffer uses them), so that
// under a sanitizer that replaces the others every allocation and release goes through one pair.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace s1mple::bench {
inline std::atomic<int64_t> g_heap_allocations{0};
// Heap allocations so far in this program (all threads).
inline int64_t HeapAllocations() {
  return g_heap_allocations.load(std::memory_order_relaxed);
}
}  // namespace s1mple::bench

__attribute__((noinline)) void* operator new(std::size_t n) {
  s1mple::bench::g_heap_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  s1mple::bench::g_heap_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
__attribute__((noinline)) void operator delete(void* p) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
