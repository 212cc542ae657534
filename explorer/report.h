// report.html: the Trade Explorer page with one sweep's API documents embedded inline
// (<script type="application/json" id="snapshot">), so it opens offline from a file:// URL —
// no server, no network. Written with a sweep's other outputs (results.csv, *.json).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "explorer/source.h"

namespace s1mple::store {
class JobStore;
}

namespace s1mple::explorer {

struct ReportOptions {
  // Runs whose equity curve, drawdown and trades are embedded (the table, scatter plots and
  // heatmap always have every run). All runs when the sweep has at most this many; otherwise
  // the best by the plan's primary metric in its direction, those meeting the plan's
  // constraints first (the best configuration is always among them). Each costs a few KB to
  // ~100 KB.
  uint64_t max_detailed_runs = 50;
};

// The snapshot document: {"generated", "sweep_id", "sweeps", "sweep", "runs", "details"}
// where sweeps/sweep/runs/details hold exactly what GET /api/sweeps, /api/sweeps/ID,
// /api/sweeps/ID/runs (all pages) and /api/sweeps/ID/runs/N return. NotFound for an unknown
// sweep.
[[nodiscard]] Result<nlohmann::json> BuildReportSnapshot(ExplorerSource& source,
                                                         const std::string& sweep_id,
                                                         const ReportOptions& options = {});

// The page with `snapshot` embedded (safe against "</script>" inside plan texts).
std::string RenderReportHtml(const nlohmann::json& snapshot);

// Builds the snapshot of `sweep_id` and writes report.html to `path` (via a temporary file
// and a rename, so a reader never sees half a report; a failure removes the temporary file).
// Streamed: the runs are read and written page by page, so memory does not grow with the
// sweep (a 100,000-run report is ~60 MB on disk, a few MB in memory). IOError naming the path
// on failure.
[[nodiscard]] Status WriteReportHtml(ExplorerSource& source, const std::string& sweep_id,
                                     const std::filesystem::path& path,
                                     const ReportOptions& options = {});
[[nodiscard]] Status WriteReportHtml(store::JobStore& store, const std::string& sweep_id,
                                     const std::filesystem::path& path,
                                     const ReportOptions& options = {});

}  // namespace s1mple::explorer
