// ExplorerApi: the Trade Explorer's JSON documents (docs/API.md), computed from an
// ExplorerSource. The HTTP server serves them; the report writer embeds them in report.html.
//
// Every call only reads the source. Thread-safe: calls may come from several threads at once
// (the rate samples, the per-sweep column cache and the finished-row cache share one mutex).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/thread_annotations.h"
#include "explorer/source.h"

namespace s1mple::explorer {

struct ExplorerOptions {
  // Connected runners for the sweeps page; empty = the page shows no runner panel
  // ("runners": null).
  RunnersProvider runners;
  // Wall-clock now in ms since the epoch; empty = std::chrono::system_clock. Tests inject one.
  std::function<int64_t()> now_ms;
  // /runs pages: default and largest `limit`.
  uint64_t default_page = 1000;
  uint64_t max_page = 5000;
  // The rate (jobs finished per second) shown for a sweep is measured over this window of
  // samples taken whenever the sweeps list is read.
  int64_t rate_window_ms = 60'000;
  // Failed jobs listed with their reasons in the sweep document (the rest are counted).
  uint64_t max_failures_listed = 100;
  // /table pages: default and largest `limit`.
  uint64_t max_table_page = 25000;
  // Memory for the rows of finished runs kept between /runs and /table requests, over every
  // sweep (~300 bytes a run of a sweep with 3 varied parameters, so the default holds
  // ~200,000 runs); beyond it further rows are decoded again on every request. A sweep's rows
  // go when it is deleted (or created anew under its id).
  uint64_t row_cache_bytes = 64ull << 20;
  // Rows of finished runs are built straight from the result's (or its summary's) text into
  // cells, without JSON documents; off, every row is built as a document first (RunRow, then
  // EncodeRow): the reference the direct rows must equal byte for byte (tests compare both).
  bool direct_rows = true;
};

class ExplorerApi {
 public:
  // `source` is borrowed and must outlive the api.
  ExplorerApi(ExplorerSource& source, ExplorerOptions options = {});

  // GET /api/sweeps: {"sweeps": [...], "runners": [...] | null, "now": ISO}.
  [[nodiscard]] Result<nlohmann::json> Sweeps();
  // GET /api/sweeps/{id}: plan summary, counts, varied parameter columns, variants, failures.
  [[nodiscard]] Result<nlohmann::json> Sweep(const std::string& sweep_id);
  // GET /api/sweeps/{id}/runs?offset=&limit=: one page of runs (params, metrics, causality).
  // limit 0 = default_page; clamped to max_page.
  [[nodiscard]] Result<nlohmann::json> Runs(const std::string& sweep_id, uint64_t offset,
                                            uint64_t limit);
  // The same as the text the server sends (Runs parses it): byte for byte what dumping the
  // documents Runs describes gives, whether the rows were kept or decoded now.
  [[nodiscard]] Result<std::string> RunsText(const std::string& sweep_id, uint64_t offset,
                                             uint64_t limit);
  // GET /api/sweeps/{id}/table?offset=&limit=: the same runs in columns (docs/API.md, what the
  // live page reads: about half the bytes of /runs and no per-row keys to parse). limit 0 or
  // above max_table_page = max_table_page.
  [[nodiscard]] Result<nlohmann::json> Table(const std::string& sweep_id, uint64_t offset,
                                             uint64_t limit);
  [[nodiscard]] Result<std::string> TableText(const std::string& sweep_id, uint64_t offset,
                                              uint64_t limit);
  // Runs kept for `sweep_id` now (tests: what the cache holds).
  uint64_t KeptRows(const std::string& sweep_id);
  // Reads a sealed sweep's table page by page (max_table_page runs each) as the first /table
  // read would, so that its finished rows are kept before anyone opens it: what the server's
  // warm-up (ExplorerServerOptions::warm_rows) calls. Stops early when `stop` returns true
  // (asked between pages) or the row cache is full. A request for the same sweep meanwhile
  // waits for the page being built instead of building it too. Returns the runs kept for it.
  // `threads` build pages of it at once (its columns first, once).
  uint64_t WarmRows(const std::string& sweep_id, const std::function<bool()>& stop = {},
                    int threads = 1);
  // GET /api/sweeps/{id}/runs/{index}: one run with equity, drawdown, trades and the command
  // that reproduces it.
  [[nodiscard]] Result<nlohmann::json> Run(const std::string& sweep_id, uint64_t index);

  const ExplorerOptions& options() const { return options_; }

