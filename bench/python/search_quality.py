#!/usr/bin/python3
"""How close random and Sobol search come to the grid's best, per budget (docs/BENCHMARKS.md,
"Random and Sobol search").

Runs the demo plan's full grid once through the real `s1mple optimize` (384 backtests), then for
each method, budget and seed asks `s1mple optimize --dry-run` for the trials that search would
run (the selection code itself, producer/search.cc) and takes the best of those trials' grid
results under the plan's constraints. A trial's result is its grid point's result (a backtest
is deterministic), so no backtest runs twice. Prints a table, or JSON with --json.

  /usr/bin/python3 bench/python/search_quality.py [--s1mple build/cli/s1mple] [--seeds 10]
"""
import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--s1mple", default=os.path.join(ROOT, "build/cli/s1mple"))
    ap.add_argument("--plan", default=os.path.join(ROOT, "config/optimizations/demo_ema_cross.yaml"))
    ap.add_argument("--budgets", default="16,32,64,128")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="search-quality-")
    text = open(args.plan).read().replace("config/operations/", os.path.join(ROOT, "config/operations/"))
    grid_plan = os.path.join(work, "grid.yaml")
    open(grid_plan, "w").write(text)
    r = subprocess.run([args.s1mple, "optimize", grid_plan, "--store", os.path.join(work, "store"),
                        "--out", os.path.join(work, "out"), "--no-progress"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("grid sweep failed: " + r.stderr)
    result = json.load(open(os.path.join(work, "out/optimization_result.json")))
    primary = result["optimization_targets"]["primary_metric"]
    maximize = result["optimization_targets"]["direction"] == "maximize"
    # Each grid point's description (as --dry-run prints it) -> its primary metric, when it meets
    # the constraints.
    score, every = {}, set()
    for run in result["results"]:
        desc = " ".join(f"{k}={json.dumps(val) if not isinstance(val, str) else val}"
                        for k, val in run["parameters"].items())
        every.add(desc)
        if run["status"] != "ok" or not run.get("meets_constraints"):
            continue
        v = run["metrics"].get(primary)
        if v is None:
            continue
        score[desc] = v
    best_grid = max(score.values()) if maximize else min(score.values())
    rows = []
    for method in ("random", "sobol"):
        for budget in [int(b) for b in args.budgets.split(",")]:
            bests, within = [], 0
            for seed in range(1, args.seeds + 1):
                plan = os.path.join(work, f"{method}-{budget}-{seed}.yaml")
                open(plan, "w").write(text.rstrip("\n") + f"\n  search: {{method: {method}, budget: {budget}, seed: {seed}}}\n")
                d = subprocess.run([args.s1mple, "optimize", plan, "--dry-run", "--first", str(budget)],
                                   capture_output=True, text=True)
                if d.returncode != 0:
                    sys.exit(d.stderr)
                trials = re.findall(r"^  #\d+  (.*)$", d.stdout, re.M)
                assert len(trials) == budget, (len(trials), budget)
                missing = [t for t in trials if t not in every]
                assert not missing, "trials that are no grid point: " + "; ".join(missing[:3])
                found = [score[t] for t in trials if t in score]
                b = (max(found) if maximize else min(found)) if found else None
                bests.append(b)
                if b is not None and abs(b - best_grid) <= 0.01 * abs(best_grid):
                    within += 1
            valid = [b for b in bests if b is not None]
            rows.append({"method": method, "budget": budget, "seeds": args.seeds,
                         "median_best": statistics.median(valid) if valid else None,
                         "worst_best": (min(valid) if maximize else max(valid)) if valid else None,
                         "seeds_within_1pct_of_grid_best": within})
    out = {"plan": os.path.relpath(args.plan, ROOT), "grid_points": result["total_combinations"],
           "primary_metric": primary, "grid_best": best_grid, "rows": rows}
    if args.json:
        print(json.dumps(out))
        return
    print(f"{out['plan']}: grid of {out['grid_points']} points, best {primary} within the constraints {best_grid:.4f}")
    print("| method | budget | median best | worst best | seeds within 1% of the grid's best |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['method']} | {r['budget']} | {r['median_best']:.4f} | {r['worst_best']:.4f} | "
              f"{r['seeds_within_1pct_of_grid_best']} of {r['seeds']} |")


if __name__ == "__main__":
    main()
