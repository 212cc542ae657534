#!/usr/bin/python3
"""Vectorised NumPy EMA-crossover backtest: the baseline the engine is measured against.

The strategy is the one bench/ema_compare.h gives the engine as a blueprint, expressed exactly:
  - EMA(fast) and EMA(slow) of the close, alpha = 2 / (period + 1), each seeded with the simple
    average of its first `period` closes (engine/indicators.h, ComputeEma);
  - a cross up on bar t (diff[t-1] <= 0 < diff[t], diff = ema_fast - ema_slow) opens a long of
    `units` at the open of bar t+1; a cross down (diff[t-1] >= 0 > diff[t]) closes it at the open
    of bar t+1; no pyramiding (a cross up while long changes nothing); a position still open at
    the end is closed at the last close (the engine's "end_of_data");
  - fees 0, slippage 0, so pnl = units * (exit - entry) exactly;
  - the equity curve marked at every close, its total return and maximum drawdown.

Everything is whole-array NumPy; the only Python loop runs over blocks of ~500-1000 bars in the
EMA (one iteration per block, not per bar).

Usage (with Debian's NumPy: /usr/bin/python3):
  ema_cross_numpy.py --csv BARS.csv [--fast 12 --slow 26 --units 1 --capital 1e6]
                     [--repeat 5] [--trades-out TRADES.csv] [--json]
The CSV is what bench_ema_compare --export-csv writes: timestamp (epoch ms), open, high, low,
close, volume. Timing covers the strategy computation on arrays already in memory (CSV parsing
is excluded), exactly as bench_ema_compare times the engine's RunBacktest: wall and CPU time
of each run (NumPy here uses one thread), bars/s from the fastest run and the median.
"""

import argparse
import json
import math
import sys
import time

import numpy as np


def load_csv(path):
    """Returns a dict of columns: ts (int64 ms), open, high, low, close, volume (float64)."""
    with open(path, "r", encoding="ascii") as f:
        header = [h.strip().lower() for h in f.readline().split(",")]
    want = ["timestamp", "open", "high", "low", "close", "volume"]
    missing = [w for w in want if w not in header]
    if missing:
        raise ValueError(f"{path}: line 1: missing columns {missing} (have {header})")
    cols = [header.index(w) for w in want]
    raw = np.loadtxt(path, delimiter=",", skiprows=1, usecols=cols, dtype=np.float64, ndmin=2)
    bars = {w: np.ascontiguousarray(raw[:, i]) for i, w in enumerate(want)}
    # Epoch milliseconds stay exact in a float64 (< 2**53); keep them as integers.
    bars["ts"] = bars.pop("timestamp").astype(np.int64)
    return bars


