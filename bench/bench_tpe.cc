// Our TPE (producer/tpe.h) on a table of known objective values, seed by seed, for
// bench/python/tpe_vs_optuna.py, which runs Optuna 3.1's TPESampler on the same table
// (docs/BENCHMARKS.md, "TPE against Optuna").
//
//   bench_tpe --plan PLAN.yaml --grid optimization_result.json --budget 64 --seeds 10
//             [--in-flight 0] [--export space.json]
//   bench_tpe --branin 101 --budget 100 --seeds 10 [--export space.json]
//
// --grid: the objective of grid point i is the primary metric of run i of a grid sweep of PLAN
// (every configuration run once through the real engine), infeasible when it broke the plan's
// constraints, failed when it failed. --branin N: a 2-D plan of N x N points whose objective is
// minus the Branin function on x in [-5, 10], y in [0, 15] (known optimum -0.397887).
// Each seed runs `budget` trials sequentially, each trial seeing every earlier result
// (--in-flight L: trial j sees the results of trials < j - L and the rest as pending, as a
// sweep with L proposals in flight does). Prints one JSON object: the grid's best, and per seed
// the best feasible value found and the trials needed to come within 1% of the grid's best.
// --export writes the space and the table for the Python side.
#include <CLI/CLI.hpp>
#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "producer/plan_loader.h"
#include "producer/tpe.h"

using namespace s1mple;
using namespace s1mple::producer;
using nlohmann::json;

namespace {

struct Cell {
  double value = 0;
  bool feasible = true;
  bool failed = true;
};

struct Problem {
  Plan plan;
  std::vector<Cell> table;  // by grid index
  bool maximize = true;
};

Plan BraninPlan(int n) {
  std::string text =
      "optimization_config:\n  name: branin\n  base_operation: none.yaml\n"
      "  parameter_space:\n    - worker_category: opportunity_workers\n"
      "      worker_plugin: f\n      parameters:\n";
  text += "        x: {start: 0, end: " + std::to_string(n - 1) + ", step: 1}\n";
  text += "        y: {start: 0, end: " + std::to_string(n - 1) + ", step: 1}\n";
  text += "  optimization_targets: {primary_metric: total_return}\n";
  PlanLoadOptions o;
  o.require_base_operation = false;
  auto plan = ParsePlanText(text, "branin.yaml", o);
  if (!plan.ok()) {
    std::cerr << plan.status().ToString() << "\n";
    std::exit(1);
  }
  return std::move(plan).value();
}

double Branin(double x, double y) {
  const double pi = 3.14159265358979323846;
  const double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
  return std::pow(y - b * x * x + c * x - 6, 2) + 10 * (1 - t) * std::cos(x) + 10;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"TPE on a table of known objective values"};
  std::string plan_file, grid_file, export_file;
  int branin = 0;
  uint64_t budget = 64, seeds = 10, in_flight = 0;
  app.add_option("--plan", plan_file);
  app.add_option("--grid", grid_file, "optimization_result.json of the plan's grid sweep");
  app.add_option("--branin", branin, "N: the Branin function on an N x N grid");
  app.add_option("--budget", budget);
  app.add_option("--seeds", seeds);
  app.add_option("--in-flight", in_flight);
  app.add_option("--export", export_file);
  TpeOptions base;
  app.add_option("--startup", base.startup_trials);
  app.add_option("--candidates", base.candidates);
  app.add_flag("--multivariate", base.multivariate);
  CLI11_PARSE(app, argc, argv);

  Problem p;
  if (branin > 1) {
    p.plan = BraninPlan(branin);
    p.maximize = true;
    for (int i = 0; i < branin; ++i) {
      for (int j = 0; j < branin; ++j) {
        const double x = -5 + 15.0 * i / (branin - 1), y = 15.0 * j / (branin - 1);
        p.table.push_back({-Branin(x, y), true, false});
      }
    }
  } else {
    auto plan = LoadPlanFile(plan_file);
    if (!plan.ok()) {
      std::cerr << plan.status().ToString() << "\n";
      return 1;
    }
    p.plan = std::move(plan).value();
    std::ifstream in(grid_file);
    const json grid = json::parse(in);
    const std::string primary = grid["optimization_targets"]["primary_metric"];
    p.maximize = grid["optimization_targets"]["direction"] == "maximize";
    p.table.resize(grid["results"].size());
    for (const auto& r : grid["results"]) {
      Cell& c = p.table.at(r["index"].get<size_t>());
      c.failed = r["status"] != "ok" || !r["metrics"].contains(primary) ||
                 !r["metrics"][primary].is_number();
      if (!c.failed) c.value = r["metrics"][primary].get<double>();
      c.feasible = r.value("meets_constraints", false);
    }
  }
  const auto layout = SearchLayout(p.plan);
  double grid_best = p.maximize ? -INFINITY : INFINITY;
  for (const Cell& c : p.table) {
    if (!c.failed && c.feasible)
      grid_best = p.maximize ? std::max(grid_best, c.value) : std::min(grid_best, c.value);
  }

  if (!export_file.empty()) {
    json space;
    space["maximize"] = p.maximize;
    space["grid_best"] = grid_best;
    for (const auto& c : layout) {
      space["coordinates"].push_back({{"name", c.name},
                                      {"dimension", c.dimension},
                                      {"option", c.option},
                                      {"size", c.size},
                                      {"categorical", c.categorical}});
    }
    for (size_t g = 0; g < p.table.size(); ++g) {
      const Cell& c = p.table[g];
      space["table"].push_back({{"grid", g},
                                {"point", PointOfGridIndex(p.plan, layout, g)},
                                {"value", c.failed ? json(nullptr) : json(c.value)},
                                {"feasible", c.feasible}});
    }
    std::ofstream(export_file) << space.dump();
  }

  json out;
  out["grid_best"] = grid_best;
  out["grid_size"] = p.table.size();
  out["budget"] = budget;
  out["in_flight"] = in_flight;
  for (uint64_t seed = 0; seed < seeds; ++seed) {
    TpeOptions o = base;
    o.seed = seed;
    o.maximize = p.maximize;
    TpeSampler tpe(p.plan, o);
    std::vector<TpeObservation> all;
    std::unordered_set<uint64_t> taken;
    double best = p.maximize ? -INFINITY : INFINITY;
    int64_t within = -1;
    for (uint64_t j = 0; j < budget && j < p.table.size(); ++j) {
      const size_t visible = j > in_flight ? j - in_flight : 0;
      std::vector<TpeObservation> observed(all.begin(), all.begin() + visible);
      std::vector<std::vector<uint64_t>> pending;
      for (size_t k = visible; k < all.size(); ++k) pending.push_back(all[k].point);
      auto point =
          tpe.Propose(j, observed, pending, [&](uint64_t g) { return taken.count(g) > 0; });
      if (!point) break;
      const uint64_t g = tpe.GridIndex(*point);
      taken.insert(g);
      const Cell& c = p.table.at(g);
      all.push_back({PointOfGridIndex(p.plan, layout, g), c.value, c.feasible, c.failed});
      if (!c.failed && c.feasible) {
        best = p.maximize ? std::max(best, c.value) : std::min(best, c.value);
      }
      const double gap = std::abs(grid_best) * 0.01;
      if (within < 0 && (p.maximize ? best >= grid_best - gap : best <= grid_best + gap))
        within = static_cast<int64_t>(j + 1);
    }
    out["best"].push_back(best);
    out["trials_to_1pct"].push_back(within < 0 ? json(nullptr) : json(within));
    out["trials"].push_back(all.size());
  }
  std::cout << out.dump() << "\n";
  return 0;
}
