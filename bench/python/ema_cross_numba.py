#!/usr/bin/python3
"""Numba-compiled per-bar EMA-crossover loop: the compiled baseline the engine is measured against
(issue 20), the way vectorbt's kernels run a strategy: one fused loop over the bars, compiled by
Numba (Debian's python3-numba) to machine code, no allocation per bar.

The strategy is exactly ema_cross_numpy.py's (and bench/ema_compare.h's blueprint):
  - EMA(fast) and EMA(slow) of the close, alpha = 2 / (period + 1), seeded with the simple average
    of the first `period` closes summed left to right, then ema += alpha * (x - ema): the engine's
    recurrence (engine/indicators.cc, EmaStep), so the values are the engine's bit for bit;
  - a cross up on bar t (diff[t-1] <= 0 < diff[t]) opens a long of `units` at the open of t+1; a
    cross down (diff[t-1] >= 0 > diff[t]) closes it at the open of t+1; a position still open at
    the end is closed at the last close; fees and slippage 0;
  - the equity curve marked at every close (kept in an array, as the engine keeps it), its total
    return and maximum drawdown.

Two modes:
  single (default): one configuration, timed --repeat times; bars/s per CPU-second of the fastest
    run (numba_ema_cross_bars_per_s). --trades-out writes the trade list for the equality check.
  grid (--grid-fast LIST --grid-slow LIST): every fast < slow pair, the loop run once per
    configuration (EMAs recomputed each time: nothing shared), timed as a whole, --repeat times;
    configuration-bars per CPU-second (numba_grid_config_bars_per_s).

Compilation happens before timing (a warm-up call on the same arrays), so only the compiled loop is
timed, as the engine's RunBacktest is timed on bars already in memory.

Usage (Debian's Numba loads under /usr/bin/python3):
  ema_cross_numba.py --csv BARS.csv [--fast 12 --slow 26 --units 1 --capital 1e6] [--repeat 5]
                     [--trades-out TRADES.csv] [--grid-fast 5,8,... --grid-slow 40,50,...] [--json]
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import numba

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ema_cross_numpy import load_csv, write_trades  # noqa: E402


@numba.njit(cache=False, nogil=True)
def ema_cross_loop(op, close, fast, slow, units, capital, equity, entry_bar, exit_bar,
                   entry_price, exit_price):
    """Runs the strategy over every bar; fills equity[] and the trade arrays; returns
    (trades, max_drawdown_pct)."""
    n = close.shape[0]
    af = 2.0 / (fast + 1.0)
    a_s = 2.0 / (slow + 1.0)
    ema_f = 0.0
    ema_s = 0.0
    sum_f = 0.0
    sum_s = 0.0
    prev = np.nan
    pending = 0  # 1: buy at this bar's open, -1: sell at this bar's open
    long = False
    entry = 0.0
    realised = 0.0
    trades = 0
    peak = capital
    max_dd = 0.0
    for t in range(n):
        if pending == 1:
            long = True
            entry = op[t]
            entry_bar[trades] = t
            entry_price[trades] = entry
        elif pending == -1:
            long = False
            exit_bar[trades] = t
            exit_price[trades] = op[t]
            realised += (op[t] - entry) * units
            trades += 1
        pending = 0
        x = close[t]
        if t < fast:
            sum_f += x
            if t == fast - 1:
                ema_f = sum_f / fast
        else:
            ema_f += af * (x - ema_f)
        if t < slow:
            sum_s += x
            if t == slow - 1:
                ema_s = sum_s / slow
        else:
            ema_s += a_s * (x - ema_s)
        d = ema_f - ema_s if (t >= fast - 1 and t >= slow - 1) else np.nan
        if t + 1 < n:  # a signal on the last bar has no next open
            if not long and prev <= 0.0 and d > 0.0:
                pending = 1
            elif long and prev >= 0.0 and d < 0.0:
                pending = -1
        prev = d
        eq = capital + realised
        if long:
            if t == n - 1:  # end of data: closed at the last close
                exit_bar[trades] = t
                exit_price[trades] = x
                realised += (x - entry) * units
                trades += 1
                long = False
                eq = capital + realised
            else:
                eq += (x - entry) * units
        equity[t] = eq
        if eq > peak:
            peak = eq
        dd = (peak - eq) / peak
        if dd > max_dd:
            max_dd = dd
    return trades, max_dd * 100.0


def run_once(bars, fast, slow, units, capital, buffers):
    equity, eb, xb, ep, xp = buffers
    trades, mdd = ema_cross_loop(bars["open"], bars["close"], fast, slow, units, capital, equity,
                                 eb, xb, ep, xp)
    return trades, mdd


def make_buffers(n):
    cap = n // 2 + 2  # at most one trade per two bars
    return (np.empty(n), np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap),
            np.empty(cap))


def parse_list(text):
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", required=True)
    ap.add_argument("--fast", type=int, default=12)
    ap.add_argument("--slow", type=int, default=26)
    ap.add_argument("--units", type=float, default=1.0)
    ap.add_argument("--capital", type=float, default=1_000_000.0)
    ap.add_argument("--repeat", type=int, default=5, help="timed runs; min and median reported")
    ap.add_argument("--trades-out", help="write the single run's trade list as CSV")
    ap.add_argument("--grid-fast", help="grid mode: fast periods, comma-separated")
    ap.add_argument("--grid-slow", help="grid mode: slow periods, comma-separated")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if bool(args.grid_fast) != bool(args.grid_slow):
        ap.error("--grid-fast and --grid-slow go together")

    bars = load_csv(args.csv)
    n = bars["close"].shape[0]
    buffers = make_buffers(n)
    c0 = time.process_time()
    run_once(bars, 2, 3, args.units, args.capital, buffers)  # compile
    compile_s = time.process_time() - c0

    out = {"bars": n, "numba": numba.__version__, "compile_cpu_seconds": compile_s}
    if args.grid_fast:
        configs = [(f, s) for f in parse_list(args.grid_fast) for s in parse_list(args.grid_slow)
                   if 1 <= f < s]
        if not configs:
            ap.error("the grid has no fast < slow pair")
        times, cpu = [], []
        total_trades = 0
        for _ in range(max(1, args.repeat)):
            total_trades = 0
            c0 = time.process_time()
            t0 = time.perf_counter()
            for f, s in configs:
                total_trades += run_once(bars, f, s, args.units, args.capital, buffers)[0]
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        times.sort()
        cpu.sort()
        cb = n * len(configs)
        out.update({
            "configurations": len(configs),
            "trades_total": int(total_trades),
            "seconds_min": times[0],
            "cpu_seconds_min": cpu[0],
            "config_bars_per_s": cb / times[0],
            "config_bars_per_cpu_s": cb / cpu[0],
            "config_bars_per_cpu_s_median": cb / cpu[len(cpu) // 2],
        })
    else:
        if not 1 <= args.fast < args.slow:
            ap.error("need 1 <= fast < slow")
        times, cpu = [], []
        trades = mdd = 0
        for _ in range(max(1, args.repeat)):
            c0 = time.process_time()
            t0 = time.perf_counter()
            trades, mdd = run_once(bars, args.fast, args.slow, args.units, args.capital, buffers)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        times.sort()
        cpu.sort()
        equity, eb, xb, ep, xp = buffers
        if args.trades_out:
            result = {"trades": {"entry_bar": eb[:trades], "exit_bar": xb[:trades],
                                 "entry_price": ep[:trades], "exit_price": xp[:trades],
                                 "pnl": (xp[:trades] - ep[:trades]) * args.units}}
            write_trades(args.trades_out, bars, result)
        out.update({
            "trades": int(trades),
            "final_equity": float(equity[-1]),
            "total_return_pct": (float(equity[-1]) / args.capital - 1.0) * 100.0,
            "max_drawdown_pct": float(mdd),
            "seconds_min": times[0],
            "bars_per_s": n / times[0],
            "cpu_seconds_min": cpu[0],
            "bars_per_cpu_s": n / cpu[0],
            "bars_per_cpu_s_median": n / cpu[len(cpu) // 2],
        })
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
