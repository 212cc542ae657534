// Bytes a sweep keeps per job in the store (docs/STORE.md, "What a stored result carries").
//
//   build/bench/bench_result_size [STORE_DIR]   (default .s1mple)
//
// Opens the store read-only (beside a running session is fine) and prints, per sweep: jobs,
// stored results, their total and mean bytes, the largest, and the mean bytes of each top-level
// member of the result JSON (metrics, equity, trades, ...); then the store's size on disk
// (RocksDB's estimate of live SST files + WAL, compressed with LZ4/ZSTD).
#include <cstdio>
#include <map>
#include <string>

#include "common/json_slice.h"
#include "store/job_store.h"

int main(int argc, char** argv) {
  namespace st = s1mple::store;
  const std::string dir = argc > 1 ? argv[1] : ".s1mple";
  st::Options options;
  options.read_only = true;
  auto store = st::JobStore::Open(dir, options);
  if (!store.ok()) {
    std::fprintf(stderr, "bench_result_size: %s\n", store.status().ToString().c_str());
    return 1;
  }
  for (const auto& sweep : (*store)->ListSweeps()) {
    uint64_t results = 0, bytes = 0, largest = 0;
    std::map<std::string, uint64_t> member_bytes;
    auto scanned = (*store)->ScanResults(sweep.id, 0, 0, [&](uint64_t, std::string_view text) {
      ++results;
      bytes += text.size();
      largest = std::max<uint64_t>(largest, text.size());
      if (auto members = s1mple::SliceJsonObject(text)) {
        for (const auto& [key, value] : *members) member_bytes[std::string(key)] += value.size();
      }
      return true;
    });
    if (!scanned.ok()) {
      std::fprintf(stderr, "bench_result_size: %s\n", scanned.ToString().c_str());
      return 1;
    }
    std::printf("%s  %-45s jobs %llu  results %llu  total %.1f MiB  mean %.1f kB  max %.1f kB\n",
                sweep.id.c_str(), sweep.name.c_str(),
                static_cast<unsigned long long>(sweep.job_count),
                static_cast<unsigned long long>(results), static_cast<double>(bytes) / 1048576.0,
                results ? static_cast<double>(bytes) / 1000.0 / static_cast<double>(results) : 0,
                static_cast<double>(largest) / 1000.0);
    std::printf("    mean bytes per member:");
    for (const auto& [key, b] : member_bytes)
      std::printf("  %s %.0f", key.c_str(),
                  results ? static_cast<double>(b) / static_cast<double>(results) : 0);
    std::printf("\n");
  }
  std::printf("store on disk: %.1f MiB (%s)\n",
              static_cast<double>((*store)->ApproximateDiskBytes()) / 1048576.0, dir.c_str());
  return 0;
}
