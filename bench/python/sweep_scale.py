#!/usr/bin/python3
"""Sweeps at scale through the real `s1mple` binary: wall time, jobs/s and the peak RSS of every
process (docs/BENCHMARKS.md, "100,000 jobs and 1,000,000 submitted").

  sweep      `s1mple optimize bench/plans/sweep_100k.yaml` on the embedded default (one runner
             slot per core): 100,000 backtests of ema_cross on 400 bars, to results.csv,
             optimization_result.json and report.html. Phases from the session's own lines:
             submission (until "sweep ID: N jobs"), run (until the last progress line), outputs.
  submit     1,000,000 jobs (bench/plans/submit_1m.yaml, --max-jobs 1000000) submitted
             (a) to a `s1mple broker` process with --detach (no runner: the jobs stay pending):
                 the producer's wall time and peak RSS, and the broker's peak RSS;
             (b) embedded: `s1mple optimize` until it says the sweep is submitted, then SIGINT:
                 the submission time and the process's peak RSS up to then.

Peak RSS: every process of the tree (the s1mple process and its `s1mple runner-worker` pool
processes) is sampled from /proc/PID/status (VmHWM, the kernel's own high-water mark) every
50 ms until it exits; the s1mple process's own figure is also taken exactly from wait4's rusage
(ru_maxrss covers it and its reaped children, i.e. the largest process of the tree).

Usage: bench/python/sweep_scale.py [--only sweep,submit] [--build-dir build] [--workdir DIR]
                                   [--json FILE] [--limit-mib 400]
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import proc_util  # noqa: E402


def log(msg):
    print(f"[sweep_scale {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class TreeSampler:
    """Samples VmHWM of a process and its descendants every `period` s on a thread; keeps the
    highest value seen per pid, with the command name."""

    def __init__(self, root, period=0.05):
        self.root = root
        self.period = period
        self.peak = {}  # pid -> (MiB, name)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @staticmethod
    def _name(pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
            return " ".join(a.decode("utf-8", "replace") for a in args[:2])
        except OSError:
            return "?"

    def _run(self):
        while not self.stop.is_set():
            for pid in proc_util.tree_pids(self.root):
                mib = proc_util.peak_rss_mb(pid)
                if mib is None:
                    continue
                old = self.peak.get(pid)
                if old is None or mib > old[0]:
                    self.peak[pid] = (mib, old[1] if old else self._name(pid))
            self.stop.wait(self.period)

    def finish(self):
        self.stop.set()
        self.thread.join()
        workers = [m for pid, (m, n) in self.peak.items() if "runner-worker" in n]
        return {
            "s1mple_sampled_mib": self.peak.get(self.root, (None, ""))[0],
            "workers": len(workers),
            "worker_max_mib": max(workers) if workers else None,
            "all": sorted(((round(m, 1), n) for m, n in self.peak.values()), reverse=True),
        }


def spawn(cmd, log_path, **kw):
    out = open(log_path, "w")
    return subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, **kw), out


def wait_exact(proc):
    """Waits for proc; returns (exit code, ru_maxrss in MiB) from wait4."""
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, ru.ru_maxrss / 1024.0


class Timeline:
    """Reads a log file as it grows and notes when a line matching a pattern first appears."""

    def __init__(self, path, patterns):
        self.path = path
        self.patterns = {k: re.compile(v) for k, v in patterns.items()}
        self.seen = {}
        self.start = time.monotonic()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        pos = 0
        buf = ""
        while not self.stop.is_set():
            try:
                with open(self.path, "r", errors="replace") as f:
                    f.seek(pos)
                    chunk = f.read()
                    pos = f.tell()
            except OSError:
                chunk = ""
            buf += chunk
            *lines, buf = buf.split("\n")
            now = time.monotonic() - self.start
            for line in lines:
                for k, rx in self.patterns.items():
                    if k not in self.seen and rx.search(line):
                        self.seen[k] = now
            self.stop.wait(0.02)

    def finish(self):
        time.sleep(0.05)
        self.stop.set()
        self.thread.join()
        return self.seen


def bench_sweep(a, work):
    plan = "bench/plans/sweep_100k.yaml"
    store, out = os.path.join(work, "store-100k"), os.path.join(work, "out-100k")
    log_path = os.path.join(work, "sweep-100k.log")
    log(f"100,000-job sweep: s1mple optimize {plan} (embedded, one slot per core)")
    t0 = time.monotonic()
    proc, fh = spawn([a.s1mple, "optimize", plan, "--store", store, "--out", out], log_path)
    sampler = TreeSampler(proc.pid)
    timeline = Timeline(log_path, {"submitted": r"^sweep sw-\S+: \d+ jobs",
                                   "finished": r"^100000/100000 ",
                                   "summary": r"^sweep sw-\S+: \d+ succeeded"})
    code, exact = wait_exact(proc)
    wall = time.monotonic() - t0
    fh.close()
    seen = timeline.finish()
    peaks = sampler.finish()
    with open(log_path) as f:
        tail = f.read().strip().splitlines()[-4:]
    if code != 0:
        raise RuntimeError(f"s1mple optimize exited {code}: " + " | ".join(tail))
    rows = sum(1 for _ in open(os.path.join(out, "results.csv"))) - 1
    sizes = {n: os.path.getsize(os.path.join(out, n)) for n in os.listdir(out)}
    submitted = seen.get("submitted")
    finished = seen.get("finished")
    fig = {
        "sweep_jobs": 100000,
        "sweep_rows": rows,
        "sweep_wall_s": round(wall, 2),
        "sweep_jobs_per_s": round(100000 / wall, 1),
        "sweep_submit_s": round(submitted, 2) if submitted else None,
        "sweep_run_s": round(finished - submitted, 2) if submitted and finished else None,
        "sweep_run_jobs_per_s": round(100000 / (finished - submitted), 1)
        if submitted and finished else None,
        "sweep_outputs_s": round(wall - finished, 2) if finished else None,
        "sweep_s1mple_peak_rss_mib": round(peaks["s1mple_sampled_mib"] or 0, 1),
        "sweep_tree_peak_rss_mib_wait4": round(exact, 1),
        "sweep_workers": peaks["workers"],
        "sweep_worker_peak_rss_mib": round(peaks["worker_max_mib"], 1)
        if peaks["worker_max_mib"] else None,
        "sweep_output_bytes": sizes,
        "sweep_store_bytes": dir_bytes(store),
        "sweep_processes": peaks["all"],
    }
    shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    return fig


def dir_bytes(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(d, f))
            except OSError:
                pass
    return total


def bench_submit(a, work):
    plan = "bench/plans/submit_1m.yaml"
    fig = {"submit_jobs": 1000000}
    # (a) to a broker process.
    store = os.path.join(work, "store-1m-broker")
    ep_file = os.path.join(work, "endpoint")
    log("1,000,000 jobs to `s1mple broker` (--detach, no runner)")
    broker, bfh = spawn([a.s1mple, "broker", "--bind", "tcp://127.0.0.1:*", "--store", store,
                         "--endpoint-file", ep_file], os.path.join(work, "broker-1m.log"))
    bsampler = TreeSampler(broker.pid)
    endpoint = None
    for _ in range(200):
        time.sleep(0.05)
        try:
            line = open(ep_file).readline().strip()
        except OSError:
            continue
        if line.startswith("listening on "):
            endpoint = line[len("listening on "):]
            break
    if not endpoint:
        raise RuntimeError("broker did not report its endpoint")
    t0 = time.monotonic()
    prod, pfh = spawn([a.s1mple, "optimize", plan, "--max-jobs", "1000000", "--broker", endpoint,
                       "--detach"], os.path.join(work, "producer-1m.log"))
    psampler = TreeSampler(prod.pid)
    code, pexact = wait_exact(prod)
    wall = time.monotonic() - t0
    pfh.close()
    psampler.finish()
    if code != 0:
        raise RuntimeError(f"producer exited {code}: " + open(os.path.join(work, "producer-1m.log")).read()[-500:])
    time.sleep(0.3)
    bpeak = bsampler.finish()["s1mple_sampled_mib"]
    broker.send_signal(signal.SIGTERM)
    broker.wait(timeout=60)
    bfh.close()
    fig.update({
        "submit_broker_wall_s": round(wall, 2),
        "submit_broker_jobs_per_s": round(1000000 / wall),
        "submit_producer_peak_rss_mib": round(pexact, 1),
        "submit_broker_peak_rss_mib": round(bpeak, 1) if bpeak else None,
        "submit_broker_store_bytes": dir_bytes(store),
    })
    shutil.rmtree(store, ignore_errors=True)

    # (b) embedded: until the sweep is submitted, then SIGINT.
    store = os.path.join(work, "store-1m-embedded")
    log_path = os.path.join(work, "embedded-1m.log")
    log("1,000,000 jobs submitted on the embedded default (SIGINT once submitted)")
    t0 = time.monotonic()
    proc, fh = spawn([a.s1mple, "optimize", plan, "--max-jobs", "1000000", "--store", store,
                      "--out", os.path.join(work, "out-1m")], log_path)
    sampler = TreeSampler(proc.pid)
    timeline = Timeline(log_path, {"submitted": r"^sweep sw-\S+: 1000000 jobs"})
    while "submitted" not in timeline.seen and proc.poll() is None:
        time.sleep(0.02)
    submitted_at = timeline.seen.get("submitted")
    # The peak up to the end of the submission (the run that would follow is not measured).
    at_submit = proc_util.peak_rss_mb(proc.pid)
    proc.send_signal(signal.SIGINT)
    code, _ = wait_exact(proc)
    fh.close()
    timeline.finish()
    sampler.finish()
    fig.update({
        "submit_embedded_s": round(submitted_at, 2) if submitted_at else None,
        "submit_embedded_jobs_per_s": round(1000000 / submitted_at) if submitted_at else None,
        "submit_embedded_peak_rss_mib": round(at_submit, 1) if at_submit else None,
        "submit_embedded_exit": code,
    })
    shutil.rmtree(store, ignore_errors=True)
    return fig


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="sweep,submit")
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--limit-mib", type=float, default=400.0)
    a = ap.parse_args()
    build = a.build_dir if os.path.isabs(a.build_dir) else os.path.join(ROOT, a.build_dir)
    a.s1mple = os.path.join(build, "cli", "s1mple")
    work = tempfile.mkdtemp(prefix="s1mple-scale-", dir=a.workdir)
    fig = {"machine": proc_util.machine(), "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
    try:
        if "sweep" in a.only:
            fig.update(bench_sweep(a, work))
        if "submit" in a.only:
            fig.update(bench_submit(a, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    fig["machine"]["loadavg_1m_after"] = os.getloadavg()[0]
    print(json.dumps(fig, indent=2))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(fig, f, indent=2)
    over = [k for k in ("sweep_tree_peak_rss_mib_wait4", "sweep_s1mple_peak_rss_mib",
                        "sweep_worker_peak_rss_mib") if (fig.get(k) or 0) > a.limit_mib]
    if over:
        log(f"over {a.limit_mib} MiB: " + ", ".join(f"{k}={fig[k]}" for k in over))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
