#!/usr/bin/env python3
"""A client and a runner of `diag` jobs for the s1mple broker (pyzmq + msgpack), written from
docs/PROTOCOL.md alone. What it does, and what it checks:

client  PUT an artifact (three parts of a 300 KiB file), SUBMIT_BEGIN, SUBMIT_JOBS in two
        batches, SUBMIT_COMMIT, STATUS until complete (rate/eta_s/connected_s are floats),
        RESULTS page by page, GET the artifact back by ranges (`offset`; the reply's `total`)
        and verify its SHA-256.
runner  READY with `instance` and `held`; credit; jobs queued and run without blocking (each
        diag job's `sleep_ms` is a timer, `fail` a deterministic failure, `value` the result);
        HEARTBEAT when idle and at once with `started` when jobs start; results kept until
        their ACK and resent (credit 0) after a reconnect; REVOKE of queued jobs answered with
        a hand-back; artifacts fetched by GET ranges and verified; on stop: queued jobs handed
        back, running ones finished, ACKs awaited, DISCONNECT.
        Half way through the sweep it drops its connection without waiting for ACKs and
        reconnects (a new socket, READY `held`), so the resend path runs in every test.

It does not run `backtest` jobs (PROTOCOL.md, "Job kinds", says what that takes).

usage: python_client.py ENDPOINT JOBS   (exit 0 and "python: N results, all verified")
"""
import hashlib
import json
import os
import sys
import threading
import time

import msgpack
import zmq

HEADER = b"s1mple/2"
BEAT = 0.1        # seconds of silence before we heartbeat (below the broker's --heartbeat-ms)
LIVENESS = 5      # broker silent for LIVENESS * its heartbeat (here: 1 s): reconnect
CHUNK = 128 << 10  # GET range size we ask for (the broker may send less)


def send(sock, command, body):
    sock.send_multipart([HEADER, command.encode(), msgpack.packb(body, use_bin_type=True)])


def recv(sock):
    frames = sock.recv_multipart()
    assert len(frames) == 3 and frames[0] == HEADER, frames[:2]
    return frames[1].decode(), msgpack.unpackb(frames[2], raw=False)


def dealer(ctx, endpoint):
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(endpoint)
    return sock


def fetch(sock, digest, next_req, other=None):
    """GET an artifact range by range until `total` bytes; verify it. `other` takes messages
    that arrive meanwhile (a runner's JOBs, ACKs)."""
    data, total = b"", None
    while total is None or len(data) < total:
        req = next_req()
        send(sock, "GET", {"req": req, "hash": digest, "offset": len(data), "length": CHUNK})
        while True:
            if not sock.poll(5000):
                raise TimeoutError("GET: no reply")
            cmd, body = recv(sock)
            if cmd == "REPLY" and body.get("req") == req:
                break
            if other is None:
                continue  # a stray reply to an earlier request
            other(cmd, body)
        if not body["ok"]:
            raise RuntimeError("GET: " + body["error"])
        part = body["data"]
        if body.get("offset", 0) != len(data):
            raise RuntimeError(f"GET: range at {body.get('offset')}, asked for {len(data)}")
        data += part
        # A broker without ranges sends the whole artifact and no `total`.
        total = body.get("total", len(data))
        if not part and len(data) < total:
            raise RuntimeError("GET: empty range before the end")
    if hashlib.sha256(data).hexdigest() != digest:
        raise RuntimeError("GET: SHA-256 mismatch")
    return data


class Client:
    def __init__(self, ctx, endpoint):
        self.sock = dealer(ctx, endpoint)
        self.req = 0

    def next_req(self):
        self.req += 1
        return self.req

    def call(self, command, **fields):
        req = self.next_req()
        send(self.sock, command, dict(fields, req=req))
        while True:
            if not self.sock.poll(10000):
                raise TimeoutError(f"{command}: no reply")
            cmd, body = recv(self.sock)
            if cmd == "REPLY" and body["req"] == req:
                if not body["ok"]:
                    raise RuntimeError(f"{command}: {body['error']}")
                return body


