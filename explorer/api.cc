#include "explorer/api.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "common/iso_time.h"
#include "explorer/decode.h"
#include "explorer/plan_summary.h"

namespace s1mple::explorer {

using nlohmann::json;

namespace {

json CountsJson(const ExplorerCounts& c) {
  return {{"total", c.total},
          {"pending", c.pending},
          {"leased", c.leased},
          {"done", c.done},
          {"failed", c.failed}};
}

std::vector<std::string> VariantNames(const ExplorerSweep& sweep, const PlanInfo& plan) {
  std::vector<std::string> names;
  if (sweep.kind != SweepKind::kVariant) return names;
  for (const auto& v : plan.variants) names.push_back(v.name);
  return names;
}

json DimensionsJson(const std::vector<PlanInfo::Dimension>& dims) {
  json out = json::array();
  for (const auto& d : dims)
    out.push_back({{"name", d.name}, {"size", d.size}, {"columns", d.columns}});
  return out;
}

}  // namespace

std::vector<ExplorerRunner> RunnersFromStatus(const std::vector<protocol::RunnerStatus>& runners,
                                              int64_t now_ms) {
  std::vector<ExplorerRunner> out;
  for (const auto& r : runners) {
    ExplorerRunner e;
    e.id = r.runner;
    e.slots = r.slots;
    e.busy = r.running;
    e.jobs_done = r.done;
    e.last_seen_ms = now_ms;
    out.push_back(std::move(e));
  }
  return out;
}

ExplorerApi::ExplorerApi(ExplorerSource& source, ExplorerOptions options)
    : source_(source), options_(std::move(options)) {}

int64_t ExplorerApi::Now() const {
  if (options_.now_ms) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double ExplorerApi::RatePerSecond(const std::string& sweep_id, uint64_t finished) {
  const int64_t now = Now();
  MutexLock lock(&mu_);
  auto& s = samples_[sweep_id];
  if (s.empty() || s.back().first != now) s.emplace_back(now, finished);
  while (s.size() > 2 && now - s.front().first > options_.rate_window_ms) s.pop_front();
  const auto& [t0, f0] = s.front();
  const auto& [t1, f1] = s.back();
  if (t1 - t0 < 500 || f1 < f0) return 0.0;
  return static_cast<double>(f1 - f0) * 1000.0 / static_cast<double>(t1 - t0);
}

json ExplorerApi::SweepSummary(const ExplorerSweep& sweep) {
  const ExplorerCounts& c = sweep.counts;
  const uint64_t finished = c.done + c.failed;
  const double rate = RatePerSecond(sweep.id, finished);
  json eta = nullptr;
  const uint64_t remaining = c.total > finished ? c.total - finished : 0;
  if (remaining == 0)
    eta = 0;
  else if (rate > 0)
    eta = static_cast<double>(remaining) / rate;
  return {
      {"id", sweep.id},
      {"name", sweep.name},
      {"kind", Name(sweep.kind)},
      {"state", ApiName(sweep.state)},
      {"created_ms", sweep.created_ms},
      {"created",
       sweep.created_ms > 0 ? json(FormatIsoTime(sweep.created_ms)) : json()},  // 0: unknown
      {"counts", CountsJson(c)},
      {"progress", c.total ? static_cast<double>(finished) / static_cast<double>(c.total) : 0.0},
      {"rate_per_s", rate},
      {"eta_s", eta}};
}

Result<json> ExplorerApi::Sweeps() {
  auto sweeps = source_.ListSweeps();
  if (!sweeps.ok()) return sweeps.status();
  json list = json::array();
  for (const auto& s : *sweeps) list.push_back(SweepSummary(s));
  json runners = nullptr;
  if (options_.runners) {
    runners = json::array();
    for (const auto& r : options_.runners()) {
      runners.push_back({{"id", r.id},
                         {"slots", r.slots},
                         {"busy", r.busy},
                         {"jobs_done", r.jobs_done},
                         {"last_seen", FormatIsoTime(r.last_seen_ms)}});
    }
  }
  return json{
      {"sweeps", std::move(list)}, {"runners", std::move(runners)}, {"now", FormatIsoTime(Now())}};
}

Result<ExplorerApi::Columns> ExplorerApi::ParamColumns(const ExplorerSweep& sweep) {
  const bool final_count = sweep.state != SweepState::kSubmitting;
  {
    MutexLock lock(&mu_);
    auto it = columns_.find(sweep.id);
    if (it != columns_.end() && it->second.job_count == sweep.counts.total) return it->second;
  }
  // One pass over every job's overrides (small blobs, no results): a column varies when two
  // jobs disagree on it or one job lacks it.
  struct Seen {
    json first;
    uint64_t count = 0;
    bool differs = false;
  };
  std::map<std::string, Seen> seen;
  std::vector<std::string> order;
  uint64_t jobs = 0;
  Status st = source_.ScanJobs(sweep.id, 0, 0, false, [&](const ExplorerJob& job) {
    ++jobs;
    auto doc = DecodeBlob(job.overrides, "job " + sweep.id + "/" + std::to_string(job.index));
    if (!doc.ok()) return true;  // shown per run as an error; does not hide the others
    for (auto& [col, value] : FlattenOverrides(*doc)) {
      auto [it, inserted] = seen.try_emplace(col);
      if (inserted) {
        order.push_back(col);
        it->second.first = value;
      } else if (it->second.first != value) {
        it->second.differs = true;
      }
      ++it->second.count;
    }
    return true;
  });
  if (!st.ok()) return st;
  Columns cols;
  cols.job_count = jobs;
  cols.fixed = json::object();
  for (const auto& col : order) {
    const Seen& s = seen[col];
    if (s.differs || s.count != jobs)
      cols.varied.push_back(col);
    else
      cols.fixed[col] = s.first;
  }
  if (final_count) {
    MutexLock lock(&mu_);
    columns_[sweep.id] = cols;
  }
  return cols;
}

json ExplorerApi::RunRow(const ExplorerSweep& sweep, const std::vector<std::string>& variant_names,
                         const ExplorerJob& job, json* engine_out) {
  const std::string what = "job " + sweep.id + "/" + std::to_string(job.index);
  json row = {{"index", job.index},
              {"name", job.index < variant_names.size() ? json(variant_names[job.index]) : json()},
              {"status", ApiName(job.state)},
              {"attempts", job.attempts},
              {"params", json::object()},
              {"metrics", nullptr},
              {"causality", nullptr},
              {"failure", job.failure_reason.empty() ? json() : json(job.failure_reason)}};
  if (auto doc = DecodeBlob(job.overrides, what + " overrides"); doc.ok()) {
    for (auto& [col, value] : FlattenOverrides(*doc)) row["params"][col] = std::move(value);
  } else {
    row["error"] = doc.status().message();
  }
  if (job.result) {
    // The runs table needs only the summary; a run's page (engine_out) needs everything.
    auto doc = engine_out ? DecodeBlob(*job.result, what + " result")
                          : DecodeResultSummary(*job.result, what + " result");
    Result<json> engine = doc.ok() ? EngineResult(*doc, what) : Result<json>(doc.status());
    if (engine.ok()) {
      row["metrics"] = (*engine)["metrics"];
      if (engine->contains("causality")) row["causality"] = (*engine)["causality"];
      if (engine_out) *engine_out = std::move(*engine);
    } else if (doc.ok() && sweep.kind == SweepKind::kDiag) {
      row["result"] = std::move(*doc);  // diagnostic jobs have no engine metrics
    } else {
      row["error"] = engine.status().message();
    }
  }
  return row;
}

Result<json> ExplorerApi::Sweep(const std::string& sweep_id) {
  auto sweep = source_.GetSweep(sweep_id);
  if (!sweep.ok()) return sweep.status();
  auto cols = ParamColumns(*sweep);
  if (!cols.ok()) return cols.status();
  const PlanInfo plan = ReadPlanSummary(sweep->plan_summary);

  json doc = SweepSummary(*sweep);
  doc["plan"] = {{"name", plan.name},
                 {"description", plan.description},
                 {"base_operation", plan.base_operation},
                 {"primary_metric", plan.primary_metric},
                 {"direction", plan.maximize ? "maximize" : "minimize"},
                 {"constraints", ConstraintsJson(plan.constraints)},
                 {"secondary_metrics", plan.secondary_metrics},
                 {"comparison_metrics", plan.comparison_metrics},
                 {"dimensions", DimensionsJson(plan.dimensions)},
                 {"text", sweep->plan_text}};
  doc["params"] = cols->varied;
  doc["fixed_params"] = cols->fixed;
  json variants = json::array();
  if (sweep->kind == SweepKind::kVariant) {
    for (size_t i = 0; i < plan.variants.size(); ++i) {
      variants.push_back({{"index", i},
                          {"name", plan.variants[i].name},
                          {"description", plan.variants[i].description}});
    }
  }
  doc["variants"] = std::move(variants);
  doc["limits"] = {{"max_attempts", sweep->max_attempts},
                   {"max_workers", sweep->max_workers},
                   {"timeout_per_run_ms", sweep->timeout_per_run_ms}};
  doc["artifacts"] = sweep->artifacts;

  json failures = json::array();
  if (sweep->counts.failed > 0) {
    Status st = source_.ScanJobs(sweep_id, 0, 0, false, [&](const ExplorerJob& job) {
      if (job.state != JobState::kFailed) return true;
      failures.push_back({{"index", job.index},
                          {"reason", job.failure_reason},
                          {"attempts", job.attempts},
                          {"history", job.attempt_history}});
      return failures.size() < options_.max_failures_listed;
    });
    if (!st.ok()) return st;
  }
  doc["failures"] = std::move(failures);
  return doc;
}

Result<json> ExplorerApi::Runs(const std::string& sweep_id, uint64_t offset, uint64_t limit) {
  auto sweep = source_.GetSweep(sweep_id);
  if (!sweep.ok()) return sweep.status();
  if (limit == 0) limit = options_.default_page;
  limit = std::min(limit, options_.max_page);
  auto cols = ParamColumns(*sweep);
  if (!cols.ok()) return cols.status();
  const std::set<std::string> varied(cols->varied.begin(), cols->varied.end());
  const std::vector<std::string> names = VariantNames(*sweep, ReadPlanSummary(sweep->plan_summary));

  // A finished run's row never changes once the sweep is sealed: keep its text, so a page
  // polled while a big sweep runs decodes each result once instead of on every poll.
  const bool cacheable = sweep->state != SweepState::kSubmitting;
  json runs = json::array();
  Status st = source_.ScanJobs(sweep_id, offset, limit, false, [&](const ExplorerJob& job) {
    const bool final_state = job.state == JobState::kDone || job.state == JobState::kFailed;
    if (cacheable && final_state) {
      if (auto text = CachedRow(sweep_id, job.index)) {
        runs.push_back(json::parse(*text));
        return true;
      }
    }
    json row;
    if (job.state == JobState::kDone && job.result) {
      row = RunRow(*sweep, names, job, nullptr);  // the source sent (part of) its result along
    } else if (job.state == JobState::kDone) {
      auto full = source_.GetJob(sweep_id, job.index);  // with its result
      row = RunRow(*sweep, names, full.ok() ? *full : job, nullptr);
      if (!full.ok()) row["error"] = full.status().ToString();
    } else {
      row = RunRow(*sweep, names, job, nullptr);
    }
    // Only the varied columns: the fixed ones are in the sweep document once.
    json params = json::object();
    for (auto& [col, value] : row["params"].items()) {
      if (varied.count(col)) params[col] = value;
    }
    row["params"] = std::move(params);
    if (cacheable && final_state && !row.contains("error"))
      CacheRow(sweep_id, job.index, row.dump());
    runs.push_back(std::move(row));
    return true;
  });
  if (!st.ok()) return st;
  const uint64_t total = sweep->counts.total;
  const uint64_t next = offset + runs.size();
  return json{{"sweep", sweep_id},
              {"total", total},
              {"offset", offset},
              {"limit", limit},
              {"next_offset", next < total && !runs.empty() ? json(next) : json()},
              {"runs", std::move(runs)}};
}

std::optional<std::string> ExplorerApi::CachedRow(const std::string& sweep_id, uint64_t index) {
  MutexLock lock(&mu_);
  auto s = rows_.find(sweep_id);
  if (s == rows_.end()) return std::nullopt;
  auto r = s->second.find(index);
  if (r == s->second.end()) return std::nullopt;
  return r->second;
}

void ExplorerApi::CacheRow(const std::string& sweep_id, uint64_t index, std::string text) {
  MutexLock lock(&mu_);
  if (row_bytes_ + text.size() > options_.row_cache_bytes) return;  // full: rows are re-read
  row_bytes_ += text.size();
  rows_[sweep_id].emplace(index, std::move(text));
}

Result<json> ExplorerApi::Run(const std::string& sweep_id, uint64_t index) {
  auto sweep = source_.GetSweep(sweep_id);
  if (!sweep.ok()) return sweep.status();
  auto job = source_.GetJob(sweep_id, index);
  if (!job.ok()) return job.status();
  const std::vector<std::string> names = VariantNames(*sweep, ReadPlanSummary(sweep->plan_summary));
  json engine;
  json row = RunRow(*sweep, names, *job, &engine);
  row["sweep"] = {{"id", sweep->id}, {"name", sweep->name}, {"kind", Name(sweep->kind)}};
  auto overrides = DecodeBlob(job->overrides, "overrides");
  row["overrides"] = overrides.ok() ? *overrides : json();
  row["history"] = job->attempt_history;
  const json empty = json::array();
  const json& equity = engine.is_object() && engine.contains("equity") ? engine["equity"] : empty;
  row["equity"] = equity;
  row["drawdown"] = DrawdownCurve(equity);
  // The buy-and-hold equity of the same data at the same points ([[ts_ms, v], ...]); empty for
  // results written before the engine carried it, or whose lengths disagree.
  json bh = json::array();
  if (engine.is_object() && engine.contains("buy_and_hold") && engine["buy_and_hold"].is_array() &&
      engine["buy_and_hold"].size() == equity.size()) {
    const json& v = engine["buy_and_hold"];
    for (size_t i = 0; i < v.size(); ++i)
      if (equity[i].is_array() && !equity[i].empty())
        bh.push_back(json::array({equity[i][0], v[i]}));
  }
  row["buy_and_hold"] = std::move(bh);
  row["trades"] = engine.is_object() && engine.contains("trades") ? engine["trades"] : empty;
  row["bars"] = engine.is_object() && engine.contains("bars") ? engine["bars"] : json();
  row["period"] = engine.is_object() && engine.contains("period") ? engine["period"] : json();
  row["reproduce"] = ReproduceCommand(sweep_id, index);
  return row;
}

}  // namespace s1mple::explorer