 private:
  struct Columns {
    uint64_t job_count = 0;           // job count the columns were computed for
    std::vector<std::string> varied;  // columns whose value differs between jobs
    nlohmann::json fixed;             // column -> value, the same in every job
    // Of a sealed sweep, when they fit a quarter of row_cache_bytes: by job index, the job's
    // varied parameters as the rows write them ('P', then per varied column in sorted order
    // kSep and its cell, or kSep and kAbsent when the job lacks it); "" when its overrides do
    // not decode. Saves the rows' pass parsing every job's overrides again. Shared, not copied.
    std::shared_ptr<const std::vector<std::string>> job_params;
  };
  // Summary of one sweep as listed on the sweeps page.
  nlohmann::json SweepSummary(const ExplorerSweep& sweep);
  // `threads`: passes over parts of a big sealed sweep's jobs at once (the warm-up's).
  [[nodiscard]] Result<Columns> ParamColumns(const ExplorerSweep& sweep, int threads = 1);
  // One run row: index, name, status, params, metrics, causality (+ the engine result in
  // `engine_out` when non-null and the job is done).
  nlohmann::json RunRow(const ExplorerSweep& sweep, const std::vector<std::string>& variant_names,
                        const ExplorerJob& job, nlohmann::json* engine_out);
  double RatePerSecond(const std::string& sweep_id, uint64_t finished);
  int64_t Now() const;

  // How a sweep's kept rows are laid out in cells (api.cc, "the runs of a sweep").
  struct Layout {
    std::vector<std::string> params;      // varied columns, sorted
    std::vector<std::string> param_keys;  // their JSON texts
    bool metrics_known = false;           // set by the first row with a metrics object
    std::vector<std::string> metrics;     // its metric names, sorted
    std::vector<std::string> metric_keys;
  };
  struct SweepRows {
    int64_t created_ms = 0;  // of the sweep the rows belong to
    Layout layout;
    std::vector<std::string> rows;  // by job index; empty = not kept
    uint64_t bytes = 0;
  };
  struct Page {
    uint64_t total = 0;
    Layout layout;
    std::vector<std::string> entries;  // one encoded row per run of the page
  };
  [[nodiscard]] Result<Page> ReadPage(const std::string& sweep_id, uint64_t offset, uint64_t limit);
  static std::string EncodeRow(const nlohmann::json& row, Layout& layout);
  // A done run's row as cell texts (what EncodeRow would write of RunRow's document). The
  // parameters', metrics' and causality's cells are written one after another into `arena`
  // (one allocation for the row, not one per cell); their names are views of text that
  // outlives the row's encoding (the varied columns, the result's text).
  struct Cells {
    struct Cell {
      std::string_view key;
      size_t at = 0, size = 0;  // in arena
    };
    std::string attempts, failure, index, name, status;
    std::string arena;
    std::vector<Cell> params;   // varied columns, sorted
    std::vector<Cell> metrics;  // sorted by name
    bool has_causality = false;
    std::vector<Cell> causality;  // kCausalityKeys' cells, in that order
    std::string_view text(const Cell& c) const { return {arena.data() + c.at, c.size}; }
    // Buffers DirectCells reuses from one row to the next (their capacity stays).
    std::vector<std::pair<std::string_view, std::string_view>> members, object;
    std::vector<std::string_view> keys;
    std::vector<Cell> cause;
    std::string scratch;
  };
  // The cells of done `job` from its result or summary text, into `c` (whose buffers are reused
  // from row to row); false whenever the document path could answer otherwise (an error,
  // another shape, escapes, duplicate keys...): the caller then builds the row with RunRow.
  // `params`, when given, is the job's entry of Columns::job_params (its overrides unread).
  static bool DirectCells(const std::vector<std::string>& variant_names, const ExplorerJob& job,
                          std::string_view text, const std::set<std::string>& varied,
                          const std::string* params, Cells& c);
  static std::string EncodeCells(const Cells& cells, Layout& layout);
  static void AppendRowText(std::string& out, std::string_view entry, const Layout& layout);
  void Forget(const std::string& sweep_id);

  ExplorerSource& source_;
  ExplorerOptions options_;

  Mutex mu_;
  // (t_ms, finished) per sweep
  std::map<std::string, std::deque<std::pair<int64_t, uint64_t>>> samples_ GUARDED_BY(mu_);
  std::map<std::string, Columns> columns_ GUARDED_BY(mu_);
  std::map<std::string, SweepRows> tables_ GUARDED_BY(mu_);
  // Per sealed sweep, "ID#columns" while its columns are built and "ID#B" while rows of its
  // block B (max_table_page runs) are (taken before mu_, never while holding it): two requests,
  // or a request and the warm-up, do not build the same rows twice; the later one finds them
  // kept.
  std::map<std::string, std::shared_ptr<Mutex>> builders_ GUARDED_BY(mu_);
  std::shared_ptr<Mutex> Builder(const std::string& sweep_id, const std::string& what);
  uint64_t row_bytes_ GUARDED_BY(mu_) = 0;  // over every sweep's kept rows
};

}  // namespace s1mple::explorer
