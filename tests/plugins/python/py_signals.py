# A Python plugin package for the tests (tests/plugins): py_cross computes an EMA crossover in
# bind() with NumPy for the whole series (no Python call per bar); py_cross_hook the same signal
# from a per-bar hook; py_mid a context column; py_raise raises from bind() when told to.
import numpy as np

import s1mple


def ema(x, period):
    # The engine's EMA: seeded with the SMA of the first `period` values, NaN before.
    out = np.full(len(x), np.nan)
    if len(x) < period:
        return out
    alpha = 2.0 / (period + 1.0)
    v = float(np.mean(x[:period]))
    out[period - 1] = v
    for t in range(period, len(x)):
        v = alpha * x[t] + (1.0 - alpha) * v
        out[t] = v
    return out


def cross_signal(close, fast, slow):
    spread = ema(close, fast) - ema(close, slow)
    before = np.concatenate(([np.nan], spread[:-1]))
    sig = np.zeros(len(close))
    with np.errstate(invalid="ignore"):
        sig[(before <= 0) & (spread > 0)] = 1.0
        sig[(before >= 0) & (spread < 0)] = -1.0
    return sig


class PyCross(s1mple.OpportunityWorker):
    name = "py_cross"
    subtype = "momentum_signal"
    description = "EMA crossover computed in bind() with NumPy"
    params = {"fast_period": s1mple.Int(12, 1, 2000, "fast EMA period"),
              "slow_period": s1mple.Int(26, 2, 5000, "slow EMA period")}

    def bind(self, bars):
        assert not bars["close"].flags.writeable
        return cross_signal(bars["close"], self.params["fast_period"], self.params["slow_period"])


class PyCrossSides(s1mple.OpportunityWorker):
    name = "py_cross_sides"
    subtype = "momentum_signal"
    description = "py_cross, keeping only the sides listed (a StringList param)"
    params = {"fast_period": s1mple.Int(12, 1, 2000, "fast EMA period"),
              "slow_period": s1mple.Int(26, 2, 5000, "slow EMA period"),
              "sides": s1mple.StringList(["long", "short"], ["long", "short"], "sides to trade")}

    def bind(self, bars):
        assert isinstance(self.params["sides"], list)
        sig = cross_signal(bars["close"], self.params["fast_period"], self.params["slow_period"])
        if "long" not in self.params["sides"]:
            sig[sig > 0] = 0.0
        if "short" not in self.params["sides"]:
            sig[sig < 0] = 0.0
        return sig


class PyCrossHook(s1mple.OpportunityWorker):
    name = "py_cross_hook"
    subtype = "momentum_signal"
    description = "the same signal, one Python call per bar"
    params = {"fast_period": s1mple.Int(12, 1, 2000, "fast EMA period"),
              "slow_period": s1mple.Int(26, 2, 5000, "slow EMA period")}

    def bind(self, bars):
        self.sig = cross_signal(bars["close"], self.params["fast_period"],
                                self.params["slow_period"]).tolist()
        return None

    def on_bar(self, t):
        return self.sig[t]


class PyMid(s1mple.ContextWorker):
    name = "py_mid"
    subtype = "indicator"
    description = "(high + low) / 2 as the column py_mid"

    def compute(self, bars):
        return {"py_mid": (bars["high"] + bars["low"]) / 2.0}


class PyRaise(s1mple.OpportunityWorker):
    name = "py_raise"
    description = "raises from bind() when mode is 'raise'"
    params = {"mode": s1mple.Enum("none", ["none", "raise"], "what bind() does")}

    def bind(self, bars):
        if self.params["mode"] == "raise":
            helper_that_fails(len(bars["close"]))
        return np.zeros(len(bars["close"]))


def helper_that_fails(n):
    raise ValueError("py_raise was told to raise (%d bars)" % n)
