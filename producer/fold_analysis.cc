#include "producer/fold_analysis.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "engine/result.h"
#include "producer/analysis.h"
#include "producer/plan_loader.h"
#include "producer/result_fields.h"

namespace s1mple::producer {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr size_t kMaxScatterPoints = 5000;

json Num(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

json Num(const std::optional<double>& v) {
  return v ? Num(*v) : json(nullptr);
}

ojson Window(engine::DayNumber from, engine::DayNumber to) {
  return {{"start", engine::FormatIsoDate(from)},
          {"end", engine::FormatIsoDate(to - 1)},
          {"days", to - from}};
}

// Spearman's rank correlation of the pairs with both values finite (average ranks for ties).
std::optional<double> RankCorrelation(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<size_t> keep;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::isfinite(a[i]) && std::isfinite(b[i])) keep.push_back(i);
  if (keep.size() < 3) return std::nullopt;
  auto ranks = [&](const std::vector<double>& v) {
    std::vector<size_t> order(keep.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](size_t x, size_t y) { return v[keep[x]] < v[keep[y]]; });
    std::vector<double> r(keep.size());
    for (size_t i = 0; i < order.size();) {
      size_t j = i;
      while (j + 1 < order.size() && v[keep[order[j + 1]]] == v[keep[order[i]]]) ++j;
      for (size_t k = i; k <= j; ++k) r[order[k]] = (static_cast<double>(i + j) / 2.0) + 1;
      i = j + 1;
    }
    return r;
  };
  const auto ra = ranks(a), rb = ranks(b);
  const double n = static_cast<double>(ra.size());
  const double mean = (n + 1) / 2;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) * (ra[i] - mean);
    sbb += (rb[i] - mean) * (rb[i] - mean);
  }
  if (saa <= 0 || sbb <= 0) return std::nullopt;
  return sab / std::sqrt(saa * sbb);
}

}  // namespace

const std::vector<std::string>& CpcvUnionMetrics() {
  static const std::vector<std::string> kUnion = [] {
    std::vector<std::string> m = {"sharpe_ratio", "sortino_ratio", "total_return",
                                  "cagr",         "max_drawdown",  "calmar",
                                  "win_rate",     "total_trades",  "avg_trade_duration"};
    for (const auto& c : KnownCausalityCounts()) m.push_back(c);
    return m;
  }();
  return kUnion;
}

bool IsCpcvUnionMetric(const std::string& name) {
  const auto& m = CpcvUnionMetrics();
  return std::find(m.begin(), m.end(), name) != m.end();
}

std::optional<double> FoldAnalysis::Sums::Sharpe() const {
  if (n < 2) return std::nullopt;
  const double mean = s / n;
  const double var = (s2 - n * mean * mean) / (n - 1);
  if (!(var > 0)) return std::nullopt;
  return mean / std::sqrt(var);
}

FoldAnalysis::FoldAnalysis(const JobSpace& space)
    : space_(space), schedule_(*space.schedule()), configs_(space.configurations()) {
  if (schedule_.mode == ValidationMode::kCpcv) {
    groups_.resize(schedule_.segments.size() * configs_);
    for (const auto& seg : schedule_.segments)
      embargo_end_.push_back(space.plan().validation.embargo.count > 0
                                 ? AddDuration(seg.start_day, space.plan().validation.embargo)
                                 : seg.start_day);
    return;
  }
  folds_.resize(schedule_.folds.size());
  is_scores_.assign(schedule_.folds.size() * configs_, kNaN);
  oos_scores_.assign(schedule_.folds.size() * configs_, kNaN);
}

double FoldAnalysis::Score(const json& result) const {
  auto v = MetricValue(result, space_.plan().targets.primary_metric);
  return v && std::isfinite(*v) ? *v : kNaN;
}

bool FoldAnalysis::Better(double a, uint64_t ca, double b, uint64_t cb) const {
  if (a != b) return space_.plan().targets.maximize ? a > b : a < b;
  return ca < cb;
}

