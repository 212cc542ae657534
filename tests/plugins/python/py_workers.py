# Python workers of every category (tests/plugins/python_plugin_test.cc), most of them the same
# rule as a built-in written against the Python bases, so a run with them must give the built-in's
# results bit for bit:
#   py_drawdown       ThreatWorker    = max_drawdown_monitor (max_daily_drawdown 0)
#   py_market_entry   EntryPlanner    = market_entry_immediate
#   py_rr_exit        ExitPlanner     = fixed_rr_exit
#   py_fixed_size     SizePlanner     = fixed_size_sizer
#   py_partial_profit ExecutionWorker = partial_profit_taker
#   py_spread         ContextWorker   publishes ema_fast - ema_slow (the shared EMA columns it
#                                     declares) as py_spread_<fast>_<slow>; with pkg_column_cross
#                                     (a C++ package) reading it, a run equals trend_follower's
#   py_spread_opp     OpportunityWorker, the same column published from an opportunity worker
#   py_column_cross   OpportunityWorker reading a column it declares: long when it crosses above
#                                     0, short below (trend_follower's rule on any column)
#   py_zero_copy      checks that the arrays bind() gets are the engine's buffers (their data
#                                     pointer is the address pkg_address published) and read-only
#   py_boom           ExecutionWorker that raises on bar 100
#   py_vol_threat     ThreatWorker computing its threat for the whole series in bind()
import math

import numpy as np

import s1mple


class PyDrawdown(s1mple.ThreatWorker):
    name = "py_drawdown"
    subtype = "portfolio_risk"
    description = "max_drawdown_monitor in Python"
    triggers = ["on_ledger_update"]
    params = {"max_drawdown_percent": s1mple.Float(20.0, 0.1, 100.0, "fall from the peak, in %")}

    def assess(self, bar):
        l = bar.ledger
        peak, equity = l.peak_equity, l.equity
        dd = (peak - equity) / peak * 100.0 if peak > 0 else 0.0
        if dd >= self.params["max_drawdown_percent"]:
            return s1mple.Threat("MAX_DRAWDOWN_BREACHED", "high", True, dd)
        return None


class PyVolThreat(s1mple.ThreatWorker):
    name = "py_vol_threat"
    description = "a threat on bars whose range is above `ratio` x the close, from bind()"
    threat_type = "WIDE_BAR"
    severity = "high"
    blocks_new_entries = True
    params = {"ratio": s1mple.Float(0.01, 0.0, 1.0, "range / close that raises it")}

    def bind(self, bars):
        r = (bars["high"] - bars["low"]) / bars["close"]
        return np.where(r > self.params["ratio"], r, 0.0)


class PyMarketEntry(s1mple.EntryPlanner):
    name = "py_market_entry"
    description = "market_entry_immediate in Python"

    def plan(self, bar, opportunity, plan):
        plan.entry_type = "market"
        plan.entry_price = None
        plan.reference_price = bar.close


class PyRrExit(s1mple.ExitPlanner):
    name = "py_rr_exit"
    description = "fixed_rr_exit in Python"
    params = {"risk_reward_ratio": s1mple.Float(2.0, 0.1, 50.0, "target / stop distance")}

    def plan(self, bar, opportunity, plan):
        if plan.stop_loss is None:
            return
        ref = plan.reference_or(bar.close)
        plan.take_profit = ref + plan.side * self.params["risk_reward_ratio"] * abs(ref - plan.stop_loss)


class PyFixedSize(s1mple.SizePlanner):
    name = "py_fixed_size"
    description = "fixed_size_sizer in Python"
    params = {"units": s1mple.Float(1.0, 1e-9, 1e12, "units per trade")}

    def plan(self, bar, opportunity, plan):
        assert plan.phase == "size_planning", plan.phase
        plan.size = self.params["units"]


class PyPartialProfit(s1mple.ExecutionWorker):
    name = "py_partial_profit"
    subtype = "position_management"
    description = "partial_profit_taker in Python"
    params = {"first_target_r": s1mple.Float(1.0, 0.1, 50.0, "first target in R"),
              "breakeven_buffer_bps": s1mple.Float(0.0, 0.0, 1000.0, "bps beyond the entry")}

    def bind(self, bars):
        self.high, self.low = bars["high"], bars["low"]
        self.tracked = None
        self.done = False

    def manage(self, bar, position):
        p = bar.ledger.position
        if not p.open:
            self.tracked = None
            return
        if self.tracked != (p.opportunity, p.entry_bar):
            self.tracked = (p.opportunity, p.entry_bar)
            self.done = False
            self.entry = p.entry_price
            self.risk = abs(p.entry_price - p.stop_loss) if p.stop_loss is not None else math.nan
        if self.done or not (self.risk > 0):
            return
        is_long = p.side > 0
        target = self.entry + p.side * self.params["first_target_r"] * self.risk
        t = bar.t
        if not (self.high[t] >= target if is_long else self.low[t] <= target):
            return
        self.done = True
        position.close_partial(0.5, "first_target")
        be = self.entry * (1 + p.side * (self.params["breakeven_buffer_bps"] / 10000.0))
        stop = p.stop_loss
        if stop is None or (be > stop if is_long else be < stop):
            position.move_stop(be)


def spread_params():
    return {"fast_period": s1mple.Int(12, 1, 2000, "fast EMA period"),
            "slow_period": s1mple.Int(26, 2, 5000, "slow EMA period")}


