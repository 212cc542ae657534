#include "producer/analysis.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>

#include "producer/halving.h"
#include "producer/plan_loader.h"

namespace s1mple::producer {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

std::string FormatNumber(double v) {
  return json(v).dump();
}

// The equity curve thinned to at most `max_points` points by even stride, keeping first and
// last (the engine's own downsampling already keeps drawdown extremes when a runner uses it).
json ThinEquity(const json& equity, size_t max_points) {
  if (!equity.is_array() || equity.size() <= max_points || max_points < 2) return equity;
  json out = json::array();
  const size_t n = equity.size();
  for (size_t k = 0; k < max_points; ++k) {
    size_t i = k * (n - 1) / (max_points - 1);
    out.push_back(equity[i]);
  }
  return out;
}

// The causality block in the seed's shape (its aliases alongside the engine's names).
ojson CausalityEntry(const json& causality) {
  ojson out = ojson::object();
  if (!causality.is_object()) return out;
  for (auto it = causality.begin(); it != causality.end(); ++it) out[it.key()] = it.value();
  if (causality.contains("opportunities_detected")) {
    out["opportunity_id_count"] = causality["opportunities_detected"];
  }
  if (causality.contains("threats_detected")) {
    out["threat_id_count"] = causality["threats_detected"];
  }
  return out;
}

}  // namespace

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string CsvCell(const json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return CsvField(value.get<std::string>());
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  return CsvField(value.dump());
}

std::optional<double> MetricValue(const json& result, const std::string& name) {
  for (const char* block : {"metrics", "causality"}) {
    if (!result.contains(block) || !result[block].is_object()) continue;
    auto it = result[block].find(name);
    if (it != result[block].end() && it->is_number()) return it->get<double>();
  }
  return std::nullopt;
}

ConstraintVerdict CheckConstraints(const Plan& plan, const json& result) {
  ConstraintVerdict verdict;
  for (const auto& c : plan.constraints) {
    auto value = MetricValue(result, c.metric);
    if (!value) {
      verdict.ok = false;
      verdict.failures.push_back(c.metric + " undefined");
      continue;
    }
    double v = c.absolute ? std::fabs(*value) : *value;
    if (c.min && v < *c.min) {
      verdict.ok = false;
      verdict.failures.push_back(c.metric + " " + FormatNumber(v) + " < " + FormatNumber(*c.min));
    }
    if (c.max && v > *c.max) {
      verdict.ok = false;
      verdict.failures.push_back(c.metric + " " + FormatNumber(v) + " > " + FormatNumber(*c.max));
    }
  }
  return verdict;
}

SweepAnalyzer::SweepAnalyzer(const JobSpace& space, SweepInfo info, AnalysisOptions options)
    : space_(space), info_(std::move(info)), options_(std::move(options)) {}

SweepAnalyzer::~SweepAnalyzer() {
  // Whatever was not finished (an error, or Finish never called) leaves no file behind but
  // the outputs that were complete before this analysis started.
  std::error_code ec;
  csv_.reset();  // removes results.csv.tmp unless it was committed
  part_.close();
  if (!part_path_.empty()) fs::remove(part_path_, ec);
}