void FoldAnalysis::Add(uint64_t index, bool ok, const json& result, bool meets,
                       const engine::DailyReturns* parsed) {
  const uint64_t config = space_.ConfigOf(index);
  const Segment& seg = schedule_.segments[space_.SegmentOf(index)];
  std::optional<engine::DailyReturns> holder;
  const engine::DailyReturns* returns = ok ? ReturnsOf(result, parsed, holder) : nullptr;
  if (ok && annualize_ == 0) {
    // sqrt(periods_per_year): metrics.sharpe_ratio over the per-day Sharpe ratio of the same run.
    auto sharpe = MetricValue(result, "sharpe_ratio");
    if (sharpe) {
      if (const engine::DailyReturns* r = returns) {
        Sums sums;
        for (double v : r->values)
          if (std::isfinite(v)) sums.Add(v);
        if (auto daily = sums.Sharpe(); daily && std::fabs(*daily) > 1e-12)
          annualize_ = *sharpe / *daily;
      }
    }
  }
  if (schedule_.mode == ValidationMode::kCpcv) {
    AddCpcv(config, seg.fold, ok, result, returns);
    return;
  }
  FoldState& fold = folds_[seg.fold];
  const size_t at = seg.fold * configs_ + config;
  const double score = ok ? Score(result) : kNaN;
  if (seg.kind == SegmentKind::kInSample) {
    ++fold.is_seen;
    is_scores_[at] = score;
    if (ok && meets && std::isfinite(score)) {
      ++fold.eligible;
      if (!fold.best || Better(score, config, fold.best->score, fold.best->config))
        fold.best = Candidate{score, config, result.value("metrics", json::object())};
    }
    if (fold.is_seen == configs_) {
      // The fold's IS is complete: its winner is final, so only its OOS run is kept.
      for (auto it = fold.oos.begin(); it != fold.oos.end();)
        it = fold.best && it->first == fold.best->config ? std::next(it) : fold.oos.erase(it);
    }
    return;
  }
  oos_scores_[at] = score;
  if (!ok) return;
  if (fold.is_seen == configs_ && (!fold.best || fold.best->config != config)) return;
  OosRun run;
  run.metrics = result.value("metrics", json::object());
  run.meets = meets;
  if (returns) {
    run.days = returns->days;
    run.values = returns->values;
  }
  fold.oos[config] = std::move(run);
}

std::optional<uint64_t> FoldAnalysis::LatestWinner() const {
  if (folds_.empty() || !folds_.back().best) return std::nullopt;
  return folds_.back().best->config;
}

ojson FoldAnalysis::Block(const RunIdFn& run_id) const {
  ojson b;
  const ValidationConfig& v = space_.plan().validation;
  b["mode"] = ValidationModeName(schedule_.mode);
  b["data_range"] = DataRangeToJson(schedule_.range);
  switch (schedule_.mode) {
    case ValidationMode::kHoldout:
      if (v.split_day)
        b["split"] = engine::FormatIsoDate(*v.split_day);
      else
        b["fraction"] = v.fraction;
      break;
    case ValidationMode::kWalkForward:
      b["train"] = v.train.text;
      b["test"] = v.test.text;
      b["step"] = v.step.text;
      b["anchored"] = v.anchored;
      break;
    case ValidationMode::kCpcv:
      b["groups"] = v.groups;
      b["test_groups"] = v.test_groups;
      b["embargo"] = v.embargo.count > 0 ? v.embargo.text : "0";
      break;
    case ValidationMode::kNone:
      break;
  }
  b["configurations"] = configs_;
  b["primary_metric"] = space_.plan().targets.primary_metric;
  b["direction"] = space_.plan().targets.maximize ? "maximize" : "minimize";
  if (schedule_.mode == ValidationMode::kCpcv) {
    b["selection"] =
        "per split: the best " + space_.plan().targets.primary_metric +
        " of the train groups joined in time order (embargoed days left out) among "
        "configurations whose train-group runs all succeeded and whose joined train groups meet "
        "the constraints (ties: the lower configuration); test groups never enter the selection";
    b.update(CpcvBlock());
    return b;
  }
  b["selection"] =
      "per fold: the best in-sample " + space_.plan().targets.primary_metric +
      " among runs meeting the constraints (ties: the lower configuration); out-of-sample "
      "results never enter the selection";
  b.update(FoldsBlock(run_id));
  return b;
}

