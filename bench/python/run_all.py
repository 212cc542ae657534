#!/usr/bin/python3
"""scripts/bench: every benchmark side by side, in one run on one machine; prints a table and,
with --json FILE, writes the figures as one JSON object.

Sections (each can be chosen with --only; a section whose program is missing reports null and
says why instead of failing the others):
  engine   the engine vs vectorised NumPy on the same plain EMA crossover over the same
           1,000,000 bars (bench_ema_compare + ema_cross_numpy.py, trade lists checked equal),
           plus the engine's own Google Benchmarks (bench_engine: full ema_cross machinery;
           bench_catalog: the ict_smc blueprint) when built
  store    bench_store (durable transitions/s with group commit), when built
  broker   `s1mple broker` (store synced) + 2 `s1mple runner` processes (1 slot each) running
           diag sweeps submitted by bench_sweep: jobs/s, and the broker's sweep time and peak RSS
           (VmHWM) for 1,000 / 10,000 / 100,000 jobs, each on a fresh broker and store
  celery   Celery + Redis (celery_bench.py) on the same trivial job with 2 worker processes
  plugins  bench_plugins --ab ROUNDS: the same strategy as a built-in and as an out-of-tree C++
           package, interleaved A/B then B/A over ROUNDS rounds (median of per-round speed ratios,
           10th-90th percentile spread), and Python plugins (signal in bind(), per-bar hook) in the
           same rounds
  scaling  `s1mple optimize bench/plans/scaling_ema_cross_2000.yaml` (2,000 real backtests) on
           1 and on 2 local runner slots, twice each (alternating), fastest of each:
           efficiency = t1 / (2 * t2)

Usage: scripts/bench [--json FILE] [--only engine,store,broker,celery,scaling,search,plugins] [--quick]
                     [--build-dir build] [--workdir DIR] [--bars N] [--repeat N]
                     [--broker-jobs N] [--celery-jobs N] [--sizes 1000,10000,100000]
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import proc_util  # noqa: E402

SECTIONS = ["engine", "store", "broker", "celery", "scaling", "search", "plugins"]
# Keys the JSON object always has (null when not measured in this run).
REQUIRED = ["engine_ema_cross_bars_per_s", "engine_ict_smc_bars_per_s", "numpy_ema_cross_bars_per_s",
            "numba_ema_cross_bars_per_s", "numba_grid_config_bars_per_s", "sweep_config_bars_per_s",
            "store_transitions_per_s", "broker_jobs_per_s", "celery_jobs_per_s",
            "scaling_efficiency_2_slots", "scaling_efficiency_short_jobs", "broker_rss_mb_1k_jobs", "broker_rss_mb_100k_jobs",
            "engine_vs_numpy_bars_ratio", "broker_vs_celery_jobs_ratio",
            "tpe_median_best", "optuna_tpe_median_best"]


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd, timeout=1800, **kw):
    """Runs cmd, returns stdout; raises RuntimeError with stderr's tail on failure."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, **kw)
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"{os.path.basename(cmd[0])} exited {p.returncode}: " + " | ".join(tail))
    return p.stdout


