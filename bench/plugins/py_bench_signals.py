# Python signals for bench_plugins (docs/BENCHMARKS.md): an SMA crossover computed for the whole
# series in bind() with NumPy (py_sma_cross), and the same signal returned bar by bar from a
# per-bar hook (py_sma_cross_hook: one Python call per bar).
import numpy as np

import s1mple


def sma(x, period):
    out = np.full(len(x), np.nan)
    if len(x) >= period:
        c = np.cumsum(np.concatenate(([0.0], x)))
        out[period - 1:] = (c[period:] - c[:-period]) / period
    return out


def cross(close, fast, slow):
    spread = sma(close, fast) - sma(close, slow)
    before = np.concatenate(([np.nan], spread[:-1]))
    signal = np.zeros(len(close))
    with np.errstate(invalid="ignore"):
        signal[(before <= 0) & (spread > 0)] = 1.0
        signal[(before >= 0) & (spread < 0)] = -1.0
    return signal


PARAMS = {"fast_period": s1mple.Int(12, 1, 2000, "fast SMA period"),
          "slow_period": s1mple.Int(26, 2, 5000, "slow SMA period")}


class PySmaCross(s1mple.OpportunityWorker):
    name = "py_sma_cross"
    params = PARAMS

    def bind(self, bars):
        return cross(bars["close"], self.params["fast_period"], self.params["slow_period"])


class PySmaCrossHook(s1mple.OpportunityWorker):
    name = "py_sma_cross_hook"
    params = PARAMS

    def bind(self, bars):
        self.signal = cross(bars["close"], self.params["fast_period"],
                            self.params["slow_period"]).tolist()
        return None

    def on_bar(self, t):
        return self.signal[t]
