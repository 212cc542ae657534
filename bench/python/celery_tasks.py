"""The Celery side of the job-throughput comparison: one app, one trivial task.

The app reads its Redis URL from CELERY_BENCH_REDIS (set by celery_bench.py, which starts a
private redis-server on loopback). Redis is both the broker and the result backend.

Configuration, chosen for "results durably recorded, as Celery + Redis allows":
  - task_acks_late: a task message is acknowledged after the task ran, so a worker killed mid-task
    leaves it to be redelivered (what our broker's leases do);
  - the result backend stores every result (task_ignore_result False) with a SET + PUBLISH;
  - Redis runs with appendonly yes + appendfsync always (celery_bench.py), so each write command
    is in the fsync'ed append-only file before Redis replies to it.
Everything else is Celery's default (prefork pool, prefetch multiplier 4, JSON serializer).
"""

import os

from celery import Celery

REDIS = os.environ.get("CELERY_BENCH_REDIS", "redis://127.0.0.1:6379")

app = Celery("celery_tasks", broker=REDIS + "/0", backend=REDIS + "/1")
app.conf.update(
    task_acks_late=True,
    task_ignore_result=False,
    result_expires=None,  # keep results (a plain SET, no TTL)
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    worker_send_task_events=False,
    task_send_sent_event=False,
)


@app.task(name="trivial")
def trivial(index):
    """The trivial job: does no work and returns a small result naming its index (the same shape
    of work as the s1mple "diag" job with no options)."""
    return {"index": index, "ok": True}
