#include "producer/sweep_statistics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <span>

#include "common/atomic_file.h"
#include "engine/calendar.h"
#include "engine/result.h"
#include "producer/result_fields.h"

namespace s1mple::producer {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {
constexpr const char* kSharpeUnit =
    "per day: mean / sample standard deviation of the daily returns, not annualized";

json Num(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

}  // namespace

SweepStatistics::SweepStatistics(SweepStatisticsOptions options) : options_(std::move(options)) {
  runs_.reserve(options_.expected_runs);
}

void SweepStatistics::AddFailure(uint64_t) {
  ++trials_;
  ++failed_;
}

void SweepStatistics::AddRun(uint64_t index, const json& result, bool meets_constraints,
                             const engine::DailyReturns* parsed) {
  ++trials_;
  if (!meets_constraints) ++rejected_;
  std::optional<engine::DailyReturns> holder;
  const engine::DailyReturns* returns = ReturnsOf(result, parsed, holder);
  if (returns == nullptr || returns->size() == 0) {
    ++without_returns_;
    return;
  }
  if (!layout_) {
    grid_ = returns->days;
    const size_t blocks = std::max<size_t>(2, options_.cscv_blocks);
    layout_.emplace(blocks, static_cast<int64_t>(grid_.size()));
    cscv_possible_ = true;
    for (size_t b = 0; b < blocks; ++b)
      cscv_possible_ = cscv_possible_ && layout_->block_days(b) >= 2;
    // Too few days for CSCV (e.g. 17 days in 16 blocks): no block sums are kept at all.
    if (cscv_possible_) block_sums_.reserve(options_.expected_runs * 2 * blocks);
  }
  Run run;
  run.index = index;
  const size_t blocks = layout_->blocks();
  run.sums_at = block_sums_.size();
  double* sums = nullptr;
  double* squares = nullptr;
  if (cscv_possible_) {
    block_sums_.resize(block_sums_.size() + 2 * blocks, 0.0);
    sums = &block_sums_[run.sums_at];
    squares = sums + blocks;
  }
  const bool on_grid = returns->days == grid_;
  for (size_t i = 0; i < returns->size(); ++i) {
    const double r = returns->values[i];
    if (!std::isfinite(r)) continue;  // an equity of 0: no return that day
    run.moments.Add(r);
    if (!sums) continue;
    size_t pos = i;
    if (!on_grid) {
      // A day off the calendar (a run that traded other bars) counts in the block of the
      // calendar day before it.
      const auto at = std::upper_bound(grid_.begin(), grid_.end(), returns->days[i]);
      pos = at == grid_.begin() ? 0 : static_cast<size_t>(at - grid_.begin()) - 1;
    }
    const size_t b = grid_.empty() ? 0 : layout_->BlockOf(static_cast<int64_t>(pos));
    sums[b] += r;
    squares[b] += r * r;
  }
  if (options_.keep_series) {
    run.days = returns->days;
    run.values = returns->values;
  }
  runs_.push_back(std::move(run));
}

const SweepStatistics::Run* SweepStatistics::Find(uint64_t index) const {
  for (const Run& r : runs_)
    if (r.index == index) return &r;
  return nullptr;
}

ojson SweepStatistics::Overfitting(std::optional<uint64_t> selected, const RunIdFn& run_id) const {
  std::vector<const Run*> runs;
  for (const Run& r : runs_) runs.push_back(&r);
  std::sort(runs.begin(), runs.end(),
            [](const Run* a, const Run* b) { return a->index < b->index; });
  ojson o = ojson::object();
  o["trials"] = trials_;
  o["trials_failed"] = failed_;
  o["trials_rejected_by_constraints"] = rejected_;
  o["runs_with_returns"] = runs.size();
  o["sharpe_unit"] = kSharpeUnit;

  // The variance of the Sharpe ratios across the trials that have one.
  stats::Moments sharpes;
  for (const Run* r : runs) {
    const double s = r->moments.Sharpe();
    if (std::isfinite(s)) sharpes.Add(s);
  }
  const double variance = sharpes.n >= 2 ? sharpes.Variance() : 0.0;

  ojson dsr = nullptr;
  std::string dsr_note;
  const Run* best = selected ? Find(*selected) : nullptr;
  if (!selected) {
    dsr_note = "no configuration was selected (none meets the constraints)";
  } else if (!best) {
    dsr_note = "the selected run has no daily returns";
  } else {
    stats::DeflatedSharpeInputs in;
    in.sharpe = best->moments.Sharpe();
    in.observations = best->moments.n;
    in.skewness = best->moments.Skewness();
    in.kurtosis = best->moments.Kurtosis();
    in.sharpe_variance = variance;
    in.trials = static_cast<int64_t>(trials_);
    auto d = std::isfinite(in.skewness) && std::isfinite(in.kurtosis)
                 ? stats::ComputeDeflatedSharpe(in)
                 : std::nullopt;
    if (!d) {
      dsr_note =
          "the selected run's Sharpe ratio is undefined (fewer than 2 returns or no variance)";
    } else {
      dsr = ojson::object();
      dsr["value"] = Num(d->dsr);
      dsr["selected_run"] = run_id(best->index);
      dsr["sharpe_ratio"] = Num(in.sharpe);
      dsr["sr0"] = Num(d->sr0);
      dsr["skewness"] = Num(in.skewness);
      dsr["kurtosis"] = Num(in.kurtosis);
      dsr["observations"] = in.observations;
      dsr["sharpe_variance"] = Num(variance);
      dsr["trials"] = in.trials;
      dsr["z"] = Num(d->z);
    }
  }
  o["deflated_sharpe_ratio"] = dsr;
  if (!dsr_note.empty()) o["deflated_sharpe_ratio_note"] = dsr_note;

  ojson pbo_json = nullptr;
  ojson degradation = nullptr;
  ojson loss = nullptr;
  std::string why = "no run has daily returns";
  if (layout_ && !cscv_possible_) {
    why = "fewer than 2 days in a block (too few days for cscv_blocks)";
  } else if (layout_) {
    stats::BlockSums sums(layout_->blocks(), layout_->days());
    const size_t blocks = layout_->blocks();
    for (const Run* r : runs) {
      const std::span<const double> s(block_sums_.data() + r->sums_at, 2 * blocks);
      sums.AddSums(s.first(blocks), s.subspan(blocks));
    }
    if (auto p = stats::ComputePbo(sums, &why)) {
      pbo_json = ojson::object();
      pbo_json["value"] = Num(p->pbo);
      pbo_json["cscv_blocks"] = p->blocks;
      pbo_json["cscv_splits"] = p->splits;
      pbo_json["configurations"] = p->configurations;
      pbo_json["observations"] = p->observations;
      pbo_json["median_logit"] = Num(p->median_logit);
      degradation = ojson::object();
      degradation["slope"] = Num(p->degradation_slope);
      degradation["intercept"] = Num(p->degradation_intercept);
      degradation["mean_is_sharpe"] = Num(p->mean_is_sharpe);
      degradation["mean_oos_sharpe"] = Num(p->mean_oos_sharpe);
      loss = Num(p->probability_of_oos_loss);
      why.clear();
    }
  }
  o["probability_of_backtest_overfitting"] = pbo_json;
  o["performance_degradation"] = degradation;
  o["probability_of_oos_loss"] = loss;
  if (!why.empty()) o["probability_of_backtest_overfitting_note"] = why;
  return o;
}

ojson SweepStatistics::VariantStatistics(const Plan& plan, const RunIdFn& run_id) const {
  ojson s = ojson::object();
  size_t baseline = 0;
  for (size_t i = 0; i < plan.variants.size(); ++i)
    if (!plan.comparison.baseline.empty() && plan.variants[i].name == plan.comparison.baseline)
      baseline = i;
  const std::string base_name = plan.variants.empty() ? "" : plan.variants[baseline].name;
  s["baseline"] = base_name;
  s["method"] = "circular block bootstrap of the paired daily returns (Politis & Romano 1992)";
  s["sharpe_unit"] = kSharpeUnit;
  s["resamples"] = options_.bootstrap.resamples;
  s["confidence"] = options_.bootstrap.confidence;
  s["seed"] = options_.bootstrap.seed;
  const Run* base = Find(baseline);
  ojson variants = ojson::array();
  std::vector<double> p_values;
  std::vector<size_t> tested;  // positions in `variants` with a p-value
  for (size_t i = 0; i < plan.variants.size(); ++i) {
    if (i == baseline) continue;
    ojson v = ojson::object();
    v["variant"] = plan.variants[i].name;
    v["run_id"] = run_id(i);
    const Run* run = Find(i);
    std::string note;
    if (!base) note = "the baseline has no daily returns (failed or missing)";
    if (!run && note.empty()) note = "no daily returns (failed or missing)";
    std::optional<stats::SharpeDifference> d;
    int64_t common = 0;
    if (note.empty()) {
      // Paired on the days both have.
      std::vector<double> a, b;
      size_t x = 0, y = 0;
      while (x < run->days.size() && y < base->days.size()) {
        if (run->days[x] < base->days[y]) {
          ++x;
        } else if (base->days[y] < run->days[x]) {
          ++y;
        } else {
          if (std::isfinite(run->values[x]) && std::isfinite(base->values[y])) {
            a.push_back(run->values[x]);
            b.push_back(base->values[y]);
          }
          ++x;
          ++y;
        }
      }
      common = static_cast<int64_t>(a.size());
      d = stats::TestSharpeDifference(a, b, options_.bootstrap);
      if (!d) note = "fewer than 8 common days or an undefined Sharpe ratio";
    }
    if (d) {
      v["sharpe_ratio"] = Num(run->moments.Sharpe());
      v["baseline_sharpe_ratio"] = Num(base->moments.Sharpe());
      v["sharpe_difference"] = Num(d->difference);
      v["ci_low"] = Num(d->ci_low);
      v["ci_high"] = Num(d->ci_high);
      v["p_value"] = Num(d->p_value);
      v["holm_p_value"] = nullptr;  // filled below
      v["observations"] = d->observations;
      v["block_length"] = d->block_length;
      p_values.push_back(d->p_value);
      tested.push_back(variants.size());
    } else {
      v["sharpe_difference"] = nullptr;
      v["observations"] = common;
      v["note"] = note;
    }
    variants.push_back(std::move(v));
  }
  const std::vector<double> holm = stats::HolmAdjust(p_values);
  for (size_t k = 0; k < tested.size(); ++k) variants[tested[k]]["holm_p_value"] = Num(holm[k]);
  s["variants"] = std::move(variants);
  return s;
}

Status SweepStatistics::WriteReturnsCsv(const fs::path& path, const RunIdFn& run_id) const {
  std::vector<const Run*> runs;
  for (const Run& r : runs_) runs.push_back(&r);
  std::sort(runs.begin(), runs.end(),
            [](const Run* a, const Run* b) { return a->index < b->index; });
  std::vector<int64_t> days;
  for (const Run* r : runs) days.insert(days.end(), r->days.begin(), r->days.end());
  std::sort(days.begin(), days.end());
  days.erase(std::unique(days.begin(), days.end()), days.end());
  // Atomic (common/atomic_file.h): a reader sees the previous file or the complete new one.
  auto file = AtomicFile::Create(path);
  if (!file.ok()) return file.status();
  std::ostream& out = (*file)->stream();
  std::string line = "date";
  for (const Run* r : runs) line.append(",").append(run_id(r->index));
  out << line << "\r\n";
  std::vector<size_t> at(runs.size(), 0);
  char buf[32];
  for (int64_t day : days) {
    line = engine::FormatIsoDate(day);
    for (size_t k = 0; k < runs.size(); ++k) {
      line += ',';
      const Run& r = *runs[k];
      if (at[k] < r.days.size() && r.days[at[k]] == day) {
        const double v = r.values[at[k]++];
        if (std::isfinite(v)) {
          std::snprintf(buf, sizeof buf, "%.10g", v);
          line += buf;
        }
      }
    }
    out << line << "\r\n";
  }
  return (*file)->Commit();
}

}  // namespace s1mple::producer