class Runner:
    """A runner of diag jobs in one thread: a poll loop over its DEALER socket and its timers."""

    def __init__(self, ctx, endpoint, name, slots, drop_after):
        self.ctx, self.endpoint, self.name, self.slots = ctx, endpoint, name, slots
        self.instance = os.urandom(8).hex()  # this process, across reconnects
        self.drop_after = drop_after  # results sent before we drop the connection once
        self.stop = threading.Event()
        self.queue = []       # JOB bodies received, not started
        self.running = {}     # (sweep, index, attempt) -> (JOB body, finish time)
        self.unacked = {}     # (sweep, index, attempt) -> RESULT body
        self.artifacts = {}
        self.started = []     # refs started since the last report
        self.req = 0
        self.sock = None
        self.stats = {"results": 0, "acked": 0, "resent": 0, "reconnects": 0, "handed_back": 0}
        self.error = None

    def next_req(self):
        self.req += 1
        return self.req

    @staticmethod
    def key(body):
        return (body["sweep"], body["index"], body["attempt"])

    @staticmethod
    def ref(key):
        return {"sweep": key[0], "index": key[1], "attempt": key[2]}

    def emit(self, command, body):
        send(self.sock, command, body)
        self.last_sent = time.time()

    def connect(self):
        self.sock = dealer(self.ctx, self.endpoint)
        self.last_heard = time.time()
        held = [self.ref(self.key(j)) for j in self.queue] + [self.ref(k) for k in self.running]
        held += [self.ref(k) for k in self.unacked]
        self.emit("READY", {"runner": self.name, "slots": self.slots, "credit": self.free(),
                            "queue": 0, "instance": self.instance, "held": held})
        for body in self.unacked.values():  # their slots are in READY's credit
            self.emit("RESULT", dict(body, credit=0))
            self.stats["resent"] += 1
        self.started = [self.ref(k) for k in self.running]

    def reconnect(self):
        self.sock.close(linger=0)
        self.stats["reconnects"] += 1
        self.connect()

    def free(self):
        return 0 if self.stop.is_set() else max(0, self.slots - len(self.queue) - len(self.running))

    def result(self, job, outcome, result="", error="", handed_back=False):
        key = self.key(job)
        body = {"sweep": key[0], "index": key[1], "attempt": key[2], "outcome": outcome,
                "result": result, "error": error, "retryable": handed_back,
                "elapsed_ms": 0, "credit": 0 if self.stop.is_set() else 1}
        if handed_back:
            body["handed_back"] = True
            self.stats["handed_back"] += 1
        self.emit("RESULT", body)
        self.stats["results"] += 1
        self.unacked[key] = dict(body, credit=0)

    def on_message(self, cmd, body):
        self.last_heard = time.time()
        if cmd == "JOB":
            if self.stop.is_set():
                self.result(body, "failed", error="handed back: python runner stopping",
                            handed_back=True)
            else:
                self.queue.append(body)
        elif cmd == "ACK":
            if self.unacked.pop(self.key(body), None) is not None:
                self.stats["acked"] += 1
        elif cmd == "REVOKE":
            revoked = {self.key(r) for r in body["jobs"]}
            for job in [j for j in self.queue if self.key(j) in revoked]:
                self.queue.remove(job)
                self.result(job, "failed", error="handed back: revoked", handed_back=True)
        elif cmd == "DISCONNECT":  # the broker does not know us (e.g. it restarted)
            self.reconnect()
        # HEARTBEAT: liveness only; REPLY: a late answer to a GET we gave up on

    def start_queued(self):
        while self.queue and len(self.running) < self.slots:
            job = self.queue.pop(0)
            for digest in job["artifacts"].values():
                if digest not in self.artifacts:
                    self.artifacts[digest] = fetch(self.sock, digest, self.next_req,
                                                   self.on_message)
            overrides = json.loads(job["overrides"])
            finish = time.time() + overrides.get("sleep_ms", 0) / 1000.0
            self.running[self.key(job)] = (job, finish)
            self.started.append(self.ref(self.key(job)))

    def finish_due(self):
        now = time.time()
        for key, (job, finish) in list(self.running.items()):
            if finish > now:
                continue
            del self.running[key]
            overrides = json.loads(job["overrides"])
            if "fail" in overrides:
                self.result(job, "failed", error=str(overrides["fail"]))
            else:
                value = overrides.get("value", 2 * job["index"])
                self.result(job, "done", result=json.dumps(
                    {"index": job["index"], "value": value, "echo": overrides}))
            if self.stats["results"] == self.drop_after:
                # A dropped connection: the ACKs of what we just sent are lost with it.
                self.reconnect()

    def serve(self):
        self.connect()
        stopping_since = None
        while True:
            if self.stop.is_set() and stopping_since is None:
                stopping_since = time.time()
                self.emit("READY", {"runner": self.name, "slots": self.slots, "credit": 0,
                                    "queue": 0, "instance": self.instance})
                for job in self.queue:
                    self.result(job, "failed", error="handed back: python runner stopping",
                                handed_back=True)
                self.queue = []
            if stopping_since is not None and not self.running and (
                    not self.unacked or time.time() - stopping_since > 5):
                break
            timeout = BEAT
            if self.running:
                timeout = min(timeout, max(0.0, min(f for _, f in self.running.values())
                                           - time.time()))
            if self.sock.poll(int(timeout * 1000) + 1):
                while self.sock.poll(0):
                    self.on_message(*recv(self.sock))
            self.finish_due()
            self.start_queued()
            if self.started:
                self.emit("HEARTBEAT", {"running": len(self.running), "started": self.started})
                self.started = []
            if time.time() - self.last_sent > BEAT:
                self.emit("HEARTBEAT", {"running": len(self.running)})
            if time.time() - self.last_heard > LIVENESS * 0.2:
                self.reconnect()  # the broker went silent: new socket, READY again
        self.emit("DISCONNECT", {"reason": "python runner done"})
        self.sock.close(linger=200)

    def run(self):
        try:
            self.serve()
        except Exception as e:  # reported by main()
            self.error = e


