// Which points of a plan's job space a sweep runs (optimization_config.search, PLANS.md
// "Search"): every point for a grid, or `budget` distinct points for random and Sobol search.
//
// A point is chosen coordinate by coordinate. Each dimension with more than one option has a
// coordinate that picks the option (each option equally likely, whatever its size), and every
// axis of every option has a coordinate of its own that picks its value: u in [0, 1) selects
// value floor(u * n) of n. So each parameter is sampled on its own, as a random or Sobol
// search over a continuous box would, and its 1-D projection is stratified for Sobol.
//
// random: u = the top 53 bits of std::mt19937_64(seed) (the standard fixes its output, so the
//         draws are the same on every platform and compiler), coordinate by coordinate.
// sobol:  boost::random::sobol (Joe and Kuo's direction numbers), one point per trial, each
//         coordinate XOR-ed with a 64-bit digital shift drawn from std::mt19937_64(seed) (a
//         random digital shift keeps every elementary interval's count, hence the
//         stratification; seed 0 shifts too).
//
// A drawn point that repeats an earlier trial is skipped (no configuration runs twice), and
// drawing goes on until `budget` distinct points are found. A budget at or above the grid's
// size gives the whole grid in grid order. The selection is a pure function of the plan's
// dimensions and its search section: the same plan text gives the same trials in the same
// order, so resume, `s1mple results` and every runner see the same sweep.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "producer/plan.h"

namespace s1mple::producer {

// A point of the job space, coordinate by coordinate: each dimension with more than one option
// has a coordinate that picks the option, and every axis of every option has one that picks its
// value. A point is a value index per coordinate (an axis coordinate of an option the point did
// not choose is ignored). Samplers that learn (producer/tpe.h) work on this layout.
struct SearchCoordinate {
  size_t dimension = 0;
  int option = -1;  // -1: this coordinate picks the dimension's option; else the option's axis
  size_t axis = 0;
  uint64_t size = 1;         // the number of values (options) it chooses from
  bool categorical = false;  // options, and axes whose values are not all numbers
  std::string name;          // the results column, or the dimension's name for an option
};
std::vector<SearchCoordinate> SearchLayout(const Plan& plan);

// The grid index (producer/expansion.h's job order) of the point whose coordinate c has value
// index point[c] (point.size() == layout.size(), point[c] < layout[c].size).
uint64_t GridIndexOfPoint(const Plan& plan, const std::vector<SearchCoordinate>& layout,
                          const std::vector<uint64_t>& point);

// Whether coordinate c matters for `point`: option choosers always do, an axis only when the
// point chose its option.
bool CoordinateActive(const std::vector<SearchCoordinate>& layout,
                      const std::vector<uint64_t>& point, size_t c);

// The inverse of GridIndexOfPoint: the point of grid index `index` (inactive axes are 0).
std::vector<uint64_t> PointOfGridIndex(const Plan& plan,
                                       const std::vector<SearchCoordinate>& layout, uint64_t index);

// The grid indexes (producer/expansion.h's job order) of the trials, in trial order. Empty for
// a grid search (the caller runs every index) and for tpe (proposed as results arrive,
// producer/adaptive.h), unless its budget covers the grid. `grid_size` is the product over the
// dimensions.
[[nodiscard]] Result<std::vector<uint64_t>> SelectTrials(const Plan& plan, uint64_t grid_size);

// `budget` distinct grid indexes drawn as `method` (random or sobol) draws them from the plan's
// seed, in draw order; the whole grid in grid order when the budget covers it (SelectTrials'
// draws; halving's first rung, producer/halving.h).
[[nodiscard]] Result<std::vector<uint64_t>> DrawTrials(const Plan& plan, SearchMethod method,
                                                       uint64_t budget, uint64_t grid_size);

}  // namespace s1mple::producer
