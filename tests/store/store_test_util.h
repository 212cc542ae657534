// Helpers shared by the store tests: a temporary directory and a small sweep factory.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "store/job_store.h"

namespace s1mple::store::testing {

// A fresh directory under the system temp dir, removed with everything in it at scope end.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("s1mple-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str(const std::string& sub = "store") const { return (path_ / sub).string(); }

 private:
  std::filesystem::path path_;
};

// prefix + n (written out: GCC 12 -O3 warns falsely (-Wrestrict) on "lit" + std::to_string()).
inline std::string Named(std::string_view prefix, std::uint64_t n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

inline std::vector<std::string> Overrides(std::size_t n, std::size_t first = 0) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back("{\"fast\":" + std::to_string(first + i) + "}");
  }
  return out;
}

// Creates, fills and seals a sweep of n jobs; fails the test on any error.
inline SweepId MakeSweep(JobStore& store, std::size_t n, Attempt max_attempts = 3,
                         const std::string& plan = "plan: test") {
  SweepSpec spec;
  spec.name = "test sweep";
  spec.kind = SweepKind::kDiag;
  spec.plan_text = plan;
  spec.max_attempts = max_attempts;
  Result<SweepId> id = store.CreateSweep(spec);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  if (!id.ok()) return {};
  std::vector<std::string> ov = Overrides(n);
  EXPECT_TRUE(store.AddJobs(*id, 0, ov).ok());
  EXPECT_TRUE(store.SealSweep(*id, n).ok());
  return *id;
}

// Recount finds no broken invariant (the problems are printed if it does).
inline void ExpectConsistent(const JobStore& store, const SweepId& sweep) {
  Result<RecountReport> r = store.Recount(sweep);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::string all;
  for (const auto& p : r->problems) all += p + "\n";
  EXPECT_TRUE(r->problems.empty()) << all;
}

}  // namespace s1mple::store::testing
