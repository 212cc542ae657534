#!/usr/bin/python3
"""Celery + Redis job throughput with durably recorded results: the baseline for the broker.

What it does, all on this machine and on loopback only:
  1. starts a private redis-server (port picked free on 127.0.0.1, data in a temp dir) with
     appendonly yes + appendfsync always: every write command (task LPUSH, ack, result SET) is in
     the append-only file and fsync'ed before Redis answers it — Redis does the write + fsync once
     per event-loop turn for everything that turn received, a group commit of its own;
  2. starts one Celery worker (prefork pool, --concurrency SLOTS, the app in celery_tasks.py:
     acks late, results stored);
  3. warms up, then submits JOBS trivial tasks with apply_async and waits until every result has
     been stored: each result's PUBLISH (sent in the same pipeline right after its SET) is counted
     on a pattern subscription, and Redis delivers it only after the turn's fsync;
  4. checks every stored result (status SUCCESS, the right index), stops worker and Redis.

Reported: jobs/s (jobs / seconds from the first submit to the last durable result), the
submission time alone, slot time per job (slots x seconds / jobs: for a trivial job, all of it is
overhead), and CPU per job (CPU seconds of Redis + the worker and its pool processes + this client
during the timed phase, / jobs).

Usage: /usr/bin/python3 celery_bench.py [--jobs 5000] [--slots 2] [--submitters 1]
                                        [--appendfsync always] [--json]
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import celery
import redis

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import proc_util  # noqa: E402


class Redis:
    """A private redis-server for one benchmark run; stopped and its files removed on exit."""

    def __init__(self, workdir, appendfsync="always"):
        self.port = proc_util.free_port()
        self.dir = workdir
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", workdir, "--appendonly", "yes", "--appendfsync", appendfsync,
             "--save", "", "--daemonize", "no", "--logfile", os.path.join(workdir, "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}"
        client = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start (see {workdir}/redis.log)")
                time.sleep(0.05)
        self.client = client

    def durability(self):
        cfg = self.client.config_get("append*")
        info = self.client.info("persistence")
        return {"appendonly": cfg.get("appendonly"), "appendfsync": cfg.get("appendfsync"),
                "aof_enabled": info.get("aof_enabled")}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Worker:
    """One `celery worker` process (prefork pool) for the app in celery_tasks.py."""

    def __init__(self, redis_url, slots, workdir):
        env = dict(os.environ, CELERY_BENCH_REDIS=redis_url, PYTHONPATH=HERE)
        self.log = open(os.path.join(workdir, "worker.log"), "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "celery_tasks", "worker", "--pool", "prefork",
             "--concurrency", str(slots), "--loglevel", "WARNING"],
            cwd=HERE, env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)

    def wait_ready(self, app, timeout_s=60):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited with {self.proc.returncode} "
                                   f"(log: {self.log.name})")
            if app.control.ping(timeout=0.5):
                return
        raise RuntimeError(f"celery worker not ready after {timeout_s}s (log: {self.log.name})")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class ResultCounter:
    """Counts stored results as they are published (pattern subscription on the result keys)."""

    def __init__(self, port):
        self.client = redis.Redis(host="127.0.0.1", port=port)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.psubscribe("celery-task-meta-*")
        self.count = 0
        self.target = None
        self.done = threading.Event()
        self.stop_flag = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop_flag:
            msg = self.pubsub.get_message(timeout=0.2)
            if msg is None:
                continue
            self.count += 1
            if self.target is not None and self.count >= self.target:
                self.done.set()

    def expect(self, n):
        self.count = 0
        self.target = n
        self.done.clear()

    def close(self):
        self.stop_flag = True
        self.thread.join(timeout=5)
        self.pubsub.close()


def run_batch(app, counter, first, jobs, timeout_s, submitters=1):
    """Submits jobs first..first+jobs-1 (from `submitters` threads, each an interleaved share)
    and waits until all their results are stored. Returns (task ids, submit s, total s)."""
    counter.expect(jobs)
    task = app.tasks["trivial"]
    ids = [None] * jobs

    def submit(k):
        for i in range(k, jobs, submitters):
            ids[i] = task.apply_async((first + i,)).id

    t0 = time.perf_counter()
    if submitters <= 1:
        submit(0)
    else:
        threads = [threading.Thread(target=submit, args=(k,)) for k in range(submitters)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    t_submit = time.perf_counter() - t0
    if not counter.done.wait(timeout_s):
        raise RuntimeError(f"only {counter.count} of {jobs} results after {timeout_s}s")
    return ids, t_submit, time.perf_counter() - t0


def verify(redis_client_db1, ids, first):
    """Every result stored as SUCCESS with its own index. Returns the number verified."""
    ok = 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        values = redis_client_db1.mget([f"celery-task-meta-{i}" for i in chunk])
        for k, raw in enumerate(values):
            if raw is None:
                raise RuntimeError(f"result of task {chunk[k]} missing")
            meta = json.loads(raw)
            want = first + start + k
            if meta.get("status") != "SUCCESS" or meta.get("result", {}).get("index") != want:
                raise RuntimeError(f"task {chunk[k]}: unexpected result {meta}")
            ok += 1
    return ok


def measure(jobs, slots, submitters=1, appendfsync="always", warmup=200, timeout_s=600,
            parent_dir=None):
    """Runs the whole measurement (Redis and the worker started and stopped here); returns the
    figures as a dict. parent_dir: where the temp dir for Redis's files goes (default $TMPDIR)."""
    workdir = tempfile.mkdtemp(prefix="s1mple-celery-bench-", dir=parent_dir)
    rds = worker = counter = None
    try:
        rds = Redis(workdir, appendfsync)
        os.environ["CELERY_BENCH_REDIS"] = rds.url
        import celery_tasks  # noqa: E402  (reads the URL at import)

        app = celery_tasks.app
        app.conf.broker_url = rds.url + "/0"
        app.conf.result_backend = rds.url + "/1"
        worker = Worker(rds.url, slots, workdir)
        worker.wait_ready(app)
        counter = ResultCounter(rds.port)
        run_batch(app, counter, 0, warmup, timeout_s)

        roots = [rds.proc.pid, worker.proc.pid]
        cpu0 = proc_util.tree_cpu_seconds(roots) + proc_util.self_cpu_seconds()
        ids, t_submit, t_total = run_batch(app, counter, warmup, jobs, timeout_s, submitters)
        cpu1 = proc_util.tree_cpu_seconds(roots) + proc_util.self_cpu_seconds()
        verified = verify(redis.Redis(host="127.0.0.1", port=rds.port, db=1), ids, warmup)
        aof_dir = os.path.join(workdir, "appendonlydir")
        aof_bytes = sum(os.path.getsize(os.path.join(aof_dir, f)) for f in os.listdir(aof_dir))
        return {
            "system": "celery+redis",
            "jobs": jobs,
            "slots": slots,
            "submitters": submitters,
            "seconds": t_total,
            "submit_seconds": t_submit,
            "jobs_per_s": jobs / t_total,
            "slot_us_per_job": slots * t_total / jobs * 1e6,
            "cpu_us_per_job": (cpu1 - cpu0) / jobs * 1e6,
            "results_verified": verified,
            "durability": rds.durability(),
            "aof_bytes": aof_bytes,
            "celery": celery.__version__,
            "redis_server": rds.client.info("server").get("redis_version"),
        }
    finally:
        if counter:
            counter.close()
        if worker:
            worker.stop()
        if rds:
            rds.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=5000)
    ap.add_argument("--slots", type=int, default=2, help="worker pool processes")
    ap.add_argument("--submitters", type=int, default=1,
                    help="client threads calling apply_async (default 1: a plain loop)")
    ap.add_argument("--appendfsync", default="always", choices=["always", "everysec"],
                    help="Redis AOF policy; only 'always' makes each result durable when "
                         "acknowledged ('everysec' may lose the last second on power loss)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    out = measure(args.jobs, args.slots, args.submitters, args.appendfsync)
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
