#!/usr/bin/python3
"""Our TPE against Optuna 3.1's TPESampler, same objective, same budget, 10 seeds each
(docs/BENCHMARKS.md, "TPE against Optuna").

Two problems:
  demo    the demo plan's 384-configuration space (config/optimizations/demo_ema_cross.yaml);
          the objective of a configuration is its Sharpe ratio from one grid sweep through the
          real `s1mple optimize` (a backtest is deterministic, so every sampler sees the same
          numbers), infeasible when it breaks the plan's constraints;
  branin  minus the Branin function on a 101 x 101 grid of x in [-5, 10], y in [0, 15].
Our side is build/bench/bench_tpe (producer/tpe.cc itself); it also exports the space and the
table, from which Optuna gets one suggest_int / suggest_categorical per coordinate of the same
layout and its constraints_func (violation > 0 for an infeasible configuration).

  /usr/bin/python3 bench/python/tpe_vs_optuna.py [--seeds 10] [--json]
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_optuna(space, budget, seed, multivariate=False):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    coords = space["coordinates"]
    maximize = space["maximize"]
    table = {}
    for row in space["table"]:
        table[canonical(coords, row["point"])] = row

    def objective(trial):
        point = [0] * len(coords)
        for c, co in enumerate(coords):
            if not active(coords, point, c):
                continue
            name = co["name"] if co["option"] < 0 else f'{co["name"]}@{co["option"]}'
            if co["categorical"]:
                point[c] = trial.suggest_categorical(name, list(range(co["size"])))
            else:
                point[c] = trial.suggest_int(name, 0, co["size"] - 1)
        row = table[canonical(coords, point)]
        trial.set_user_attr("constraint", [0.0 if row["feasible"] else 1.0])
        trial.set_user_attr("feasible", row["feasible"])
        if row["value"] is None:
            return float("nan")  # a failed run: Optuna marks the trial FAIL
        return row["value"]

    sampler = optuna.samplers.TPESampler(
        seed=seed, multivariate=multivariate, constraints_func=lambda t: t.user_attrs["constraint"])
    study = optuna.create_study(direction="maximize" if maximize else "minimize", sampler=sampler)
    study.optimize(objective, n_trials=budget)
    best, within = -math.inf if maximize else math.inf, None
    gap = abs(space["grid_best"]) * 0.01
    for i, t in enumerate(study.trials):
        if t.value is not None and not math.isnan(t.value) and t.user_attrs.get("feasible"):
            best = max(best, t.value) if maximize else min(best, t.value)
        if within is None and (best >= space["grid_best"] - gap if maximize
                               else best <= space["grid_best"] + gap):
            within = i + 1
    return best, within


def active(coords, point, c):
    co = coords[c]
    if co["option"] < 0:
        return True
    for k, ck in enumerate(coords):
        if ck["option"] < 0 and ck["dimension"] == co["dimension"]:
            return point[k] == co["option"]
    return True


def canonical(coords, point):
    return tuple(v if active(coords, point, c) else 0 for c, v in enumerate(point))


def median_or_none(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def problem(name, bench_args, budget, seeds, work, bench_tpe):
    export = os.path.join(work, name + "-space.json")
    r = subprocess.run([bench_tpe, *bench_args, "--budget", str(budget), "--seeds", str(seeds),
                        "--export", export], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench_tpe failed: {r.stderr}")
    ours = json.loads(r.stdout)
    space = json.load(open(export))
    theirs = [run_optuna(space, budget, s) for s in range(seeds)]
    multi = [run_optuna(space, budget, s, multivariate=True)[0] for s in range(seeds)]
    return {
        "optuna_multivariate_best": multi,
        "optuna_multivariate_median_best": statistics.median(multi),
        "tpe_reached_1pct": sum(1 for w in ours["trials_to_1pct"] if w is not None),
        "optuna_reached_1pct": sum(1 for _, w in theirs if w is not None),
        "problem": name, "grid_size": ours["grid_size"], "budget": budget,
        "grid_best": ours["grid_best"],
        "tpe_best": ours["best"], "optuna_best": [b for b, _ in theirs],
        "tpe_median_best": statistics.median(ours["best"]),
        "optuna_tpe_median_best": statistics.median([b for b, _ in theirs]),
        "tpe_trials_to_1pct": ours["trials_to_1pct"],
        "optuna_trials_to_1pct": [w for _, w in theirs],
        "tpe_median_trials_to_1pct": median_or_none(ours["trials_to_1pct"]),
        "optuna_median_trials_to_1pct": median_or_none([w for _, w in theirs]),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--s1mple", default=os.path.join(ROOT, "build/cli/s1mple"))
    ap.add_argument("--bench-tpe", default=os.path.join(ROOT, "build/bench/bench_tpe"))
    ap.add_argument("--plan", default=os.path.join(ROOT, "config/optimizations/demo_ema_cross.yaml"))
    ap.add_argument("--budget", type=int, default=64)
    ap.add_argument("--branin-budget", type=int, default=100)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tpe-vs-optuna-")
    text = open(args.plan).read().replace("config/operations/", os.path.join(ROOT, "config/operations/"))
    plan = os.path.join(work, "grid.yaml")
    open(plan, "w").write(text)
    r = subprocess.run([args.s1mple, "optimize", plan, "--store", os.path.join(work, "store"),
                        "--out", os.path.join(work, "out"), "--no-progress"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("grid sweep failed: " + r.stderr)
    grid = os.path.join(work, "out/optimization_result.json")
    rows = [problem("demo", ["--plan", plan, "--grid", grid], args.budget, args.seeds, work, args.bench_tpe),
            problem("branin", ["--branin", "101"], args.branin_budget, args.seeds, work, args.bench_tpe)]
    if args.json:
        print(json.dumps(rows))
        return
    for row in rows:
        print(f'{row["problem"]}: {row["grid_size"]} points, budget {row["budget"]}, grid best '
              f'{row["grid_best"]:.6g}')
        print(f'  ours   median best {row["tpe_median_best"]:.6g}  median trials to 1% '
              f'{row["tpe_median_trials_to_1pct"]}  bests {[round(b, 4) for b in row["tpe_best"]]}')
        print(f'  optuna median best {row["optuna_tpe_median_best"]:.6g}  median trials to 1% '
              f'{row["optuna_median_trials_to_1pct"]}  bests {[round(b, 4) for b in row["optuna_best"]]}')
        print(f'  optuna multivariate median best {row["optuna_multivariate_median_best"]:.6g}')
        print(f'  seeds within 1% of the grid best: ours {row["tpe_reached_1pct"]}, '
              f'optuna {row["optuna_reached_1pct"]} (of {len(row["tpe_best"])})')


if __name__ == "__main__":
    main()
