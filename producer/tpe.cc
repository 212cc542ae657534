#include "producer/tpe.h"

#include <algorithm>
#include <boost/math/special_functions/erf.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

namespace s1mple::producer {

namespace {

using Rng = std::mt19937_64;

// Uniform in [0, 1) from the top 53 bits (std::mt19937_64's output is fixed by the standard).
double Uniform(Rng& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

uint64_t UniformIndex(Rng& rng, uint64_t n) {
  return std::min<uint64_t>(n - 1, static_cast<uint64_t>(Uniform(rng) * static_cast<double>(n)));
}

double NormalCdf(double z) {
  return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

// Optuna's default_gamma: the size of the good group.
size_t Gamma(size_t n) {
  return std::min<size_t>((n + 9) / 10, 25);
}

// Optuna's default_weights: flat for fewer than 25, else a ramp from 1/n for the oldest.
std::vector<double> DefaultWeights(size_t n) {
  std::vector<double> w(n, 1.0);
  if (n < 25) return w;
  const size_t ramp = n - 25;
  for (size_t i = 0; i < ramp; ++i) {
    // numpy.linspace(1 / n, 1, num = ramp)
    const double lo = 1.0 / static_cast<double>(n);
    w[i] =
        ramp == 1 ? lo : lo + (1.0 - lo) * static_cast<double>(i) / static_cast<double>(ramp - 1);
  }
  return w;
}

// A one-dimensional Parzen estimator over value indexes 0 .. n-1 of one coordinate.
class Parzen {
 public:
  Parzen(const SearchCoordinate& c, const std::vector<uint64_t>& values, double prior_weight)
      : categorical_(c.categorical), n_(c.size) {
    std::vector<double> weights = DefaultWeights(values.size());
    weights.push_back(prior_weight);
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    for (double& w : weights) w /= total;
    weights_ = weights;
    if (categorical_) {
      // Optuna's rows: prior_weight / (observations + 1) everywhere, + 1 at the observed value,
      // normalised; the prior's row is uniform.
      const double p = prior_weight / static_cast<double>(values.size() + 1);
      for (uint64_t v : values) {
        std::vector<double> row(n_, p);
        row[v] += 1.0;
        const double s = 1.0 + p * static_cast<double>(n_);
        for (double& x : row) x /= s;
        rows_.push_back(std::move(row));
      }
      rows_.emplace_back(n_, 1.0 / static_cast<double>(n_));
      return;
    }
    low_ = -0.5;
    high_ = static_cast<double>(n_) - 0.5;
    const double prior_mu = 0.5 * (low_ + high_), prior_sigma = high_ - low_;
    // Kernel widths: the larger distance to a neighbour among the sorted centres (prior
    // included) and the bounds, the outermost ones taking their inner neighbour only.
    std::vector<double> mus;
    for (uint64_t v : values) mus.push_back(static_cast<double>(v));
    mus.push_back(prior_mu);
    std::vector<size_t> order(mus.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return mus[a] < mus[b]; });
    std::vector<double> with_ends{low_};
    for (size_t i : order) with_ends.push_back(mus[i]);
    with_ends.push_back(high_);
    std::vector<double> sorted_sigma(order.size());
    for (size_t k = 0; k < order.size(); ++k) {
      sorted_sigma[k] =
          std::max(with_ends[k + 1] - with_ends[k], with_ends[k + 2] - with_ends[k + 1]);
    }
    if (with_ends.size() >= 4) {
      sorted_sigma.front() = with_ends[2] - with_ends[1];
      sorted_sigma.back() = with_ends[with_ends.size() - 2] - with_ends[with_ends.size() - 3];
    }
    sigmas_.assign(mus.size(), 0);
    for (size_t k = 0; k < order.size(); ++k) sigmas_[order[k]] = sorted_sigma[k];
    sigmas_.back() = prior_sigma;
    const double max_sigma = high_ - low_;
    const double min_sigma =
        (high_ - low_) / std::min(100.0, 1.0 + static_cast<double>(mus.size()));
    for (double& s : sigmas_) s = std::clamp(s, min_sigma, max_sigma);
    mus_ = std::move(mus);
  }

  uint64_t Sample(Rng& rng) const {
    const size_t k = PickComponent(rng);
    if (categorical_) {
      double u = Uniform(rng), acc = 0;
      for (uint64_t v = 0; v < n_; ++v) {
        acc += rows_[k][v];
        if (u < acc) return v;
      }
      return n_ - 1;
    }
    const double a = NormalCdf((low_ - mus_[k]) / sigmas_[k]);
    const double b = NormalCdf((high_ - mus_[k]) / sigmas_[k]);
    const double u = std::clamp(a + (b - a) * Uniform(rng), 1e-300, 1.0 - 1e-16);
    const double x = mus_[k] + sigmas_[k] * std::sqrt(2.0) * boost::math::erf_inv(2.0 * u - 1.0);
    const double r = std::round(std::clamp(x, 0.0, static_cast<double>(n_ - 1)));
    return static_cast<uint64_t>(r);
  }

  double LogPmf(uint64_t v) const {
    double p = 0;
    for (size_t k = 0; k < weights_.size(); ++k) {
      if (categorical_) {
        p += weights_[k] * rows_[k][v];
        continue;
      }
      const double x = static_cast<double>(v);
      const double z =
          NormalCdf((high_ - mus_[k]) / sigmas_[k]) - NormalCdf((low_ - mus_[k]) / sigmas_[k]);
      const double mass =
          NormalCdf((x + 0.5 - mus_[k]) / sigmas_[k]) - NormalCdf((x - 0.5 - mus_[k]) / sigmas_[k]);
      if (z > 0) p += weights_[k] * mass / z;
    }
    return std::log(std::max(p, std::numeric_limits<double>::min()));
  }

 private:
  size_t PickComponent(Rng& rng) const {
    double u = Uniform(rng), acc = 0;
    for (size_t k = 0; k < weights_.size(); ++k) {
      acc += weights_[k];
      if (u < acc) return k;
    }
    return weights_.size() - 1;
  }

  bool categorical_;
  uint64_t n_;
  double low_ = 0, high_ = 0;
  std::vector<double> weights_;
  std::vector<double> mus_, sigmas_;       // ordinal
  std::vector<std::vector<double>> rows_;  // categorical
};

// Optuna's multivariate estimator (multivariate=True): one kernel per observation over every
// coordinate at once, so the good group's combinations are proposed together (parameters that
// only work in pairs). Widths by Scott's rule as Optuna has them: sigma0 = 0.2 * n^(-1 / (d + 4))
// of the range; a categorical coordinate's kernel is Optuna's smoothed row. A coordinate an
// observation does not use (an axis of an option it did not choose) gets the prior there.
class JointParzen {
 public:
  JointParzen(const std::vector<SearchCoordinate>& layout,
              const std::vector<const std::vector<uint64_t>*>& points,
              const std::vector<std::vector<bool>>& active, double prior_weight)
      : layout_(layout) {
    const size_t n = points.size();
    std::vector<double> w = DefaultWeights(n);
    w.push_back(prior_weight);
    const double total = std::accumulate(w.begin(), w.end(), 0.0);
    for (double& x : w) x /= total;
    weights_ = w;
    const double sigma0 = 0.2 * std::pow(static_cast<double>(std::max<size_t>(n, 1)),
                                         -1.0 / (static_cast<double>(layout.size()) + 4.0));
    kernels_.assign(n + 1, std::vector<Kernel>(layout.size()));
    for (size_t c = 0; c < layout.size(); ++c) {
      const double size = static_cast<double>(layout[c].size);
      const double range = size;  // [-0.5, n - 0.5]
      const double p = prior_weight / static_cast<double>(n + 1);
      for (size_t k = 0; k <= n; ++k) {
        Kernel& K = kernels_[k][c];
        const bool prior = k == n || !active[k][c];
        if (layout[c].categorical) {
          K.row.assign(layout[c].size, prior ? 1.0 / size : p / (1.0 + p * size));
          if (!prior) K.row[(*points[k])[c]] += 1.0 / (1.0 + p * size);
        } else if (prior) {
          K.mu = 0.5 * (size - 1.0);
          K.sigma = range;
        } else {
          K.mu = static_cast<double>((*points[k])[c]);
          K.sigma = std::clamp(sigma0 * range,
                               range / std::min(100.0, 1.0 + static_cast<double>(n + 1)), range);
        }
      }
    }
  }

  std::vector<uint64_t> Sample(Rng& rng) const {
    double u = Uniform(rng), acc = 0;
    size_t k = weights_.size() - 1;
    for (size_t i = 0; i < weights_.size(); ++i) {
      acc += weights_[i];
      if (u < acc) {
        k = i;
        break;
      }
    }
    std::vector<uint64_t> point(layout_.size());
    for (size_t c = 0; c < layout_.size(); ++c) {
      const Kernel& K = kernels_[k][c];
      const uint64_t n = layout_[c].size;
      if (layout_[c].categorical) {
        double v = Uniform(rng), a = 0;
        point[c] = n - 1;
        for (uint64_t j = 0; j < n; ++j) {
          a += K.row[j];
          if (v < a) {
            point[c] = j;
            break;
          }
        }
        continue;
      }
      const double lo = -0.5, hi = static_cast<double>(n) - 0.5;
      const double a = NormalCdf((lo - K.mu) / K.sigma), b = NormalCdf((hi - K.mu) / K.sigma);
      const double q = std::clamp(a + (b - a) * Uniform(rng), 1e-300, 1.0 - 1e-16);
      const double x = K.mu + K.sigma * std::sqrt(2.0) * boost::math::erf_inv(2.0 * q - 1.0);
      point[c] = static_cast<uint64_t>(std::round(std::clamp(x, 0.0, static_cast<double>(n - 1))));
    }
    return point;
  }

  // log density of `point` over the coordinates it uses.
  double LogPdf(const std::vector<uint64_t>& point, const std::vector<bool>& use) const {
    double p = 0;
    for (size_t k = 0; k < weights_.size(); ++k) {
      double term = weights_[k];
      for (size_t c = 0; c < layout_.size() && term > 0; ++c) {
        if (!use[c]) continue;
        const Kernel& K = kernels_[k][c];
        if (layout_[c].categorical) {
          term *= K.row[point[c]];
          continue;
        }
        const double n = static_cast<double>(layout_[c].size), x = static_cast<double>(point[c]);
        const double z = NormalCdf((n - 0.5 - K.mu) / K.sigma) - NormalCdf((-0.5 - K.mu) / K.sigma);
        const double mass =
            NormalCdf((x + 0.5 - K.mu) / K.sigma) - NormalCdf((x - 0.5 - K.mu) / K.sigma);
        term *= z > 0 ? mass / z : 0;
      }
      p += term;
    }
    return std::log(std::max(p, std::numeric_limits<double>::min()));
  }

 private:
  struct Kernel {
    double mu = 0, sigma = 1;
    std::vector<double> row;
  };
  const std::vector<SearchCoordinate>& layout_;
  std::vector<double> weights_;
  std::vector<std::vector<Kernel>> kernels_;  // [kernel][coordinate]
};

}  // namespace

TpeSampler::TpeSampler(const Plan& plan, TpeOptions options)
    : plan_(plan), layout_(SearchLayout(plan)), options_(options) {}

uint64_t TpeSampler::GridIndex(const std::vector<uint64_t>& point) const {
  return GridIndexOfPoint(plan_, layout_, point);
}

std::optional<std::vector<uint64_t>> TpeSampler::Propose(
    uint64_t trial, const std::vector<TpeObservation>& observed,
    const std::vector<std::vector<uint64_t>>& pending,
    const std::function<bool(uint64_t)>& taken) const {
  // Trial j's draws come from its own stream: a proposal depends on nothing but its inputs.
  std::seed_seq seq{static_cast<uint32_t>(options_.seed),
                    static_cast<uint32_t>(options_.seed >> 32), static_cast<uint32_t>(trial),
                    static_cast<uint32_t>(trial >> 32), 0x7e5u};
  Rng rng(seq);
  auto random_point = [&] {
    std::vector<uint64_t> p(layout_.size());
    for (size_t c = 0; c < layout_.size(); ++c) p[c] = UniformIndex(rng, layout_[c].size);
    return p;
  };
  auto untaken = [&](const std::vector<uint64_t>& p) { return !taken(GridIndex(p)); };

  if (trial >= options_.startup_trials && !observed.empty()) {
    // Rank: feasible by the metric, then infeasible by the metric, then failed; ties by trial.
    auto tier = [&](const TpeObservation& o) { return o.failed ? 2 : o.feasible ? 0 : 1; };
    auto better = [&](size_t a, size_t b) {
      const auto &x = observed[a], &y = observed[b];
      if (tier(x) != tier(y)) return tier(x) < tier(y);
      if (tier(x) == 2) return false;
      return options_.maximize ? x.value > y.value : x.value < y.value;
    };
    if (options_.multivariate) {
      std::vector<size_t> rank(observed.size());
      std::iota(rank.begin(), rank.end(), 0);
      std::stable_sort(rank.begin(), rank.end(), better);
      std::vector<bool> good(observed.size(), false);
      for (size_t k = 0; k < Gamma(rank.size()); ++k) good[rank[k]] = true;
      std::vector<const std::vector<uint64_t>*> below, above;
      std::vector<std::vector<bool>> below_active, above_active;
      auto uses = [&](const std::vector<uint64_t>& p) {
        std::vector<bool> u(layout_.size());
        for (size_t c = 0; c < layout_.size(); ++c) u[c] = CoordinateActive(layout_, p, c);
        return u;
      };
      for (size_t i = 0; i < observed.size(); ++i) {
        (good[i] ? below : above).push_back(&observed[i].point);
        (good[i] ? below_active : above_active).push_back(uses(observed[i].point));
      }
      for (const auto& p : pending) above.push_back(&p), above_active.push_back(uses(p));
      const JointParzen l(layout_, below, below_active, options_.prior_weight);
      const JointParzen g(layout_, above, above_active, options_.prior_weight);
      for (int attempt = 0; attempt < 32; ++attempt) {
        std::vector<uint64_t> best;
        double best_score = -std::numeric_limits<double>::infinity();
        for (uint64_t k = 0; k < std::max<uint64_t>(options_.candidates, 1); ++k) {
          std::vector<uint64_t> cand = l.Sample(rng);
          if (taken(GridIndex(cand))) continue;
          const std::vector<bool> u = uses(cand);
          const double score = l.LogPdf(cand, u) - g.LogPdf(cand, u);
          if (score > best_score) best_score = score, best = std::move(cand);
        }
        if (!best.empty()) return best;
      }
    } else {
      for (int attempt = 0; attempt < 32; ++attempt) {
        std::vector<uint64_t> point(layout_.size(), 0);
        // Coordinates in layout order: an option chooser comes before its option's axes, so an
        // axis knows whether the point being built uses it.
        for (size_t c = 0; c < layout_.size(); ++c) {
          if (!CoordinateActive(layout_, point, c)) continue;
          // The trials where this coordinate is active, split as Optuna does per parameter: the
          // best gamma(n) are the good group; both groups in trial order (liars last).
          std::vector<size_t> seen;
          for (size_t i = 0; i < observed.size(); ++i) {
            if (CoordinateActive(layout_, observed[i].point, c)) seen.push_back(i);
          }
          std::vector<size_t> rank = seen;
          std::stable_sort(rank.begin(), rank.end(), better);
          std::vector<bool> good(observed.size(), false);
          for (size_t k = 0; k < Gamma(rank.size()); ++k) good[rank[k]] = true;
          std::vector<uint64_t> below, above;
          for (size_t i : seen) (good[i] ? below : above).push_back(observed[i].point[c]);
          for (const auto& p : pending) {
            if (CoordinateActive(layout_, p, c)) above.push_back(p[c]);
          }
          const Parzen l(layout_[c], below, options_.prior_weight);
          const Parzen g(layout_[c], above, options_.prior_weight);
          uint64_t best = 0;
          double best_score = -std::numeric_limits<double>::infinity();
          for (uint64_t k = 0; k < std::max<uint64_t>(options_.candidates, 1); ++k) {
            const uint64_t v = l.Sample(rng);
            const double score = l.LogPmf(v) - g.LogPmf(v);
            if (score > best_score) best_score = score, best = v;
          }
          point[c] = best;
        }
        if (untaken(point)) return point;
      }
    }
  }
  // The startup trials, and a proposal the estimator kept repeating: untried points at random.
  for (int draw = 0; draw < 4096; ++draw) {
    std::vector<uint64_t> point = random_point();
    if (untaken(point)) return point;
  }
  return std::nullopt;  // (nearly) every point is taken: the caller runs what is left in order
}

}  // namespace s1mple::producer