class PySpread(s1mple.ContextWorker):
    name = "py_spread"
    subtype = "indicator"
    description = "ema_fast - ema_slow of the close, as the column py_spread_<fast>_<slow>"
    params = spread_params()
    columns = ["ema_{fast_period}", "ema_{slow_period}"]
    produces = ["py_spread_<fast_period>_<slow_period>"]

    def bind(self, bars):
        f, s = self.params["fast_period"], self.params["slow_period"]
        self.publish("py_spread_%d_%d" % (f, s), bars["ema_%d" % f] - bars["ema_%d" % s])


class PySpreadOpp(s1mple.OpportunityWorker):
    name = "py_spread_opp"
    description = "py_spread's column published by an opportunity worker (it emits nothing)"
    params = spread_params()
    columns = ["ema_{fast_period}", "ema_{slow_period}"]

    def bind(self, bars):
        f, s = self.params["fast_period"], self.params["slow_period"]
        self.publish("py_spread_opp_%d_%d" % (f, s), bars["ema_%d" % f] - bars["ema_%d" % s])
        return np.zeros(len(bars["close"]))


class PyColumnCross(s1mple.OpportunityWorker):
    name = "py_column_cross"
    description = "long when the column crosses above 0, short when below"
    params = {"column": s1mple.String("close_gap", "the column")}
    columns = ["{column}"]

    def bind(self, bars):
        x = bars[self.params["column"]]
        assert not x.flags.writeable
        before = np.concatenate(([np.nan], x[:-1]))
        score = np.abs(x) / bars["close"] * 100.0
        sig = np.zeros(len(x))
        with np.errstate(invalid="ignore"):
            up = (before <= 0) & (x > 0)
            down = (before >= 0) & (x < 0)
        sig[up] = score[up]
        sig[down] = -score[down]
        return sig


class PyZeroCopy(s1mple.OpportunityWorker):
    name = "py_zero_copy"
    description = "fails unless `column` is the engine's own buffer, read-only"
    params = {"column": s1mple.String("close", "the column to check")}
    columns = ["{column}", "address_of_{column}"]

    def bind(self, bars):
        c = self.params["column"]
        a = bars[c]
        engine_address = int(bars["address_of_" + c][0])
        mine = a.__array_interface__["data"][0]
        if mine != engine_address:
            raise AssertionError("%s: a copy at %#x, the engine's buffer is at %#x" %
                                 (c, mine, engine_address))
        if a.flags.writeable or a.flags.owndata:
            raise AssertionError("%s: writeable or owning its data" % c)
        try:
            a[0] = 1.0
        except ValueError:
            pass
        else:
            raise AssertionError("%s: written to" % c)
        return np.zeros(len(a))


class PyBoom(s1mple.ExecutionWorker):
    name = "py_boom"
    description = "raises from manage() on bar 100"

    def manage(self, bar, position):
        if bar.t == 100:
            explode(bar.t)


def explode(t):
    raise RuntimeError("py_boom went off on bar %d" % t)


_kept = []


class PyKeep(s1mple.ExecutionWorker):
    name = "py_keep"
    description = "keeps the bar handle of its calls where py_stale_reader finds it"

    def manage(self, bar, position):
        if not _kept:
            _kept.append(bar)
        if _kept[0].t != bar.t:  # a kept handle reads the call in progress
            raise AssertionError("kept handle reads bar %d in the call of bar %d" % (_kept[0].t, bar.t))


class PyStaleReader(s1mple.ThreatWorker):
    name = "py_stale_reader"
    description = "reads py_keep's handle outside py_keep's call: it must raise"

    def assess(self, bar):
        if not _kept:
            return None
        try:
            _kept[0].close
        except RuntimeError as e:
            assert "outside the call" in str(e), e
            return None
        raise AssertionError("a bar handle read outside its call did not raise")


# Events from Python: py_pulse_cross is trend_follower's crossover from a per-bar hook that also
# publishes the custom event py_pulse (value 1, 2 or 3 by the bar) on every signal; the sizer
# py_pulse_sizer is wired to py_pulse and sizes each trade by the value of the event of its
# signal bar.
class PyPulseCross(s1mple.OpportunityWorker):
    name = "py_pulse_cross"
    description = "EMA(10)/EMA(40) crossover that publishes py_pulse on each signal"
    columns = ["ema_10", "ema_40"]
    publishes = ["py_pulse"]
    params = {"bad_emit": s1mple.Bool(False, "emit an event it does not publish")}

    def bind(self, bars):
        self.spread = (bars["ema_10"] - bars["ema_40"]).tolist()
        return None

    def on_bar(self, t):
        if t == 0 or math.isnan(self.spread[t - 1]) or math.isnan(self.spread[t]):
            return 0.0
        s = 0.0
        if self.spread[t - 1] <= 0 < self.spread[t]:
            s = 1.0
        elif self.spread[t - 1] >= 0 > self.spread[t]:
            s = -1.0
        if s != 0.0:
            self.emit("py_pulse", 1.0 + t % 3)
            if self.params["bad_emit"]:
                self.emit("not_declared", 1.0)
        return s


class PyPulseSizer(s1mple.SizePlanner):
    name = "py_pulse_sizer"
    description = "sizes a trade by the value of the py_pulse event of its bar (else units)"
    wirings = ["py_pulse"]
    params = {"units": s1mple.Float(1.0, 1e-9, 1e12, "units when no event came")}

    def bind(self, bars):
        self.events = {}
        return None

    def on_event(self, bar, name, value):
        assert name == "py_pulse", name
        self.events[bar.t] = value

    def plan(self, bar, opportunity, plan):
        plan.size = self.events.get(bar.t, self.params["units"])