ojson FoldAnalysis::FoldsBlock(const RunIdFn& run_id) const {
  ojson out;
  const uint64_t oos_base = configs_;  // the OOS segment of fold f is segment 2f + 1
  ojson folds = ojson::array();
  std::vector<double> is_winner, oos_winner, is_cagr, oos_cagr;
  // The stitched OOS series: each fold's winner over its OOS window, up to the next fold's.
  std::vector<std::pair<int64_t, double>> stitched;
  for (size_t f = 0; f < folds_.size(); ++f) {
    const Fold& fw = schedule_.folds[f];
    const FoldState& st = folds_[f];
    ojson fj;
    fj["fold"] = fw.index;
    fj["in_sample"] = Window(fw.is_start, fw.is_end);
    fj["out_of_sample"] = Window(fw.oos_start, fw.oos_end);
    fj["in_sample_runs"] = st.is_seen;
    fj["in_sample_complete"] = st.is_seen == configs_;
    fj["eligible"] = st.eligible;
    std::vector<double> is_col(
        is_scores_.begin() + static_cast<std::ptrdiff_t>(f * configs_),
        is_scores_.begin() + static_cast<std::ptrdiff_t>((f + 1) * configs_));
    std::vector<double> oos_col(
        oos_scores_.begin() + static_cast<std::ptrdiff_t>(f * configs_),
        oos_scores_.begin() + static_cast<std::ptrdiff_t>((f + 1) * configs_));
    fj["is_oos_rank_correlation"] = Num(RankCorrelation(is_col, oos_col));
    if (!st.best) {
      fj["winner"] = nullptr;
      fj["winner_note"] = st.is_seen == 0 ? "no in-sample run recorded"
                                          : "no in-sample run meets the constraints with a "
                                            "defined " +
                                                space_.plan().targets.primary_metric;
      folds.push_back(std::move(fj));
      continue;
    }
    const Candidate& w = *st.best;
    const uint64_t is_job = (2 * f) * oos_base + w.config;
    const uint64_t oos_job = (2 * f + 1) * oos_base + w.config;
    ojson wj;
    wj["configuration_index"] = w.config;
    ojson params = ojson::object();
    for (const auto& [column, value] : space_.Varied(is_job)) params[column] = value;
    wj["parameters"] = std::move(params);
    wj["in_sample_run"] = run_id(is_job);
    wj["out_of_sample_run"] = run_id(oos_job);
    wj["in_sample"] = w.metrics;
    const auto oos = st.oos.find(w.config);
    if (oos == st.oos.end()) {
      wj["out_of_sample"] = nullptr;
      wj["out_of_sample_note"] = "its out-of-sample run is not recorded (missing or failed)";
    } else {
      wj["out_of_sample"] = oos->second.metrics;
      wj["out_of_sample_meets_constraints"] = oos->second.meets;
      const engine::DayNumber until =
          f + 1 < folds_.size() ? schedule_.folds[f + 1].oos_start : fw.oos_end;
      for (size_t i = 0; i < oos->second.days.size(); ++i) {
        const double r = oos->second.values[i];
        if (oos->second.days[i] < until && std::isfinite(r) &&
            (stitched.empty() || oos->second.days[i] > stitched.back().first))
          stitched.emplace_back(oos->second.days[i], r);
      }
      is_winner.push_back(w.score);
      oos_winner.push_back(Score(json{{"metrics", oos->second.metrics}}));
      auto ic = MetricValue(json{{"metrics", w.metrics}}, "cagr");
      auto oc = MetricValue(json{{"metrics", oos->second.metrics}}, "cagr");
      if (ic && oc) {
        is_cagr.push_back(*ic);
        oos_cagr.push_back(*oc);
      }
    }
    fj["winner"] = std::move(wj);
    folds.push_back(std::move(fj));
  }
  out["folds"] = std::move(folds);

  // Stitched OOS: the fold winners' daily returns compounded from 1.
  ojson s;
  Sums sums;
  double equity = 1, peak = 1, max_dd = 0;
  ojson curve = ojson::array();
  for (const auto& [day, r] : stitched) {
    sums.Add(r);
    equity *= 1 + r;
    peak = std::max(peak, equity);
    if (peak > 0) max_dd = std::max(max_dd, (peak - equity) / peak * 100);
    curve.push_back({engine::FormatIsoDate(day), equity});
  }
  if (stitched.empty()) {
    out["stitched_out_of_sample"] = nullptr;
  } else {
    s["start"] = engine::FormatIsoDate(stitched.front().first);
    s["end"] = engine::FormatIsoDate(stitched.back().first);
    s["days"] = stitched.size();
    s["total_return"] = Num((equity - 1) * 100);
    const double years =
        static_cast<double>(stitched.back().first - stitched.front().first + 1) / 365.25;
    s["cagr"] = Num(equity > 0 && years > 0 ? (std::pow(equity, 1 / years) - 1) * 100 : kNaN);
    s["max_drawdown"] = Num(max_dd);
    const auto daily = sums.Sharpe();
    s["sharpe_ratio_per_day"] = Num(daily);
    s["sharpe_ratio"] = Num(daily && annualize_ > 0 ? *daily * annualize_ : kNaN);
    s["equity_curve"] = std::move(curve);
    out["stitched_out_of_sample"] = std::move(s);
  }

  // Walk-forward efficiency: mean OOS over mean IS of the fold winners.
  auto efficiency = [](const std::vector<double>& is, const std::vector<double>& oos) -> ojson {
    std::vector<double> a, b;
    for (size_t i = 0; i < is.size(); ++i)
      if (std::isfinite(is[i]) && std::isfinite(oos[i])) {
        a.push_back(is[i]);
        b.push_back(oos[i]);
      }
    if (a.empty()) return nullptr;
    const double mi = std::accumulate(a.begin(), a.end(), 0.0) / static_cast<double>(a.size());
    const double mo = std::accumulate(b.begin(), b.end(), 0.0) / static_cast<double>(b.size());
    ojson e{{"mean_in_sample", mi}, {"mean_out_of_sample", mo}, {"folds", a.size()}};
    e["value"] = mi > 0 ? Num(mo / mi) : json(nullptr);
    if (!(mi > 0)) e["note"] = "the mean in-sample value is not positive: no ratio";
    return e;
  };
  ojson wfe = efficiency(is_winner, oos_winner);
  if (wfe.is_object()) wfe["metric"] = space_.plan().targets.primary_metric;
  out["walk_forward_efficiency"] = std::move(wfe);
  ojson wfe_cagr = efficiency(is_cagr, oos_cagr);
  if (wfe_cagr.is_object()) wfe_cagr["metric"] = "cagr";
  out["walk_forward_efficiency_cagr"] = std::move(wfe_cagr);

  // IS against OOS primary metric of every configuration in every fold (thinned evenly).
  ojson points = ojson::array();
  uint64_t both = 0;
  for (size_t i = 0; i < is_scores_.size(); ++i)
    if (std::isfinite(is_scores_[i]) && std::isfinite(oos_scores_[i])) ++both;
  const uint64_t every = std::max<uint64_t>(1, (both + kMaxScatterPoints - 1) / kMaxScatterPoints);
  uint64_t k = 0;
  for (size_t i = 0; i < is_scores_.size(); ++i) {
    if (!std::isfinite(is_scores_[i]) || !std::isfinite(oos_scores_[i])) continue;
    if (k++ % every != 0) continue;
    const uint64_t f = i / configs_, c = i % configs_;
    const bool winner = folds_[f].best && folds_[f].best->config == c;
    points.push_back({f, c, is_scores_[i], oos_scores_[i], winner});
  }
  out["is_vs_oos"] = {
      {"metric", space_.plan().targets.primary_metric},
      {"columns", {"fold", "configuration_index", "in_sample", "out_of_sample", "winner"}},
      {"pairs", both},
      {"points", std::move(points)}};
  return out;
}