Result<std::unique_ptr<SweepAnalyzer>> SweepAnalyzer::Open(const JobSpace& space, SweepInfo info,
                                                           AnalysisOptions options) {
  std::error_code ec;
  fs::create_directories(options.out_dir, ec);
  if (ec) return Status::IOError(options.out_dir.string() + ": " + ec.message());
  std::unique_ptr<SweepAnalyzer> a(new SweepAnalyzer(space, std::move(info), std::move(options)));
  // results.csv is streamed into a temporary file and renamed at Finish: a reader never sees
  // half a table, and a failed analysis leaves the previous one (if any) in place.
  auto csv = AtomicFile::Create(a->options_.out_dir / kCsvName);
  if (!csv.ok()) return csv.status();
  a->csv_ = std::move(csv).value();
  if (space.plan().kind == PlanKind::kOptimization) {
    a->part_path_ = a->options_.out_dir / ".optimization_results.part";
    a->part_.open(a->part_path_, std::ios::binary | std::ios::trunc);
    if (!a->part_) return Status::IOError(a->part_path_.string() + ": cannot write");
  }
  a->seen_.assign(space.size(), false);
  SweepStatisticsOptions sopts;
  sopts.keep_series = a->options_.write_returns || space.plan().kind == PlanKind::kVariant;
  sopts.cscv_blocks = space.plan().cscv_blocks;
  sopts.expected_runs = space.size();
  a->stats_ = std::make_unique<SweepStatistics>(sopts);
  a->distinct_.resize(space.columns().size());
  if (space.schedule()) a->folds_ = std::make_unique<FoldAnalysis>(space);
  // Header: run_id, index, status, [trial,] [fold, segment,] [rung, fidelity,] varied
  // parameters, metrics, causality counts, verdict, error. `trial`: the trial order of a search
  // other than the grid; rung and fidelity: a halving search's (producer/halving.h).
  std::string header = "run_id,index,status";
  if (space.plan().search.method != SearchMethod::kGrid) header += ",trial";
  if (space.schedule()) header += ",fold,segment";
  if (space.ladder()) header += ",rung,fidelity";
  // (appends in two steps: GCC 12's -Wrestrict misfires on `s += "," + t` at -O3)
  for (const auto& c : space.columns()) header.append(",").append(CsvField(c));
  for (const auto& m : KnownMetrics()) header.append(",").append(m);
  for (const auto& c : KnownCausalityCounts()) header.append(",").append(c);
  header += ",meets_constraints,attempts,error\r\n";
  a->csv_->stream() << header;
  return a;
}

bool SweepAnalyzer::Selected(uint64_t index) const {
  // Halving: the best is judged at full fidelity (the whole data) only.
  if (space_.ladder()) return space_.FidelityOf(index) >= 1.0;
  const FoldSchedule* folds = space_.schedule();
  if (!folds) return true;
  if (folds->mode == ValidationMode::kCpcv) return false;
  return space_.SegmentOf(index) + 2 == folds->segments.size();  // the last fold's IS
}

std::string SweepAnalyzer::RunId(uint64_t index) const {
  std::string id = info_.sweep_id.empty() ? std::string("run") : info_.sweep_id;
  return id.append("/").append(std::to_string(index));
}

void SweepAnalyzer::WriteCsvRow(const JobOutcome& outcome, const VariedParams& varied,
                                const ConstraintVerdict& verdict) {
  std::string row = CsvField(RunId(outcome.index));
  row.append(",").append(std::to_string(outcome.index)).append(outcome.ok ? ",ok" : ",failed");
  if (space_.plan().search.method != SearchMethod::kGrid)
    row.append(",").append(std::to_string(space_.ConfigOf(outcome.index)));
  if (const FoldSchedule* folds = space_.schedule()) {
    const Segment& seg = folds->segments[space_.SegmentOf(outcome.index)];
    row.append(",").append(std::to_string(seg.fold)).append(",").append(SegmentKindName(seg.kind));
  }
  if (space_.ladder()) {
    row.append(",").append(std::to_string(space_.RungOf(outcome.index)));
    row.append(",").append(CsvCell(json(space_.FidelityOf(outcome.index))));
  }
  size_t v = 0;
  for (const auto& column : space_.columns()) {
    row += ",";
    if (v < varied.size() && varied[v].first == column) row += CsvCell(varied[v++].second);
  }
  auto block_cell = [&](const char* block, const std::string& name) {
    if (!outcome.ok || !outcome.result.contains(block)) return std::string();
    const json& b = outcome.result[block];
    return b.contains(name) ? CsvCell(b[name]) : std::string();
  };
  for (const auto& m : KnownMetrics()) row.append(",").append(block_cell("metrics", m));
  for (const auto& c : KnownCausalityCounts()) row.append(",").append(block_cell("causality", c));
  row += ",";
  if (outcome.ok) row += verdict.ok ? "true" : "false";
  row.append(",").append(std::to_string(outcome.attempts)).append(",");
  if (!outcome.ok) row.append(CsvField(outcome.failure_reason));
  csv_->stream() << row << "\r\n";
}