def ema(x, period):
    """EMA with the engine's definition, computed without a per-bar loop.

    y[p-1] = mean(x[0:p]) (summed left to right, as the engine does), y[t] = y[t-1] + a*(x[t] -
    y[t-1]) after, NaN before. The recursion is evaluated in closed form per block of B bars:
    inside a block starting from value s, y[i] = q^(i+1) s + a q^i cumsum(x[j] q^-j)[i] with
    q = 1 - a; B is chosen so q^-B stays far from overflow. The values agree with the sequential
    recursion to ~1e-13 relative, not bit for bit (the trade lists are checked equal).
    """
    n = x.shape[0]
    out = np.full(n, np.nan)
    if n < period:
        return out
    a = 2.0 / (period + 1.0)
    seed = np.cumsum(x[:period])[-1] / period
    out[period - 1] = seed
    rest = x[period:]
    m = rest.shape[0]
    if m == 0:
        return out
    q = 1.0 - a
    if q <= 0.0:  # period 1: the EMA is the series itself
        out[period:] = rest
        return out
    block = int(max(16, min(1024, 600.0 / -math.log(q))))
    nb = -(-m // block)
    padded = np.zeros(nb * block)
    padded[:m] = rest
    xb = padded.reshape(nb, block)
    i = np.arange(block, dtype=np.float64)
    q_pow = q ** i  # q^i
    q_inv = q ** -i  # q^-i
    # Response of each block to its own inputs, starting from 0 (in place: xb is our copy).
    z = xb
    z *= q_inv
    np.cumsum(z, axis=1, out=z)
    z *= a * q_pow
    # Value carried into each block: s[b+1] = q^B s[b] + z[b, B-1] (one step per block).
    qb = q**block
    carry = np.empty(nb)
    s = seed
    last = z[:, -1]
    for b in range(nb):
        carry[b] = s
        s = qb * s + last[b]
    z += np.outer(carry, q_pow * q)  # + q^(i+1) s
    out[period:] = z.reshape(-1)[:m]
    return out


def backtest(bars, fast, slow, units=1.0, capital=1_000_000.0):
    """Runs the strategy; returns dict(trades=..., equity=..., total_return=..., max_drawdown=...).

    trades: dict of arrays entry_bar, exit_bar (int64), entry_price, exit_price, pnl (float64).
    """
    op, close = bars["open"], bars["close"]
    n = close.shape[0]
    diff = ema(close, fast) - ema(close, slow)
    before, now = diff[:-1], diff[1:]  # NaN compares false: warm-up bars never cross
    up = np.flatnonzero((before <= 0) & (now > 0)) + 1
    down = np.flatnonzero((before >= 0) & (now < 0)) + 1
    # Desired state from bar t+1 on: 1 after a cross up on t, 0 after a cross down; held between.
    state = np.full(n + 1, -1, dtype=np.int8)
    state[0] = 0
    state[up + 1] = 1
    state[down + 1] = 0
    idx = np.where(state >= 0, np.arange(n + 1), 0)
    np.maximum.accumulate(idx, out=idx)
    held = state[idx][:n]  # held[t]: long from the open of t (inclusive) on
    change = np.diff(held, prepend=np.int8(0))
    entry_bar = np.flatnonzero(change == 1)
    exit_bar = np.flatnonzero(change == -1)
    entry_price = op[entry_bar]
    exit_price = op[exit_bar]
    if entry_bar.shape[0] > exit_bar.shape[0]:  # open at the end: closed at the last close
        exit_bar = np.append(exit_bar, n - 1)
        exit_price = np.append(exit_price, close[n - 1])
    pnl = (exit_price - entry_price) * units

    # Equity at every close: capital + realised pnl + units * (close - entry) while long.
    held_at_close = held.astype(np.float64)
    held_at_close[n - 1] = 0.0  # the end-of-data exit fills at the last close
    entry_of_bar = np.zeros(n)
    entry_of_bar[entry_bar] = entry_price
    last_entry = np.where(change == 1, np.arange(n), 0)
    np.maximum.accumulate(last_entry, out=last_entry)
    open_pnl = held_at_close * units * (close - entry_of_bar[last_entry])
    realised = np.zeros(n)
    realised[exit_bar] = pnl  # exit bars are distinct
    equity = np.cumsum(realised)
    equity += open_pnl
    equity += capital
    peak = np.maximum.accumulate(equity)
    max_drawdown = float(np.max((peak - equity) / peak)) * 100.0
    return {
        "trades": {
            "entry_bar": entry_bar,
            "exit_bar": exit_bar,
            "entry_price": entry_price,
            "exit_price": exit_price,
            "pnl": pnl,
        },
        "equity": equity,
        "total_return": (float(equity[-1]) / capital - 1.0) * 100.0,
        "max_drawdown": max_drawdown,
    }


def write_trades(path, bars, result):
    t = result["trades"]
    ts = bars["ts"]
    with open(path, "w", encoding="ascii") as f:
        f.write("entry_bar,exit_bar,entry_time_ms,exit_time_ms,entry_price,exit_price,pnl\n")
        for eb, xb, ep, xp, p in zip(t["entry_bar"], t["exit_bar"], t["entry_price"],
                                     t["exit_price"], t["pnl"]):
            f.write(f"{eb},{xb},{ts[eb]},{ts[xb]},{ep!r},{xp!r},{p!r}\n")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", required=True)
    ap.add_argument("--fast", type=int, default=12)
    ap.add_argument("--slow", type=int, default=26)
    ap.add_argument("--units", type=float, default=1.0)
    ap.add_argument("--capital", type=float, default=1_000_000.0)
    ap.add_argument("--repeat", type=int, default=5, help="timed runs; min and median reported")
    ap.add_argument("--trades-out", help="write the trade list as CSV")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if not 1 <= args.fast < args.slow:
        ap.error("need 1 <= fast < slow")

    t0 = time.perf_counter()
    bars = load_csv(args.csv)
    load_s = time.perf_counter() - t0
    n = bars["close"].shape[0]

    times, cpu_times = [], []
    result = None
    for _ in range(max(1, args.repeat)):
        c0 = time.process_time()
        t0 = time.perf_counter()
        result = backtest(bars, args.fast, args.slow, args.units, args.capital)
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
    times.sort()
    cpu_times.sort()
    median = times[len(times) // 2]
    if args.trades_out:
        write_trades(args.trades_out, bars, result)
    out = {
        "bars": n,
        "trades": int(result["trades"]["entry_bar"].shape[0]),
        "final_equity": float(result["equity"][-1]),
        "total_return_pct": result["total_return"],
        "max_drawdown_pct": result["max_drawdown"],
        "seconds_min": times[0],
        "seconds_median": median,
        "bars_per_s": n / times[0],
        "bars_per_s_median": n / median,
        "cpu_seconds_min": cpu_times[0],
        "bars_per_cpu_s": n / cpu_times[0],
        "bars_per_cpu_s_median": n / cpu_times[len(cpu_times) // 2],
        "csv_load_seconds": load_s,
        "numpy": np.__version__,
    }
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