def last_json_line(text):
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("no JSON line in output: " + text[-300:])


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.join(ROOT, args.build_dir) if not os.path.isabs(args.build_dir) \
            else args.build_dir
        self.s1mple = os.path.join(self.build, "cli", "s1mple")
        self.work = tempfile.mkdtemp(prefix="s1mple-bench-", dir=args.workdir)
        self.fig = {}     # the JSON object
        self.notes = []   # why a figure is missing, and other remarks

    def prog(self, name):
        path = os.path.join(self.build, "bench", name)
        return path if os.access(path, os.X_OK) else None

    def missing(self, keys, why):
        for k in keys:
            self.fig.setdefault(k, None)
        self.notes.append(why)
        log("skipped: " + why)

    # ---- engine vs NumPy ------------------------------------------------------------------
    def engine(self):
        a = self.args
        cmp_bin = self.prog("bench_ema_compare")
        keys = ["engine_ema_cross_bars_per_s", "numpy_ema_cross_bars_per_s",
                "engine_vs_numpy_bars_ratio", "ema_trade_lists_equal"]
        if not cmp_bin:
            self.missing(keys, "bench_ema_compare not built")
        else:
            csv = os.path.join(self.work, "bars.csv")
            log(f"engine vs NumPy: exporting {a.bars} synthetic bars")
            run([cmp_bin, "--export-csv", csv, "--bars", str(a.bars), "--seed", "42",
                 "--interval", "1m"])
            eng_trades = os.path.join(self.work, "engine_trades.csv")
            np_trades = os.path.join(self.work, "numpy_trades.csv")
            log("engine vs NumPy: engine")
            eng = last_json_line(run([cmp_bin, "--csv", csv, "--repeat", str(a.repeat),
                                      "--trades-out", eng_trades, "--json"]))
            log("engine vs NumPy: NumPy")
            npy = last_json_line(run(["/usr/bin/python3", os.path.join(HERE, "ema_cross_numpy.py"),
                                      "--csv", csv, "--repeat", str(a.repeat), "--trades-out",
                                      np_trades, "--json"]))
            equal, detail = compare_trades(eng_trades, np_trades)
            self.numba(csv, eng_trades, eng)
            self.sweep_grid(cmp_bin, csv)
            # Headline: bars per CPU-second of the fastest run (one core's work; both sides are
            # single-threaded), so a busy machine does not decide the ratio. Wall-clock figures
            # are kept alongside.
            self.fig.update({
                "engine_ema_cross_bars_per_s": eng["bars_per_cpu_s"],
                "numpy_ema_cross_bars_per_s": npy["bars_per_cpu_s"],
                "engine_vs_numpy_bars_ratio": eng["bars_per_cpu_s"] / npy["bars_per_cpu_s"],
                "engine_ema_cross_bars_per_s_median": eng["bars_per_cpu_s_median"],
                "numpy_ema_cross_bars_per_s_median": npy["bars_per_cpu_s_median"],
                "engine_ema_cross_bars_per_wall_s": eng["bars_per_s"],
                "numpy_ema_cross_bars_per_wall_s": npy["bars_per_s"],
                "ema_cross_bars": eng["bars"],
                "ema_cross_trades": eng["trades"],
                "ema_trade_lists_equal": equal,
                "ema_trade_lists_detail": detail,
                "ema_cross_engine_plugins": eng.get("plugins"),
                "numpy_version": npy.get("numpy"),
            })
        self.gbench_engine()

    # ---- engine vs a Numba-compiled per-bar loop (issue 20) --------------------------------
    # One configuration (trade list checked equal to the engine's), then the 100-configuration
    # grid the sweep figure uses, the loop run once per configuration.
    GRID_FAST = "5,8,10,12,15,20,25,30,35,40"
    GRID_SLOW = "50,60,70,80,90,100,110,120,130,140"

    def numba(self, csv, eng_trades, eng):
        keys = ["numba_ema_cross_bars_per_s", "engine_vs_numba_bars_ratio",
                "numba_ema_trade_lists_equal", "numba_grid_config_bars_per_s"]
        script = os.path.join(HERE, "ema_cross_numba.py")
        try:
            log("engine vs Numba: Numba, one configuration")
            nb_trades = os.path.join(self.work, "numba_trades.csv")
            nb = last_json_line(run(["/usr/bin/python3", script, "--csv", csv, "--repeat",
                                     str(self.args.repeat), "--trades-out", nb_trades, "--json"]))
            equal, detail = compare_trades(eng_trades, nb_trades)
            self.fig.update({
                "numba_ema_cross_bars_per_s": nb["bars_per_cpu_s"],
                "numba_ema_cross_bars_per_s_median": nb["bars_per_cpu_s_median"],
                "engine_vs_numba_bars_ratio": eng["bars_per_cpu_s"] / nb["bars_per_cpu_s"],
                "numba_ema_trade_lists_equal": equal,
                "numba_ema_trade_lists_detail": detail,
                "numba_version": nb.get("numba"),
            })
            log("engine vs Numba: Numba, 100-configuration grid")
            grid = last_json_line(run(["/usr/bin/python3", script, "--csv", csv, "--repeat",
                                       "1" if self.args.quick else "3", "--grid-fast",
                                       self.GRID_FAST, "--grid-slow", self.GRID_SLOW, "--json"]))
            self.fig.update({
                "numba_grid_config_bars_per_s": grid["config_bars_per_cpu_s"],
                "numba_grid_configurations": grid["configurations"],
                "numba_grid_trades_total": grid["trades_total"],
            })
        except (RuntimeError, subprocess.TimeoutExpired, KeyError) as e:
            self.missing(keys, f"Numba baseline failed: {e}")

    # The same 100-configuration grid through the engine, one process, with the runner's column
    # cache (engine/column_cache.h) and, alongside, without it; results checked equal.
    def sweep_grid(self, cmp_bin, csv):
        keys = ["sweep_config_bars_per_s", "sweep_cold_config_bars_per_s"]
        try:
            log("engine grid: 100 configurations, cold and warm column cache")
            g = last_json_line(run([cmp_bin, "--csv", csv, "--grid-fast", self.GRID_FAST,
                                    "--grid-slow", self.GRID_SLOW, "--repeat",
                                    "1" if self.args.quick else "2", "--json"]))
            self.fig.update({
                "sweep_config_bars_per_s": g["warm_config_bars_per_cpu_s"],
                "sweep_cold_config_bars_per_s": g["cold_config_bars_per_cpu_s"],
                "sweep_warm_vs_cold_ratio": g["warm_vs_cold_ratio"],
                "sweep_grid_trades_total": g["trades_total"],
                "sweep_grid_cache_hits": g["warm_cache_hits"],
            })
        except (RuntimeError, subprocess.TimeoutExpired, KeyError) as e:
            self.missing(keys, f"engine grid failed: {e}")

    def gbench_engine(self):
        for prog, key, hint in [("bench_engine", "engine_ema_cross_full_bars_per_s", "EmaCross"),
                                ("bench_catalog", "engine_ict_smc_bars_per_s", "Ict")]:
            path = self.prog(prog)
            if not path:
                self.missing([key], f"{prog} not built")
                continue
            try:
                log(f"{prog}")
                rows = gbench(path, self.work)
                self.fig[key] = pick_rate(rows, hint, ["bars_per_second", "bars/s", "bars_per_s",
                                                       "items_per_second"])
                if self.fig[key] is None:
                    self.notes.append(f"{prog}: no bars/s counter found")
                if prog == "bench_catalog":  # the same job with its context phase cached
                    self.fig["engine_ict_smc_warm_context_bars_per_s"] = pick_rate(
                        rows, "WarmContext", ["bars_per_second", "items_per_second"])
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                self.missing([key], f"{prog} failed: {e}")

    # ---- plugin packages: built-in vs package, Python --------------------------------------
    def plugins(self):
        keys = ["plugin_cpp_bars_per_s", "builtin_same_bars_per_s", "plugin_cpp_vs_builtin_ratio",
                "plugin_python_bind_bars_per_s", "plugin_python_hook_bars_per_s"]
        path = self.prog("bench_plugins")
        if not path:
            self.missing(keys, "bench_plugins not built")
            return
        rounds = 4 if self.args.quick else 30
        try:
            log(f"bench_plugins --ab {rounds}")
            out = run([path, "--ab", str(rounds)])
            self.fig.update(last_json_line(out))
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            self.missing(keys, f"bench_plugins failed: {e}")

    # ---- store ----------------------------------------------------------------------------
    def store(self):
        path = self.prog("bench_store")
        if not path:
            self.missing(["store_transitions_per_s"], "bench_store not built")
            return
        try:
            # The durable lease+complete pattern at every batch size bench_store measures (sync
            # on, group commit); the figure is the best row, named in store_transitions_row.
            log("bench_store (LeaseComplete rows)")
            rows = [r for r in gbench(path, self.work, "BM_LeaseComplete")
                    if "transitions/s" in r]
            if not rows:
                self.missing(["store_transitions_per_s"], "bench_store: no transitions/s rows")
                return
            best = max(rows, key=lambda r: r["transitions/s"])
            self.fig["store_transitions_per_s"] = float(best["transitions/s"])
            self.fig["store_transitions_row"] = best.get("name")
            one = [r for r in rows if r.get("name", "").startswith("BM_LeaseComplete/1/")]
            if one:
                self.fig["store_transitions_per_s_batch_1"] = float(one[0]["transitions/s"])
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            self.missing(["store_transitions_per_s"], f"bench_store failed: {e}")

    # ---- broker ---------------------------------------------------------------------------
    def broker(self):
        a = self.args
        sweep_bin = self.prog("bench_sweep")
        keys = ["broker_jobs_per_s", "broker_rss_mb_1k_jobs", "broker_rss_mb_100k_jobs"]
        if not sweep_bin or not os.access(self.s1mple, os.X_OK):
            self.missing(keys, "bench_sweep or s1mple not built")
            return
        try:
            log(f"broker: {a.broker_jobs} diag jobs, 2 runners x 1 slot")
            r = self.broker_run(sweep_bin, a.broker_jobs, verify=True)
            self.fig.update({
                "broker_jobs_per_s": r["jobs_per_s"],
                "broker_submit_seconds": r["submit_seconds"],
                "broker_slot_us_per_job": 2 * r["seconds"] / r["jobs"] * 1e6,
                "broker_cpu_us_per_job": r["cpu_seconds"] / r["jobs"] * 1e6,
                "broker_results_verified": r["verified"],
            })
            for n in a.sizes:
                log(f"broker size curve: {n} jobs")
                r = self.broker_run(sweep_bin, n, verify=False)
                tag = f"{n // 1000}k" if n % 1000 == 0 else str(n)
                self.fig[f"broker_rss_mb_{tag}_jobs"] = r["broker_rss_mb"]
                self.fig[f"sweep_seconds_{tag}_jobs"] = r["seconds"]
                self.fig[f"sweep_jobs_per_s_{tag}_jobs"] = r["jobs_per_s"]
            if a.submit_only_jobs:
                n = a.submit_only_jobs
                log(f"broker memory after submitting {n} jobs (not run)")
                r = self.broker_run(sweep_bin, n, verify=False, submit_only=True)
                self.fig["broker_rss_mb_submitted_only"] = r["broker_rss_mb"]
                self.fig["broker_submitted_only_jobs"] = n
                self.fig["broker_submit_only_seconds"] = r["submit_seconds"]
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            self.missing(keys, f"broker run failed: {e}")

    def broker_run(self, sweep_bin, jobs, verify, submit_only=False):
        d = tempfile.mkdtemp(prefix="broker-", dir=self.work)
        ep_file = os.path.join(d, "endpoint")
        blog = open(os.path.join(d, "broker.log"), "wb")
        broker = subprocess.Popen(
            [self.s1mple, "broker", "--bind", "tcp://127.0.0.1:*", "--store",
             os.path.join(d, "store"), "--endpoint-file", ep_file, "--sync", "fsync"],
            stdout=blog, stderr=blog, stdin=subprocess.DEVNULL, cwd=ROOT)
        runners = []
        try:
            endpoint = wait_endpoint(ep_file, broker)
            n_runners = 0 if submit_only else 2  # submit-only: the jobs must stay pending
            for k in range(n_runners):
                rlog = open(os.path.join(d, f"runner{k}.log"), "wb")
                runners.append(subprocess.Popen(
                    [self.s1mple, "runner", "--connect", endpoint, "--slots", "1", "--name",
                     f"bench-{k}"], stdout=rlog, stderr=rlog, stdin=subprocess.DEVNULL, cwd=ROOT))
            roots = [broker.pid] + [r.pid for r in runners]
            cmd = [sweep_bin, "--broker", endpoint, "--jobs", str(jobs), "--wait-runners", str(n_runners),
                   "--json"] + (["--verify"] if verify else []) + \
                (["--submit-only"] if submit_only else [])
            cpu0 = proc_util.tree_cpu_seconds(roots)
            out = last_json_line(run(cmd, timeout=3600))
            cpu1 = proc_util.tree_cpu_seconds(roots)
            out["cpu_seconds"] = cpu1 - cpu0 + out.get("client_cpu_seconds", 0.0)
            out["broker_rss_mb"] = proc_util.peak_rss_mb(broker.pid)
            if verify and not out.get("verified"):
                raise RuntimeError("results not verified: " + out.get("verify_error", "?"))
            return out
        finally:
            for p in runners + [broker]:
                stop(p)
            blog.close()
            shutil.rmtree(d, ignore_errors=True)

    # ---- celery ---------------------------------------------------------------------------
    def celery(self):
        a = self.args
        keys = ["celery_jobs_per_s"]
        try:
            import celery_bench
        except ImportError as e:
            self.missing(keys, f"Celery/Redis not importable ({e}); run scripts/setup")
            return
        try:
            log(f"celery: {a.celery_jobs} trivial tasks, 2 worker processes, Redis AOF always")
            r = celery_bench.measure(a.celery_jobs, 2, parent_dir=self.work)
            self.fig.update({
                "celery_jobs_per_s": r["jobs_per_s"],
                "celery_submit_seconds": r["submit_seconds"],
                "celery_slot_us_per_job": r["slot_us_per_job"],
                "celery_cpu_us_per_job": r["cpu_us_per_job"],
                "celery_results_verified": r["results_verified"] == r["jobs"],
                "celery_durability": r["durability"],
                "celery_version": r["celery"],
                "redis_version": r["redis_server"],
            })
        except (RuntimeError, OSError) as e:
            self.missing(keys, f"celery run failed: {e}")

    # ---- scaling --------------------------------------------------------------------------
    def scaling(self):
        # The 2,000 real backtests of ~20 ms, then the demo's ~1.5 ms jobs (issue 20).
        self.scaling_run(os.path.join(ROOT, "bench", "plans", "scaling_ema_cross_2000.yaml"),
                         2000, "", "scaling_efficiency_2_slots")
        self.scaling_run(os.path.join(ROOT, "bench", "plans", "scaling_short_jobs.yaml"),
                         4800, "short_", "scaling_efficiency_short_jobs")

    def scaling_run(self, plan, backtests, tag, key):
        if not os.access(self.s1mple, os.X_OK):
            self.missing([key], "s1mple not built")
            return
        try:
            # Each configuration runs `rounds` times, alternating 1 and 2 slots; the fastest run
            # of each counts (as for the engine figures: the least disturbed by the rest of the
            # machine). Every run's time is kept in the JSON.
            rounds = 1 if self.args.quick else 2
            runs = {1: [], 2: []}
            for r in range(rounds):
                for slots in (1, 2):
                    d = tempfile.mkdtemp(prefix=f"scaling-{slots}-", dir=self.work)
                    log(f"scaling: {backtests:,} backtests ({os.path.basename(plan)}) on {slots} "
                        f"slot(s), round {r + 1}/{rounds}")
                    t0 = time.perf_counter()
                    run([self.s1mple, "optimize", plan, "--store", os.path.join(d, "store"),
                         "--runners", str(slots), "--out", os.path.join(d, "out")], timeout=3600)
                    runs[slots].append(time.perf_counter() - t0)
                    states = result_states(os.path.join(d, "out", "results.csv"))
                    shutil.rmtree(d, ignore_errors=True)
                    bad = {k: v for k, v in states.items() if k not in ("done", "ok", "succeeded")}
                    if sum(states.values()) != backtests or bad:
                        raise RuntimeError(f"{slots} slot(s): results.csv says {states}")
            t = {k: min(v) for k, v in runs.items()}
            self.fig.update({
                f"scaling_{tag}seconds_1_slot": t[1],
                f"scaling_{tag}seconds_2_slots": t[2],
                f"scaling_{tag}runs_seconds_1_slot": runs[1],
                f"scaling_{tag}runs_seconds_2_slots": runs[2],
                key: t[1] / (2 * t[2]),
                f"scaling_{tag}backtests": backtests,
            })
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            self.missing([key], f"scaling run failed: {e}")

    # ---- TPE against Optuna ----------------------------------------------------------------
    def search(self):
        keys = ["tpe_median_best", "optuna_tpe_median_best"]
        if not self.prog("bench_tpe") or not os.access(self.s1mple, os.X_OK):
            self.missing(keys, "bench_tpe or s1mple not built")
            return
        seeds = 3 if self.args.quick else 10
        log(f"search: our TPE and Optuna's TPESampler, {seeds} seeds each, demo space and Branin")
        try:
            out = run(["/usr/bin/python3", os.path.join(HERE, "tpe_vs_optuna.py"), "--json",
                       "--seeds", str(seeds), "--s1mple", self.s1mple,
                       "--bench-tpe", self.prog("bench_tpe")], timeout=3600)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            self.missing(keys, f"tpe_vs_optuna failed: {e}")
            return
        rows = {r["problem"]: r for r in json.loads(out.strip().splitlines()[-1])}
        demo, branin = rows["demo"], rows["branin"]
        self.fig.update({
            "tpe_median_best": demo["tpe_median_best"],
            "optuna_tpe_median_best": demo["optuna_tpe_median_best"],
            "optuna_tpe_multivariate_median_best": demo["optuna_multivariate_median_best"],
            "tpe_branin_median_best": branin["tpe_median_best"],
            "optuna_tpe_branin_median_best": branin["optuna_tpe_median_best"],
            "tpe_search": rows,
        })

    def finish(self):
        f = self.fig
        if f.get("broker_jobs_per_s") and f.get("celery_jobs_per_s"):
            f["broker_vs_celery_jobs_ratio"] = f["broker_jobs_per_s"] / f["celery_jobs_per_s"]
        else:
            f.setdefault("broker_vs_celery_jobs_ratio", None)
        if f.get("broker_rss_mb_1k_jobs") and f.get("broker_rss_mb_100k_jobs"):
            f["broker_rss_growth_1k_to_100k"] = f["broker_rss_mb_100k_jobs"] / f["broker_rss_mb_1k_jobs"]
        for k in REQUIRED:
            f.setdefault(k, None)
        f["machine"] = proc_util.machine()
        f["notes"] = self.notes
        f["generated_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        shutil.rmtree(self.work, ignore_errors=True)


def result_states(results_csv):
    """{status: count} over the rows of a sweep's results.csv (and the first error seen)."""
    import csv
    states = {}
    with open(results_csv, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            s = row.get("status", "?")
            if s not in ("done", "ok", "succeeded") and "error" not in states:
                states["error: " + (row.get("error") or "?")[:120]] = 0
            states[s] = states.get(s, 0) + 1
    return states


def gbench(path, work, filt=None):
    """Runs a Google Benchmark program; returns its benchmark rows (dicts)."""
    out = os.path.join(work, os.path.basename(path) + ".json")
    cmd = [path, "--benchmark_out=" + out, "--benchmark_out_format=json"]
    if filt:
        cmd.append("--benchmark_filter=" + filt)
    run(cmd, timeout=1800)
    with open(out, encoding="utf-8") as f:
        return json.load(f).get("benchmarks", [])


def pick_rate(rows, hint, counters):
    """The first of `counters` found in a row whose name contains `hint` (else any row); aggregate
    rows (mean/median) are preferred when present."""
    def search(cands):
        for c in counters:
            for r in cands:
                if c in r:
                    return float(r[c])
        return None
    agg = [r for r in rows if r.get("aggregate_name") in ("median", "mean")]
    for pool in ([r for r in agg if hint.lower() in r.get("name", "").lower()],
                 [r for r in rows if hint.lower() in r.get("name", "").lower()], agg, rows):
        v = search(pool)
        if v is not None:
            return v
    return None


def compare_trades(a_path, b_path):
    """Trade lists equal: same count, entry/exit bars and prices exactly, pnl within 1e-9."""
    def read(p):
        with open(p, encoding="ascii") as f:
            head = f.readline().strip().split(",")
            ix = {h: i for i, h in enumerate(head)}
            rows = []
            for line in f:
                v = line.strip().split(",")
                rows.append((int(v[ix["entry_bar"]]), int(v[ix["exit_bar"]]),
                             float(v[ix["entry_price"]]), float(v[ix["exit_price"]]),
                             float(v[ix["pnl"]])))
            return rows
    a, b = read(a_path), read(b_path)
    if len(a) != len(b):
        return False, f"{len(a)} vs {len(b)} trades"
    for i, (x, y) in enumerate(zip(a, b)):
        if x[:4] != y[:4] or abs(x[4] - y[4]) > 1e-9 * max(1.0, abs(x[2])):
            return False, f"trade {i} differs: {x} vs {y}"
    return True, f"{len(a)} trades identical (bars, prices; pnl within 1e-9)"


def wait_endpoint(path, proc, timeout_s=30):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"broker exited with {proc.returncode}")
        if os.path.exists(path):
            with open(path, encoding="ascii") as f:
                for line in f:
                    if line.startswith("listening on "):
                        return line.split("listening on ", 1)[1].strip()
        time.sleep(0.02)
    raise RuntimeError("broker did not report its endpoint")


def stop(p, grace_s=20):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def fmt(v, unit=""):
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        if abs(v) >= 100:
            s = f"{v:,.0f}"
        elif abs(v) >= 1:
            s = f"{v:.2f}"
        else:
            s = f"{v:.3f}"
    else:
        s = f"{v:,}" if isinstance(v, int) else str(v)
    return s + unit


def table(f):
    """The summary rows: (figure, ours, alternative, ratio / target)."""
    def ratio(x, y):
        return f"{x / y:.1f}x" if x and y else "n/a"
    rows = [
        (f"EMA crossover, {fmt(f.get('ema_cross_bars'))} bars (bars/s)",
         fmt(f.get("engine_ema_cross_bars_per_s")),
         "NumPy " + fmt(f.get("numpy_ema_cross_bars_per_s")),
         ratio(f.get("engine_ema_cross_bars_per_s"), f.get("numpy_ema_cross_bars_per_s")) +
         " (target > 1x); trades equal: " + fmt(f.get("ema_trade_lists_equal"))),
        ("EMA crossover, same bars, against a Numba per-bar loop (bars/s)",
         fmt(f.get("engine_ema_cross_bars_per_s")),
         "Numba " + fmt(f.get("numba_ema_cross_bars_per_s")),
         ratio(f.get("engine_ema_cross_bars_per_s"), f.get("numba_ema_cross_bars_per_s")) +
         " (target >= 1x); trades equal: " + fmt(f.get("numba_ema_trade_lists_equal"))),
        (f"EMA-cross grid, {fmt(f.get('numba_grid_configurations'))} configurations "
         "(configuration-bars/s per core)", fmt(f.get("sweep_config_bars_per_s")),
         "Numba once per configuration " + fmt(f.get("numba_grid_config_bars_per_s")),
         ratio(f.get("sweep_config_bars_per_s"), f.get("numba_grid_config_bars_per_s")) +
         " (target >= 2x); without the column cache " + fmt(f.get("sweep_cold_config_bars_per_s")) +
         "; trades " + fmt(f.get("sweep_grid_trades_total")) + " vs Numba " +
         fmt(f.get("numba_grid_trades_total"))),
        ("Durable trivial jobs (jobs/s)", fmt(f.get("broker_jobs_per_s")),
         "Celery+Redis " + fmt(f.get("celery_jobs_per_s")),
         ratio(f.get("broker_jobs_per_s"), f.get("celery_jobs_per_s")) +
         " (target >= 20x; >= 10,000 jobs/s)"),
        ("Slot time per trivial job (us)", fmt(f.get("broker_slot_us_per_job")),
         "Celery+Redis " + fmt(f.get("celery_slot_us_per_job")), ""),
        ("CPU per trivial job, all processes (us)", fmt(f.get("broker_cpu_us_per_job")),
         "Celery+Redis " + fmt(f.get("celery_cpu_us_per_job")), ""),
        ("Scaling, 2,000 backtests, 1 -> 2 slots", fmt(f.get("scaling_efficiency_2_slots")),
         f"t1 {fmt(f.get('scaling_seconds_1_slot'), ' s')}, t2 "
         f"{fmt(f.get('scaling_seconds_2_slots'), ' s')}", "target >= 0.95"),
        ("Scaling, 4,800 short jobs (the demo's), 1 -> 2 slots",
         fmt(f.get("scaling_efficiency_short_jobs")),
         f"t1 {fmt(f.get('scaling_short_seconds_1_slot'), ' s')}, t2 "
         f"{fmt(f.get('scaling_short_seconds_2_slots'), ' s')}", "target >= 0.85"),
        ("Broker peak RSS, 1k / 10k / 100k jobs (MiB)",
         " / ".join(fmt(f.get(f"broker_rss_mb_{k}_jobs")) for k in ("1k", "10k", "100k")),
         "sweep s: " + " / ".join(fmt(f.get(f"sweep_seconds_{k}_jobs")) for k in ("1k", "10k", "100k")),
         "target: flat"),
        (f"Broker peak RSS after submitting {fmt(f.get('broker_submitted_only_jobs'))} jobs (MiB)",
         fmt(f.get("broker_rss_mb_submitted_only")),
         f"submit {fmt(f.get('broker_submit_only_seconds'), ' s')}", "not run, pending"),
        ("Engine, full ema_cross machinery (bars/s)", fmt(f.get("engine_ema_cross_full_bars_per_s")),
         "", "target >= 10M"),
        ("Engine, ict_smc blueprint (bars/s)", fmt(f.get("engine_ict_smc_bars_per_s")), "",
         "target >= 2M"),
        ("Engine, ict_smc, context phase from the column cache (bars/s)",
         fmt(f.get("engine_ict_smc_warm_context_bars_per_s")), "",
         "every job after a grid's first; issue 20 target >= 20M"),
        ("Store, durable transitions/s", fmt(f.get("store_transitions_per_s")), "",
         "target >= 50k"),
        ("TPE, demo space, median best Sharpe over seeds", fmt(f.get("tpe_median_best")),
         "Optuna TPE " + fmt(f.get("optuna_tpe_median_best")), "target: ours >= Optuna"),
        ("TPE, Branin 101x101, median best", fmt(f.get("tpe_branin_median_best")),
         "Optuna TPE " + fmt(f.get("optuna_tpe_branin_median_best")), "target: ours >= Optuna"),
    ]
    return rows


HEADER = ("figure", "s1mple", "alternative", "ratio / target")


def text_table(rows):
    w = [max(len(r[i]) for r in rows + [HEADER]) for i in range(4)]
    lines = []
    for r in [HEADER] + rows:
        lines.append(" | ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip())
        if r[0] == "figure":
            lines.append("-+-".join("-" * x for x in w))
    return "\n".join(lines)


def markdown_table(rows):
    out = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * 4]
    for r in rows:
        out.append("| " + " | ".join(c.replace("|", "/") for c in r) + " |")
    return "\n".join(out)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", metavar="FILE", help="write the figures as one JSON object")
    ap.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    ap.add_argument("--only", default=",".join(SECTIONS), help="sections, comma-separated")
    ap.add_argument("--quick", action="store_true",
                    help="small sizes (a smoke run, not figures to publish)")
    ap.add_argument("--build-dir", default=os.environ.get("BUILD_DIR", "build"))
    ap.add_argument("--workdir", default=None, help="parent of the temp dir (default $TMPDIR)")
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--broker-jobs", type=int, default=20_000)
    ap.add_argument("--celery-jobs", type=int, default=2_000)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--submit-only-jobs", type=int, default=1_000_000,
                    help="also submit (not run) this many jobs to a fresh broker and read its "
                         "peak RSS (0: skip)")
    args = ap.parse_args(argv)
    if args.quick:
        args.bars, args.repeat, args.broker_jobs, args.celery_jobs = 100_000, 2, 2_000, 300
        args.sizes = "1000,5000"
        args.submit_only_jobs = 0
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    bad = [s for s in only if s not in SECTIONS]
    if bad:
        ap.error(f"unknown sections {bad}; choose from {SECTIONS}")

    b = Bench(args)
    try:
        for s in SECTIONS:
            if s in only:
                getattr(b, s)()
    finally:
        b.finish()
    rows = table(b.fig)
    print(text_table(rows))
    m = b.fig["machine"]
    print(f"\nmachine: {m['cpu_model']}, {m['cores']} cores, {m['memory_gib']} GiB, kernel "
          f"{m['kernel']}, load average {m['loadavg_1m']:.2f} at the end")
    for n in b.fig["notes"]:
        print("note: " + n)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(markdown_table(rows) + "\n")
        print(f"wrote {args.markdown}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(b.fig, f, indent=2, sort_keys=True)
            f.write("\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