ojson SweepAnalyzer::RunEntry(const JobOutcome& outcome, const VariedParams& varied,
                              const ConstraintVerdict& verdict) const {
  ojson entry = ojson::object();
  entry["run_id"] = RunId(outcome.index);
  entry["index"] = outcome.index;
  if (space_.plan().kind == PlanKind::kVariant) {
    const auto& variant = space_.plan().variants.at(outcome.index);
    entry["variant_name"] = variant.name;
    entry["description"] = variant.description;
  }
  entry["status"] = outcome.ok ? "ok" : "failed";
  if (const FoldSchedule* folds = space_.schedule()) {
    const Segment& seg = folds->segments[space_.SegmentOf(outcome.index)];
    entry["fold"] = seg.fold;
    entry["segment"] = SegmentKindName(seg.kind);
    entry["configuration_index"] = space_.ConfigOf(outcome.index);
  }
  if (space_.ladder()) {
    entry["rung"] = space_.RungOf(outcome.index);
    entry["fidelity"] = space_.FidelityOf(outcome.index);
  }
  entry["configuration"] = space_.Configuration(outcome.index);
  ojson params = ojson::object();
  for (const auto& [column, value] : varied) params[column] = value;
  entry["parameters"] = params;
  if (space_.plan().kind == PlanKind::kVariant)
    entry["overrides"] = space_.Overrides(outcome.index);
  entry["attempts"] = outcome.attempts;
  if (!outcome.ok) {
    entry["reason"] = outcome.failure_reason;
    return entry;
  }
  entry["metrics"] = outcome.result.value("metrics", json::object());
  entry["causality"] = CausalityEntry(outcome.result.value("causality", json::object()));
  entry["meets_constraints"] = verdict.ok;
  if (!verdict.ok) entry["constraint_failures"] = verdict.failures;
  return entry;
}

void SweepAnalyzer::Rank(const JobOutcome& outcome, const ojson& entry) {
  const auto& targets = space_.plan().targets;
  auto score = MetricValue(outcome.result, targets.primary_metric);
  if (!score || !std::isfinite(*score)) return;
  auto better = [&](const Ranked& a, const Ranked& b) {
    if (a.score != b.score) return targets.maximize ? a.score > b.score : a.score < b.score;
    return a.index < b.index;
  };
  feasible_scores_.emplace_back(space_.ConfigOf(outcome.index), *score);
  Ranked r{*score, outcome.index, entry};
  if (top_.size() >= options_.top_n && !top_.empty() && !better(r, top_.back())) return;
  top_.insert(std::upper_bound(top_.begin(), top_.end(), r, better), std::move(r));
  if (top_.size() > options_.top_n) top_.pop_back();
}

Status SweepAnalyzer::Add(const JobOutcome& outcome) {
  if (finished_) return Status::FailedPrecondition("analysis already finished");
  if (outcome.index >= space_.size()) {
    return Status::InvalidArgument("job index " + std::to_string(outcome.index) +
                                   " is outside the sweep (" + std::to_string(space_.size()) +
                                   " jobs)");
  }
  if (seen_[outcome.index]) {
    return Status::FailedPrecondition("job " + std::to_string(outcome.index) +
                                      " was already recorded");
  }
  seen_[outcome.index] = true;
  const VariedParams varied = space_.Varied(outcome.index);
  for (const auto& [column, value] : varied) {
    auto it = std::find(space_.columns().begin(), space_.columns().end(), column);
    auto& seen_values = distinct_[static_cast<size_t>(it - space_.columns().begin())];
    if (seen_values.size() < options_.max_distinct_values &&
        std::find(seen_values.begin(), seen_values.end(), value) == seen_values.end()) {
      seen_values.push_back(value);
    }
  }
  ConstraintVerdict verdict;
  if (outcome.ok) verdict = CheckConstraints(space_.plan(), outcome.result);
  WriteCsvRow(outcome, varied, verdict);
  ojson entry = RunEntry(outcome, varied, verdict);
  const engine::DailyReturns* returns = outcome.returns ? &*outcome.returns : nullptr;
  if (folds_) folds_->Add(outcome.index, outcome.ok, outcome.result, verdict.ok, returns);
  const bool selected = Selected(outcome.index);
  if (outcome.ok && selected) {
    stats_->AddRun(outcome.index, outcome.result, verdict.ok, returns);
  }
  if (outcome.ok) {
    if (const auto w = outcome.result.find("warnings"); w != outcome.result.end() && w->is_array())
      for (const auto& text : *w) {
        if (!text.is_string()) continue;
        auto it = std::find_if(warnings_.begin(), warnings_.end(),
                               [&](const Warning& x) { return x.text == text.get<std::string>(); });
        if (it != warnings_.end()) {
          ++it->runs;
        } else if (warnings_.size() < 100) {
          warnings_.push_back({text.get<std::string>(), 1, outcome.index});
        }
      }
  } else if (selected) {
    stats_->AddFailure(outcome.index);
  }
  if (outcome.ok) {
    ++successful_;
    if (verdict.ok) {
      ++meeting_constraints_;
      if (selected) Rank(outcome, entry);
    }
    if (market_period_.is_null() && outcome.result.contains("period")) {
      market_period_ = outcome.result["period"];
    }
  } else {
    ++failed_;
    if (failures_.size() < options_.max_failures_listed) {
      failures_.push_back({{"run_id", entry["run_id"]},
                           {"index", outcome.index},
                           {"reason", outcome.failure_reason},
                           {"attempts", outcome.attempts},
                           {"parameters", entry["parameters"]}});
    }
  }
  if (space_.plan().kind == PlanKind::kVariant) {
    if (outcome.ok) {
      entry["bars"] = outcome.result.value("bars", json());
      entry["period"] = outcome.result.value("period", json());
      entry["equity_curve"] =
          ThinEquity(outcome.result.value("equity", json::array()), options_.max_equity_points);
    }
    variant_runs_.push_back(std::move(entry));
  } else {
    part_ << (first_part_entry_ ? "" : ",\n") << entry.dump();
    first_part_entry_ = false;
    if (!part_) return Status::IOError(part_path_.string() + ": write failed (disk full?)");
  }
  if (!csv_->stream()) {
    return Status::IOError(csv_->temp_path().string() + ": write failed (disk full?)");
  }
  return Status::Ok();
}