def main():
    endpoint, n = sys.argv[1], int(sys.argv[2])
    ctx = zmq.Context()
    runner = Runner(ctx, endpoint, "py-runner", slots=2, drop_after=n // 2)
    worker = threading.Thread(target=runner.run)
    worker.start()
    try:
        client = Client(ctx, endpoint)
        data = b"ts,close\n" + b"".join(b"%d,%d.5\n" % (i, 100 + i % 7) for i in range(30000))
        digest = hashlib.sha256(data).hexdigest()
        client.call("PUT", hash=digest, data=data)
        sweep = client.call("SUBMIT_BEGIN", name="python sweep", kind="diag", plan="",
                            artifacts={"data": digest}, max_workers=0, timeout_ms=10000,
                            max_attempts=2)["sweep"]
        overrides = [json.dumps({"sleep_ms": 5 if i % 3 else 0}) for i in range(n)]
        overrides[7] = json.dumps({"value": 700})
        half = n // 2
        client.call("SUBMIT_JOBS", sweep=sweep, first_index=0, overrides=overrides[:half])
        client.call("SUBMIT_JOBS", sweep=sweep, first_index=half, overrides=overrides[half:])
        client.call("SUBMIT_JOBS", sweep=sweep, first_index=0, overrides=overrides[:half])  # resend
        client.call("SUBMIT_COMMIT", sweep=sweep, total=n)
        deadline = time.time() + 60
        while time.time() < deadline:
            reply = client.call("STATUS", sweep=sweep)
            status = reply["sweeps"][0]
            for field in ("rate", "eta_s"):
                assert isinstance(status[field], float), (field, status[field])
            for r in reply["runners"]:
                assert isinstance(r["connected_s"], float) and isinstance(r["rate"], float), r
            if status["state"] == "done":
                break
            if runner.error:
                raise runner.error
            time.sleep(0.05)
        assert status["done"] == n, status
        results, after = [], 0
        while True:
            page = client.call("RESULTS", sweep=sweep, after=after, limit=10)
            results += page["items"]
            after = page["next"]
            if page["end"]:
                break
        assert len(results) == n, len(results)
        for item in results:
            assert item["state"] == "done", item
            want = 700 if item["index"] == 7 else 2 * item["index"]
            assert json.loads(item["result"])["value"] == want, item
        assert fetch(client.sock, digest, client.next_req) == data
        counters = client.call("STATUS")["counters"]
        assert counters["results_recorded"] == n, counters  # exactly once, resends included
        assert runner.stats["reconnects"] >= 1 and runner.stats["resent"] >= 1, runner.stats
        print(f"python: {n} results, all verified "
              f"(runner: {runner.stats}, broker duplicates: {counters['results_duplicate']})")
    finally:
        runner.stop.set()
        worker.join()
        ctx.destroy(linger=0)
    if runner.error:
        raise runner.error
    assert not runner.unacked, f"results never acknowledged: {list(runner.unacked)}"


if __name__ == "__main__":
    main()
