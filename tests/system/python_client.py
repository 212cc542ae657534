#!/usr/bin/env python3
"""A client AND a runner for the s1mple broker in ~100 lines of Python (pyzmq + msgpack),
written from docs/PROTOCOL.md alone. It uploads an artifact, submits a "diag" sweep in two
SUBMIT_JOBS batches, serves the jobs itself as a runner (fetching the artifact by hash and
checking it), follows STATUS until the sweep is complete and pages through RESULTS.

usage: python_client.py ENDPOINT JOBS     (exit 0 and "python: N results, all verified")
"""
import hashlib
import json
import sys
import threading
import time

import msgpack
import zmq

HEADER = b"s1mple/1"


def send(sock, command, body):
    sock.send_multipart([HEADER, command.encode(), msgpack.packb(body, use_bin_type=True)])


def recv(sock, timeout_ms=5000):
    if not sock.poll(timeout_ms):
        raise TimeoutError("no message from the broker")
    frames = sock.recv_multipart()
    assert frames[0] == HEADER, frames[0]
    return frames[1].decode(), msgpack.unpackb(frames[2], raw=False)


class Client:
    def __init__(self, ctx, endpoint):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.req = 0

    def call(self, command, **fields):
        self.req += 1
        send(self.sock, command, dict(fields, req=self.req))
        while True:
            cmd, body = recv(self.sock)
            if cmd == "REPLY" and body["req"] == self.req:
                if not body["ok"]:
                    raise RuntimeError(f"{command}: {body['error']}")
                return body


def runner(ctx, endpoint, stop):
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(endpoint)
    send(sock, "READY", {"runner": "py-runner", "slots": 2, "credit": 2})
    artifacts, req, last_beat, backlog = {}, 0, time.time(), []
    while not stop.is_set():
        if time.time() - last_beat > 0.5:
            send(sock, "HEARTBEAT", {"running": 0})
            last_beat = time.time()
        if backlog:
            cmd, body = backlog.pop(0)
        elif sock.poll(100):
            cmd, body = recv(sock)
        else:
            continue
        if cmd == "JOB":
            for role, digest in body["artifacts"].items():
                if digest not in artifacts:
                    req += 1
                    send(sock, "GET", {"req": req, "hash": digest})
                    while True:  # other messages arriving meanwhile wait in the backlog
                        c2, b2 = recv(sock)
                        if c2 == "REPLY" and b2.get("req") == req:
                            break
                        backlog.append((c2, b2))
                    assert hashlib.sha256(b2["data"]).hexdigest() == digest, "artifact hash"
                    artifacts[digest] = b2["data"]
            overrides = json.loads(body["overrides"])
            result = {"index": body["index"], "value": overrides["x"] * 3, "by": "python"}
            send(sock, "RESULT", {"sweep": body["sweep"], "index": body["index"],
                                  "attempt": body["attempt"], "outcome": "done",
                                  "result": json.dumps(result), "error": "", "retryable": False,
                                  "elapsed_ms": 0, "credit": 1})
        elif cmd == "DISCONNECT":
            send(sock, "READY", {"runner": "py-runner", "slots": 2, "credit": 2})
    send(sock, "DISCONNECT", {"reason": "python runner done"})


def main():
    endpoint, n = sys.argv[1], int(sys.argv[2])
    ctx = zmq.Context()
    stop = threading.Event()
    worker = threading.Thread(target=runner, args=(ctx, endpoint, stop))
    worker.start()
    try:
        client = Client(ctx, endpoint)
        data = b"ts,close\n1,100.5\n"
        digest = hashlib.sha256(data).hexdigest()
        client.call("PUT", hash=digest, data=data)
        sweep = client.call("SUBMIT_BEGIN", name="python sweep", kind="diag", plan="",
                            artifacts={"data": digest}, max_workers=0, timeout_ms=10000,
                            max_attempts=2)["sweep"]
        overrides = [json.dumps({"x": i}) for i in range(n)]
        half = n // 2
        client.call("SUBMIT_JOBS", sweep=sweep, first_index=0, overrides=overrides[:half])
        client.call("SUBMIT_JOBS", sweep=sweep, first_index=half, overrides=overrides[half:])
        client.call("SUBMIT_COMMIT", sweep=sweep, total=n)
        deadline = time.time() + 60
        while time.time() < deadline:
            status = client.call("STATUS", sweep=sweep)["sweeps"][0]
            if status["state"] == "complete":
                break
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
            assert json.loads(item["result"])["value"] == 3 * item["index"], item
        print(f"python: {n} results, all verified")
    finally:
        stop.set()
        worker.join()
        ctx.destroy(linger=0)


if __name__ == "__main__":
    main()