ojson SweepAnalyzer::Summary() const {
  ojson s =
      space_.plan().kind == PlanKind::kOptimization ? OptimizationSummary() : VariantSummary();
  // The engine's warnings (e.g. periods_per_year against the data's calendar), once each.
  ojson warnings = ojson::array();
  for (const auto& w : warnings_)
    warnings.push_back(
        {{"warning", w.text}, {"runs", w.runs}, {"first_run", RunId(w.first_index)}});
  s["warnings"] = std::move(warnings);
  return s;
}

ojson SweepAnalyzer::OptimizationSummary() const {
  const Plan& plan = space_.plan();
  ojson s = ojson::object();
  s["optimization_id"] = info_.sweep_id;
  s["optimization_name"] = plan.name;
  s["description"] = plan.description;
  s["plan_file"] = plan.file.string();
  s["base_operation"] = plan.base_operation;
  s["timestamp"] = info_.started_at;
  s["finished_at"] = info_.finished_at;
  s["total_combinations"] = space_.size();
  if (space_.schedule()) {
    s["configurations"] = space_.configurations();
    s["fold_segments"] = space_.segments();
  }
  s["successful_runs"] = successful_;
  s["failed_runs"] = failed_;
  s["missing_runs"] = space_.size() - successful_ - failed_;
  s["runs_meeting_constraints"] = meeting_constraints_;
  s["optimization_targets"] = {{"primary_metric", plan.targets.primary_metric},
                               {"direction", plan.targets.maximize ? "maximize" : "minimize"},
                               {"secondary_metrics", plan.targets.secondary_metrics}};
  ojson constraints = ojson::array();
  for (const auto& c : plan.constraints) {
    ojson cj = {{"key", c.key}, {"metric", c.metric}};
    cj["min"] = c.min ? json(*c.min) : json();
    cj["max"] = c.max ? json(*c.max) : json();
    cj["absolute"] = c.absolute;
    constraints.push_back(cj);
  }
  s["constraints"] = constraints;
  ojson parameters = ojson::array();
  for (size_t i = 0; i < space_.columns().size(); ++i) {
    parameters.push_back({{"name", space_.columns()[i]}, {"values", distinct_[i]}});
  }
  s["parameters"] = parameters;
  s["metric_names"] = KnownMetrics();
  s["causality_names"] = KnownCausalityCounts();
  if (top_.empty()) {
    s["best_configuration"] = nullptr;
    s["best_configuration_note"] =
        space_.schedule() && space_.schedule()->mode == ValidationMode::kCpcv
            ? "cpcv selects per split: see validation.splits_detail"
        : successful_ == 0 ? "no run succeeded"
        : space_.ladder()  ? "no run of the last rung (full fidelity) meets the constraints with a "
                             "defined " +
                                plan.targets.primary_metric
                          : "no run meets the constraints with a "
                            "defined " +
                                plan.targets.primary_metric;
  } else {
    s["best_configuration"] = top_.front().entry;
  }
  ojson top = ojson::array();
  for (const auto& r : top_) top.push_back(r.entry);
  s["top_configurations"] = top;
  // How the sweep found its best: the trials (in trial = job order) that improved the best
  // primary metric among the runs meeting the constraints (halving: among the last rung's).
  s["search"] = {
      {"method", SearchMethodName(plan.search.method)},
      {"budget", plan.search.method == SearchMethod::kGrid ? json() : json(plan.search.budget)},
      {"seed", plan.search.method == SearchMethod::kGrid ? json() : json(plan.search.seed)},
      {"grid_size", space_.grid_size()},
      {"trials", space_.configurations()}};
  if (const HalvingLadder* ladder = space_.ladder()) {
    std::vector<uint64_t> jobs(ladder->fidelities.size(), 0);
    for (uint64_t i = 0; i < space_.size(); ++i) ++jobs[space_.RungOf(i)];
    ojson rungs = ojson::array();
    for (size_t r = 0; r < ladder->fidelities.size(); ++r) {
      rungs.push_back(
          {{"rung", r},
           {"fidelity", ladder->fidelities[r]},
           {"period", ladder->periods[r].is_null() ? ojson() : ojson(ladder->periods[r])},
           {"jobs", jobs[r]}});
    }
    s["search"]["eta"] = plan.search.eta;
    s["search"]["rungs"] = std::move(rungs);
    s["search"]["best_judged_at"] =
        "full fidelity: best_configuration, top_configurations, best_so_far and overfitting "
        "cover the last rung's runs (the whole data) only";
  }
  std::vector<std::pair<uint64_t, double>> scores = feasible_scores_;
  std::sort(scores.begin(), scores.end());
  ojson history = ojson::array();
  std::optional<double> best;
  for (const auto& [index, score] : scores) {
    if (best && (plan.targets.maximize ? score <= *best : score >= *best)) continue;
    best = score;
    const uint64_t job =
        index + (folds_ ? (space_.segments() - 2) * space_.configurations() : uint64_t{0});
    history.push_back({{"trial", index}, {"run_id", RunId(job)}, {"value", score}});
  }
  s["best_so_far"] = history;
  s["failures"] = failures_;
  if (folds_ && space_.schedule()->mode != ValidationMode::kCpcv) {
    s["best_configuration_selection"] =
        "the winner of the last fold's in-sample segment (validation.folds); the overfitting "
        "block covers that segment's runs";
  }
  s["overfitting"] =
      stats_->Overfitting(top_.empty() ? std::nullopt : std::optional<uint64_t>(top_.front().index),
                          [this](uint64_t i) { return RunId(i); });
  if (folds_) s["validation"] = folds_->Block([this](uint64_t i) { return RunId(i); });
  return s;
}

