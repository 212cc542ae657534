#include "producer/search.h"

#include <boost/random/sobol.hpp>

#include <cmath>
#include <random>
#include <string>
#include <unordered_set>

namespace s1mple::producer {

namespace {

// floor(u * n) for u = bits / 2^64, exactly (no rounding up to n).
// The high 64 bits of the 128-bit product, from 32-bit halves (ISO C++ has no __int128).
uint64_t Pick(uint64_t bits, uint64_t n) {
  const uint64_t a_lo = bits & 0xffffffffu, a_hi = bits >> 32;
  const uint64_t b_lo = n & 0xffffffffu, b_hi = n >> 32;
  const uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi;
  const uint64_t cross = (lo_lo >> 32) + (hi_lo & 0xffffffffu) + lo_hi;
  return a_hi * b_hi + (hi_lo >> 32) + (cross >> 32);
}

// The grid index of the point whose coordinates (as 64-bit fractions) are `bits`.
uint64_t GridIndex(const Plan& plan, const std::vector<SearchCoordinate>& layout,
                   const std::vector<uint64_t>& bits) {
  std::vector<uint64_t> point(layout.size(), 0);
  for (size_t c = 0; c < layout.size(); ++c) point[c] = Pick(bits[c], layout[c].size);
  return GridIndexOfPoint(plan, layout, point);
}

}  // namespace

std::vector<SearchCoordinate> SearchLayout(const Plan& plan) {
  std::vector<SearchCoordinate> out;
  for (size_t d = 0; d < plan.dimensions.size(); ++d) {
    const auto& dim = plan.dimensions[d];
    if (dim.options.size() > 1) {
      SearchCoordinate c;
      c.dimension = d;
      c.size = dim.options.size();
      c.categorical = true;
      c.name = dim.name;
      out.push_back(std::move(c));
    }
    for (size_t o = 0; o < dim.options.size(); ++o) {
      for (size_t a = 0; a < dim.options[o].axes.size(); ++a) {
        const Axis& axis = dim.options[o].axes[a];
        SearchCoordinate c;
        c.dimension = d;
        c.option = static_cast<int>(o);
        c.axis = a;
        c.size = axis.values.size();
        c.categorical = !axis.values.numeric();
        c.name = axis.column;
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

namespace {
// The option each dimension's point chose (0 for a dimension of one option).
std::vector<size_t> ChosenOptions(const Plan& plan, const std::vector<SearchCoordinate>& layout,
                                  const std::vector<uint64_t>& point) {
  std::vector<size_t> option(plan.dimensions.size(), 0);
  for (size_t c = 0; c < layout.size(); ++c) {
    if (layout[c].option < 0) option[layout[c].dimension] = point[c];
  }
  return option;
}
}  // namespace

bool CoordinateActive(const std::vector<SearchCoordinate>& layout,
                      const std::vector<uint64_t>& point, size_t c) {
  if (layout[c].option < 0) return true;
  for (size_t k = 0; k < layout.size(); ++k) {
    if (layout[k].option < 0 && layout[k].dimension == layout[c].dimension)
      return point[k] == static_cast<uint64_t>(layout[c].option);
  }
  return true;  // a dimension of one option
}

uint64_t GridIndexOfPoint(const Plan& plan, const std::vector<SearchCoordinate>& layout,
                          const std::vector<uint64_t>& point) {
  const auto& dims = plan.dimensions;
  const std::vector<size_t> option = ChosenOptions(plan, layout, point);
  // Each chosen option's axis values, mixed radix with the last axis fastest.
  std::vector<uint64_t> within(dims.size(), 0);
  for (size_t c = 0; c < layout.size(); ++c) {
    const auto& co = layout[c];
    if (co.option < 0 || static_cast<size_t>(co.option) != option[co.dimension]) continue;
    within[co.dimension] = within[co.dimension] * co.size + point[c];
  }
  uint64_t index = 0;
  for (size_t d = 0; d < dims.size(); ++d) {
    uint64_t digit = within[d];
    for (size_t o = 0; o < option[d]; ++o) digit += dims[d].options[o].size();
    index = index * dims[d].size() + digit;
  }
  return index;
}

std::vector<uint64_t> PointOfGridIndex(const Plan& plan,
                                       const std::vector<SearchCoordinate>& layout,
                                       uint64_t index) {
  const auto& dims = plan.dimensions;
  std::vector<uint64_t> digit(dims.size(), 0);
  for (size_t d = dims.size(); d-- > 0;) {
    digit[d] = index % dims[d].size();
    index /= dims[d].size();
  }
  std::vector<uint64_t> point(layout.size(), 0);
  for (size_t d = 0; d < dims.size(); ++d) {
    size_t o = 0;
    uint64_t within = digit[d];
    while (within >= dims[d].options[o].size()) within -= dims[d].options[o].size(), ++o;
    // The axes of option o, last axis fastest.
    for (size_t c = layout.size(); c-- > 0;) {
      const auto& co = layout[c];
      if (co.dimension != d) continue;
      if (co.option < 0) {
        point[c] = o;
      } else if (static_cast<size_t>(co.option) == o) {
        point[c] = within % co.size;
        within /= co.size;
      }
    }
  }
  return point;
}

Result<std::vector<uint64_t>> SelectTrials(const Plan& plan, uint64_t grid_size) {
  const SearchConfig& search = plan.search;
  if (search.method == SearchMethod::kGrid || search.budget >= grid_size)
    return std::vector<uint64_t>{};
  // TPE and halving propose their trials from results as they are recorded
  // (producer/adaptive.h).
  if (search.method == SearchMethod::kTpe || search.method == SearchMethod::kHalving)
    return std::vector<uint64_t>{};
  return DrawTrials(plan, search.method, search.budget, grid_size);
}

Result<std::vector<uint64_t>> DrawTrials(const Plan& plan, SearchMethod method, uint64_t budget,
                                         uint64_t grid_size) {
  SearchConfig search = plan.search;
  search.method = method;
  search.budget = budget;
  if (budget >= grid_size) {
    std::vector<uint64_t> all(grid_size);
    for (uint64_t i = 0; i < grid_size; ++i) all[i] = i;
    return all;
  }
  const std::vector<SearchCoordinate> layout = SearchLayout(plan);
  std::vector<uint64_t> trials;
  trials.reserve(search.budget);
  std::unordered_set<uint64_t> seen;
  std::mt19937_64 rng(search.seed);
  std::vector<uint64_t> bits(layout.size(), 0);
  std::vector<uint64_t> shift(layout.size(), 0);
  std::unique_ptr<boost::random::sobol> sobol;
  if (search.method == SearchMethod::kSobol) {
    if (layout.size() > 3667) {
      return Status::InvalidArgument(plan.origin() + ": " + search.yaml_path +
                                     ": sobol supports up to 3,667 parameters, the plan has " +
                                     std::to_string(layout.size()));
    }
    for (auto& s : shift) s = rng();
    if (!layout.empty()) sobol = std::make_unique<boost::random::sobol>(layout.size());
  }
  // Skipped repeats are bounded: a space this small is run whole above, so more than 64 draws
  // per trial (plus the grid) means the sampler cannot reach the rest of it.
  const uint64_t max_draws = 64 * search.budget + grid_size;
  for (uint64_t draw = 0; trials.size() < search.budget; ++draw) {
    if (draw >= max_draws) {
      return Status::Internal(plan.origin() + ": " + search.yaml_path + ": found only " +
                              std::to_string(trials.size()) + " distinct configurations in " +
                              std::to_string(draw) + " draws");
    }
    if (search.method == SearchMethod::kRandom) {
      for (auto& b : bits) b = rng();
    } else if (draw == 0) {
      // Point 0 of the sequence (boost's generator starts at point 1): with it the first 2^k
      // trials are the whole first 2^k points, stratified in every 1-D projection.
      bits = shift;
    } else {
      for (size_t c = 0; c < bits.size(); ++c)
        bits[c] = static_cast<uint64_t>((*sobol)()) ^ shift[c];
    }
    const uint64_t index = layout.empty() ? 0 : GridIndex(plan, layout, bits);
    if (seen.insert(index).second) trials.push_back(index);
  }
  return trials;
}

}  // namespace s1mple::producer
