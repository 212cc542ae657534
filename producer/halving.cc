#include "producer/halving.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/config.h"
#include "engine/job.h"
#include "producer/search.h"

namespace s1mple::producer {

namespace {

// f >= 1 up to rounding (0.1 x 3 x 3 x ... lands a hair off).
bool Whole(double f) {
  return f >= 1.0 - 1e-9;
}

uint64_t Keep(uint64_t n, uint64_t eta) {
  return (n + eta - 1) / eta;
}

}  // namespace

std::vector<double> HalvingFidelities(const SearchConfig& search) {
  const double eta = static_cast<double>(std::max<uint64_t>(search.eta, 2));
  double f = search.min_fidelity > 0 ? search.min_fidelity : 1.0 / (eta * eta);
  std::vector<double> out;
  while (!Whole(f) && out.size() < 64) {
    out.push_back(f);
    f *= eta;
  }
  out.push_back(1.0);
  return out;
}

uint64_t HalvingMaxJobs(uint64_t n0, const std::vector<double>& fidelities, uint64_t eta) {
  uint64_t total = 0, n = n0;
  for (size_t r = 0; r < fidelities.size() && n > 0; ++r) {
    total += n;
    n = Keep(n, eta);
  }
  return total;
}

nlohmann::ordered_json HalvingLadder::ToJson() const {
  nlohmann::ordered_json rungs = nlohmann::ordered_json::array();
  for (size_t r = 0; r < fidelities.size(); ++r) {
    rungs.push_back({{"rung", r},
                     {"fidelity", fidelities[r]},
                     {"period", periods[r].is_null() ? nlohmann::ordered_json()
                                                     : nlohmann::ordered_json(periods[r])}});
  }
  return {{"data_range", DataRangeToJson(range)}, {"rungs", std::move(rungs)}};
}

Result<HalvingLadder> MakeHalvingLadder(const SearchConfig& search, const DataRange& range,
                                        const std::string& origin) {
  if (range.last_ms <= range.first_ms)
    return Status::InvalidArgument(origin + ": " + search.yaml_path +
                                   ": halving needs data to cut rungs from, and the data range " +
                                   "has a single bar or none");
  HalvingLadder ladder;
  ladder.range = range;
  ladder.fidelities = HalvingFidelities(search);
  const double span = static_cast<double>(range.last_ms - range.first_ms);
  for (double f : ladder.fidelities) {
    if (Whole(f)) {
      ladder.periods.emplace_back();  // the whole data: the grid's job
      continue;
    }
    // The last f of the span, its start on a whole second (rounded down: a little more data).
    int64_t start = range.last_ms - static_cast<int64_t>(std::ceil(f * span));
    start -= ((start % 1000) + 1000) % 1000;
    engine::Period p;
    p.start = engine::TimestampMs{std::max(start, range.first_ms)};
    p.end = engine::TimestampMs{range.last_ms};
    ladder.periods.push_back(engine::PeriodToJson(p));
  }
  return ladder;
}

HalvingProposer::HalvingProposer(const Plan& plan, uint64_t grid_size)
    : plan_(plan), fidelities_(HalvingFidelities(plan.search)) {
  const uint64_t n0 = std::min(plan.search.budget, grid_size);
  auto drawn = DrawTrials(plan, SearchMethod::kRandom, n0, grid_size);
  // DrawTrials fails only when the draws cannot reach the space; a space that small is whole.
  if (drawn.ok()) {
    rung_configs_ = std::move(drawn).value();
  } else {
    rung_configs_.resize(n0);
    std::iota(rung_configs_.begin(), rung_configs_.end(), uint64_t{0});
  }
  rung_draw_.resize(rung_configs_.size());
  std::iota(rung_draw_.begin(), rung_draw_.end(), uint64_t{0});
  rung_end_ = rung_configs_.size();
  max_trials_ = HalvingMaxJobs(rung_configs_.size(), fidelities_, plan.search.eta);
}

uint64_t HalvingProposer::Visible(uint64_t trial) const {
  // Inside the current rung: the rungs before it. Past it: the whole rung, to promote from.
  return trial < rung_end_ ? rung_start_ : rung_end_;
}

std::optional<ProposedTrial> HalvingProposer::Propose(uint64_t trial,
                                                      const std::vector<TpeObservation>& observed) {
  if (trial >= rung_end_) {
    // The next rung: the best ceil(n / eta) feasible configurations of this one.
    if (rung_ + 1 >= fidelities_.size()) return std::nullopt;
    std::vector<size_t> feasible;
    for (uint64_t t = rung_start_; t < rung_end_; ++t) {
      const TpeObservation& o = observed.at(t);
      if (!o.failed && o.feasible && std::isfinite(o.value)) feasible.push_back(t - rung_start_);
    }
    const bool maximize = plan_.targets.maximize;
    std::stable_sort(feasible.begin(), feasible.end(), [&](size_t a, size_t b) {
      const double x = observed[rung_start_ + a].value, y = observed[rung_start_ + b].value;
      if (x != y) return maximize ? x > y : x < y;
      return rung_draw_[a] < rung_draw_[b];
    });
    const uint64_t keep =
        std::min<uint64_t>(Keep(rung_configs_.size(), plan_.search.eta), feasible.size());
    if (keep == 0) return std::nullopt;  // nothing feasible to promote
    feasible.resize(keep);
    // In draw order.
    std::sort(feasible.begin(), feasible.end(),
              [&](size_t a, size_t b) { return rung_draw_[a] < rung_draw_[b]; });
    std::vector<uint64_t> configs, draw;
    for (size_t k : feasible) configs.push_back(rung_configs_[k]), draw.push_back(rung_draw_[k]);
    rung_configs_ = std::move(configs);
    rung_draw_ = std::move(draw);
    ++rung_;
    rung_start_ = rung_end_;
    rung_end_ = rung_start_ + rung_configs_.size();
  }
  if (trial < rung_start_ || trial >= rung_end_) return std::nullopt;  // asked out of order
  return ProposedTrial{rung_configs_[trial - rung_start_], rung_};
}

}  // namespace s1mple::producer