ojson SweepAnalyzer::VariantSummary() const {
  const Plan& plan = space_.plan();
  ojson s = ojson::object();
  s["test_id"] = info_.sweep_id;
  s["test_name"] = plan.name;
  s["description"] = plan.description;
  s["plan_file"] = plan.file.string();
  s["base_operation"] = plan.base_operation;
  s["timestamp"] = info_.started_at;
  s["finished_at"] = info_.finished_at;
  s["total_variants"] = space_.size();
  s["successful_runs"] = successful_;
  s["failed_runs"] = failed_;
  s["missing_runs"] = space_.size() - successful_ - failed_;
  s["market_period"] = market_period_;
  s["comparison_config"] = {{"metrics", plan.comparison.metrics},
                            {"visualizations", plan.comparison.visualizations},
                            {"causality_analysis", plan.comparison.causality_analysis}};
  std::vector<const ojson*> runs;
  for (const auto& r : variant_runs_) runs.push_back(&r);
  std::sort(runs.begin(), runs.end(), [](const ojson* a, const ojson* b) {
    return (*a)["index"].get<uint64_t>() < (*b)["index"].get<uint64_t>();
  });
  // comparative_analysis: the winner of each question (ties: the earlier variant in the plan).
  struct Question {
    const char* key;
    std::function<std::optional<double>(const ojson&)> value;
    bool maximize;
  };
  auto metric = [](const char* name) {
    return [name](const ojson& run) -> std::optional<double> {
      if (!run.contains("metrics") || !run["metrics"].contains(name) ||
          !run["metrics"][name].is_number()) {
        return std::nullopt;
      }
      return run["metrics"][name].get<double>();
    };
  };
  auto defensive = [](const ojson& run) -> std::optional<double> {
    if (!run.contains("causality")) return std::nullopt;
    const auto& c = run["causality"];
    double detected = c.value("opportunities_detected", 0.0);
    if (detected <= 0) return std::nullopt;
    return c.value("opportunities_rejected", 0.0) / detected;
  };
  auto drawdown = [metric](const ojson& run) -> std::optional<double> {
    auto v = metric("max_drawdown")(run);
    if (!v) return v;
    return std::fabs(*v);
  };
  const Question questions[] = {{"best_sharpe", metric("sharpe_ratio"), true},
                                {"best_return", metric("total_return"), true},
                                {"lowest_drawdown", drawdown, false},
                                {"most_trades", metric("total_trades"), true},
                                {"most_defensive", defensive, true}};
  ojson comparative = ojson::object();
  ojson values = ojson::object();
  for (const auto& q : questions) {
    const ojson* best = nullptr;
    double best_value = 0;
    for (const ojson* run : runs) {
      if ((*run)["status"] != "ok") continue;
      auto v = q.value(*run);
      if (!v || !std::isfinite(*v)) continue;
      if (!best || (q.maximize ? *v > best_value : *v < best_value)) {
        best = run;
        best_value = *v;
      }
    }
    comparative[q.key] = best ? json((*best)["variant_name"].get<std::string>()) : json();
    values[q.key] =
        best ? ojson{{"variant", (*best)["variant_name"]}, {"value", best_value}} : ojson();
  }
  comparative["values"] = values;
  comparative["most_defensive_definition"] =
      "highest opportunities_rejected / opportunities_detected";
  s["comparative_analysis"] = comparative;
  s["statistics"] = stats_->VariantStatistics(plan, [this](uint64_t i) { return RunId(i); });
  return s;
}

