#include "producer/search.h"

#include <boost/random/sobol.hpp>

#include <cmath>
#include <random>
#include <string>
#include <unordered_set>

namespace s1mple::producer {

namespace {

// Where a coordinate of a point goes: the option chooser of a dimension, or one axis of one
// option.
struct Coordinate {
  size_t dimension;
  int option;  // -1: chooses the dimension's option
  size_t axis;
};

std::vector<Coordinate> Layout(const Plan& plan) {
  std::vector<Coordinate> out;
  for (size_t d = 0; d < plan.dimensions.size(); ++d) {
    const auto& dim = plan.dimensions[d];
    if (dim.options.size() > 1) out.push_back({d, -1, 0});
    for (size_t o = 0; o < dim.options.size(); ++o) {
      for (size_t a = 0; a < dim.options[o].axes.size(); ++a) {
        out.push_back({d, static_cast<int>(o), a});
      }
    }
  }
  return out;
}

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
uint64_t GridIndex(const Plan& plan, const std::vector<Coordinate>& layout,
                   const std::vector<uint64_t>& bits) {
  const auto& dims = plan.dimensions;
  std::vector<size_t> option(dims.size(), 0);
  for (size_t c = 0; c < layout.size(); ++c) {
    if (layout[c].option < 0) {
      option[layout[c].dimension] = Pick(bits[c], dims[layout[c].dimension].options.size());
    }
  }
  // Each chosen option's axis values, mixed radix with the last axis fastest.
  std::vector<uint64_t> within(dims.size(), 0);
  for (size_t c = 0; c < layout.size(); ++c) {
    const auto& co = layout[c];
    if (co.option < 0 || static_cast<size_t>(co.option) != option[co.dimension]) continue;
    const auto& axis = dims[co.dimension].options[co.option].axes[co.axis];
    within[co.dimension] =
        within[co.dimension] * axis.values.size() + Pick(bits[c], axis.values.size());
  }
  uint64_t index = 0;
  for (size_t d = 0; d < dims.size(); ++d) {
    uint64_t digit = within[d];
    for (size_t o = 0; o < option[d]; ++o) digit += dims[d].options[o].size();
    index = index * dims[d].size() + digit;
  }
  return index;
}

}  // namespace

Result<std::vector<uint64_t>> SelectTrials(const Plan& plan, uint64_t grid_size) {
  const SearchConfig& search = plan.search;
  if (search.method == SearchMethod::kGrid || search.budget >= grid_size)
    return std::vector<uint64_t>{};
  const std::vector<Coordinate> layout = Layout(plan);
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