void FoldAnalysis::AddCpcv(uint64_t config, uint32_t group, bool ok, const json& result,
                           const engine::DailyReturns* r) {
  GroupRun& g = groups_[group * configs_ + config];
  g = GroupRun{};
  if (!ok || r == nullptr) return;
  g.ok = true;
  for (size_t i = 0; i < r->size(); ++i) {
    const double v = r->values[i];
    if (!std::isfinite(v)) continue;
    g.returns.push_back(v);
    if (r->days[i] < embargo_end_[group]) ++g.embargo_days;
  }
  g.trades = MetricValue(result, "total_trades").value_or(0);
  auto per_trade = [&](const char* name, double scale) {
    if (g.trades == 0) return 0.0;
    const auto v = MetricValue(result, name);
    return v ? *v * g.trades / scale : kNaN;
  };
  // win_rate is wins / trades x 100 of whole numbers: the wins come back exactly when rounded.
  g.wins = std::round(per_trade("win_rate", 100));
  g.trade_hours = per_trade("avg_trade_duration", 1);
  g.max_drawdown = std::fabs(MetricValue(result, "max_drawdown").value_or(0));
  for (const auto& c : KnownCausalityCounts())
    g.counts.push_back(MetricValue(result, c).value_or(0));
}

std::optional<json> FoldAnalysis::Union(const std::vector<Piece>& pieces,
                                        std::optional<double>* per_day) const {
  std::vector<double> returns, equity{1.0};
  double trades = 0, wins = 0, hours = 0, days = 0, piece_drawdown = 0;
  std::vector<double> counts(KnownCausalityCounts().size(), 0.0);
  for (const Piece& p : pieces) {
    const GroupRun& run = groups_[p.group * configs_ + p.config];
    if (!run.ok) return std::nullopt;
    const Segment& seg = schedule_.segments[p.group];
    const size_t skip = p.cut ? run.embargo_days : 0;
    returns.insert(returns.end(), run.returns.begin() + static_cast<std::ptrdiff_t>(skip),
                   run.returns.end());
    days += static_cast<double>(
        seg.end_day - (p.cut ? std::max(seg.start_day, embargo_end_[p.group]) : seg.start_day));
    trades += run.trades;
    wins += run.wins;
    hours += run.trade_hours;
    // A run the embargo does not cut lies whole in the union: its per-bar drawdown (which sees
    // the troughs inside a day) is one of the union's.
    if (!p.cut || run.embargo_days == 0)
      piece_drawdown = std::max(piece_drawdown, run.max_drawdown);
    for (size_t i = 0; i < counts.size() && i < run.counts.size(); ++i) counts[i] += run.counts[i];
  }
  // The union as one curve: compounded from 1 at each day's close, over its calendar days.
  for (double r : returns) equity.push_back(equity.back() * (1 + r));
  engine::Metrics m = engine::ComputeCurveMetrics(equity, days / 365.25, returns, 1.0);
  if (per_day) *per_day = m.sharpe_ratio;
  auto annualized = [&](std::optional<double> v) {
    return v && annualize_ > 0 ? std::optional<double>(*v * annualize_) : std::nullopt;
  };
  m.sharpe_ratio = annualized(m.sharpe_ratio);
  m.sortino_ratio = annualized(m.sortino_ratio);
  if (piece_drawdown > m.max_drawdown) {
    m.max_drawdown = piece_drawdown;
    m.calmar = m.cagr && m.max_drawdown > 0 ? std::optional<double>(*m.cagr / m.max_drawdown)
                                            : std::nullopt;
  }
  m.total_trades = static_cast<int64_t>(trades);
  if (trades > 0 && std::isfinite(wins)) m.win_rate = 100.0 * wins / trades;
  if (trades > 0 && std::isfinite(hours)) m.avg_trade_duration = hours / trades;
  json metrics = engine::MetricsToJson(m);
  metrics.erase("profit_factor");
  json causality = json::object();
  for (size_t i = 0; i < counts.size(); ++i) causality[KnownCausalityCounts()[i]] = counts[i];
  return json{{"metrics", std::move(metrics)},
              {"causality", std::move(causality)},
              {"days", returns.size()}};
}