Status SweepAnalyzer::WriteOptimizationJson(const ojson& summary) {
  part_.close();
  if (!part_) return Status::IOError(part_path_.string() + ": write failed (disk full?)");
  const fs::path path = options_.out_dir / kOptimizationJsonName;
  auto file = AtomicFile::Create(path);
  if (!file.ok()) return file.status();
  std::ostream& out = (*file)->stream();
  std::string head = summary.dump(2);
  head.pop_back();  // the closing brace: results go last
  while (!head.empty() && (head.back() == '\n' || head.back() == ' ')) head.pop_back();
  out << head << ",\n  \"results\": [";
  // Copied in blocks: `out << part.rdbuf()` would set failbit on an empty part file (a sweep
  // with no finished run), which read as a failed write.
  std::ifstream part(part_path_, std::ios::binary);
  if (!part) return Status::IOError(part_path_.string() + ": cannot read");
  std::vector<char> block(1 << 16);
  bool any = false;
  while (part.read(block.data(), static_cast<std::streamsize>(block.size())) || part.gcount() > 0) {
    if (!any) out << "\n";
    any = true;
    out.write(block.data(), part.gcount());
  }
  out << (any ? "\n  ]\n}\n" : "]\n}\n");
  S1MPLE_RETURN_IF_ERROR((*file)->Commit());
  std::error_code ec;
  fs::remove(part_path_, ec);
  part_path_.clear();
  return Status::Ok();
}

Result<json> SweepAnalyzer::Finish() {
  if (finished_) return Status::FailedPrecondition("analysis already finished");
  finished_ = true;
  S1MPLE_RETURN_IF_ERROR(csv_->Commit());
  if (options_.write_returns) {
    S1MPLE_RETURN_IF_ERROR(
        stats_->WriteReturnsCsv(options_.out_dir / SweepStatistics::kReturnsCsvName,
                                [this](uint64_t i) { return RunId(i); }));
  }
  ojson summary = Summary();
  if (space_.plan().kind == PlanKind::kOptimization) {
    S1MPLE_RETURN_IF_ERROR(WriteOptimizationJson(summary));
  } else {
    ojson full = summary;
    std::vector<ojson> runs = variant_runs_;
    std::sort(runs.begin(), runs.end(), [](const ojson& a, const ojson& b) {
      return a["index"].get<uint64_t>() < b["index"].get<uint64_t>();
    });
    full["results"] = runs;
    const fs::path path = options_.out_dir / kVariantJsonName;
    S1MPLE_RETURN_IF_ERROR(WriteFileAtomically(path, full.dump(2) + "\n"));
  }
  return json::parse(summary.dump());
}

}  // namespace s1mple::producer