bool FoldAnalysis::Meets(const json& result) const {
  return CheckConstraints(space_.plan(), result).ok;
}

ojson FoldAnalysis::CpcvBlock() const {
  ojson out;
  ojson groups = ojson::array();
  for (const auto& seg : schedule_.segments) {
    ojson gj = Window(seg.start_day, seg.end_day);
    gj["group"] = seg.fold;
    groups.push_back(std::move(gj));
  }
  out["groups_detail"] = std::move(groups);
  const size_t n_groups = schedule_.segments.size();
  std::vector<std::optional<uint64_t>> winners;
  ojson splits = ojson::array();
  uint64_t below_median = 0, ranked = 0, oos_losses = 0;
  std::vector<double> is_sr, oos_sr, is_value, oos_value;
  for (const auto& split : schedule_.splits) {
    std::optional<uint64_t> best;
    double best_score = 0;
    json best_is;
    std::optional<double> best_sr;
    uint64_t eligible = 0;
    std::vector<double> oos_all(configs_, kNaN);
    std::vector<json> oos_results(configs_);
    std::vector<std::optional<double>> oos_per_day(configs_);
    for (uint64_t c = 0; c < configs_; ++c) {
      std::vector<Piece> test;
      for (uint32_t g : split.test_groups) test.push_back({g, c, false});
      if (auto u = Union(test, &oos_per_day[c])) {
        oos_all[c] = Score(*u);
        oos_results[c] = std::move(*u);
      }
      std::vector<Piece> train;
      for (uint32_t g : split.train_groups) {
        const bool after_test =
            g > 0 && std::binary_search(split.test_groups.begin(), split.test_groups.end(), g - 1);
        train.push_back({g, c, after_test && !split.embargoed.empty()});
      }
      std::optional<double> sr;
      const auto u = Union(train, &sr);
      if (!u || !Meets(*u)) continue;
      const double score = Score(*u);
      if (!std::isfinite(score)) continue;
      ++eligible;
      if (!best || Better(score, c, best_score, *best)) {
        best = c;
        best_score = score;
        best_is = *u;
        best_sr = sr;
      }
    }
    winners.push_back(best);
    ojson sj;
    sj["test_groups"] = split.test_groups;
    sj["eligible"] = eligible;
    if (!best) {
      sj["winner"] = nullptr;
      splits.push_back(std::move(sj));
      continue;
    }
    const double oos = oos_all[*best];
    sj["winner"] = *best;
    sj["in_sample_value"] = best_score;
    sj["out_of_sample_value"] = Num(oos);
    sj["in_sample_sharpe_per_day"] = Num(best_sr);
    sj["out_of_sample_sharpe_per_day"] = Num(oos_per_day[*best]);
    sj["in_sample"] = best_is["metrics"];
    sj["out_of_sample"] =
        oos_results[*best].is_null() ? json(nullptr) : oos_results[*best]["metrics"];
    if (std::isfinite(oos)) {
      // The winner's OOS rank among every configuration's (ties half; better = the direction):
      // at or below the median means the selection did no better than a configuration picked
      // at random (CSCV's logit <= 0).
      double below = 0, total = 0;
      for (double o : oos_all) {
        if (!std::isfinite(o)) continue;
        total += 1;
        below += o == oos ? 0.5 : (Better(oos, 0, o, 0) ? 1 : 0);
      }
      const double w = below / (total + 1) + 0.5 / (total + 1);
      if (w <= 0.5) ++below_median;
      ++ranked;
      is_value.push_back(best_score);
      oos_value.push_back(oos);
    }
    if (best_sr && oos_per_day[*best]) {
      if (*oos_per_day[*best] < 0) ++oos_losses;
      is_sr.push_back(*best_sr);
      oos_sr.push_back(*oos_per_day[*best]);
    }
    splits.push_back(std::move(sj));
  }
  out["splits_detail"] = std::move(splits);
  out["probability_of_backtest_overfitting"] =
      ranked ? Num(static_cast<double>(below_median) / static_cast<double>(ranked)) : json();
  out["probability_of_oos_loss"] =
      is_sr.empty() ? json()
                    : Num(static_cast<double>(oos_losses) / static_cast<double>(is_sr.size()));
  auto mean = [](const std::vector<double>& v) {
    return v.empty() ? kNaN
                     : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  };
  out["mean_in_sample"] = Num(mean(is_value));
  out["mean_out_of_sample"] = Num(mean(oos_value));
  out["mean_in_sample_sharpe_per_day"] = Num(mean(is_sr));
  out["mean_out_of_sample_sharpe_per_day"] = Num(mean(oos_sr));
  // OOS paths (López de Prado): each group is OOS in C(N-1, K-1) splits; path p joins, for
  // every group, the group's returns under the winner of the p-th split that tests it.
  const size_t paths =
      schedule_.splits.empty()
          ? 0
          : schedule_.splits.size() * schedule_.splits[0].test_groups.size() / n_groups;
  ojson path_json = ojson::array();
  for (size_t p = 0; p < paths; ++p) {
    std::vector<Piece> pieces;
    bool complete = true;
    for (uint32_t g = 0; g < n_groups; ++g) {
      size_t seen = 0;
      for (size_t s = 0; s < schedule_.splits.size(); ++s) {
        const auto& t = schedule_.splits[s].test_groups;
        if (!std::binary_search(t.begin(), t.end(), g)) continue;
        if (seen++ != p) continue;
        if (!winners[s]) {
          complete = false;
        } else {
          pieces.push_back({g, *winners[s], false});
        }
        break;
      }
    }
    std::optional<double> sr;
    const auto u = complete ? Union(pieces, &sr) : std::nullopt;
    ojson pj;
    pj["path"] = p;
    pj["sharpe_ratio_per_day"] = u ? Num(sr) : json();
    pj["sharpe_ratio"] = u ? (*u)["metrics"]["sharpe_ratio"] : json();
    pj["days"] = u ? (*u)["days"] : json(0);
    pj["value"] = u ? Num(Score(*u)) : json();
    pj["metrics"] = u ? (*u)["metrics"] : json();
    path_json.push_back(std::move(pj));
  }
  out["paths"] = std::move(path_json);
  return out;
}

}  // namespace s1mple::producer
