"""Benchmark of the queue machinery on a real Redis and a real `octavia-lb worker`.

Every figure is printed next to a baseline measured in the same run, as a ratio (the machine is noisy):
- enqueue: `enqueue_reconcile` (SET NX marker + publish) against a bare Celery `send_task`;
- lock: taking and releasing the per-Service lock (with its watchdog thread) against one Redis PING;
- burst: messages published for a burst of watch events against the number of events;
- drain: tasks/s through a real worker (lock, marker, no-op reconcile, ack) against the enqueue rate.

Run: .venv/bin/python -m bench.queue
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis
from octavia_lb_devkit.controlplane.redis import start_redis

from octavia_lb.worker.runtime import locks, queueing
from octavia_lb.worker.runtime.celery_app import create_app
from octavia_lb.worker.settings import from_env_and_args

REPO = Path(__file__).resolve().parents[1]
ROUNDS = 2000


def per_op(fn: Callable[[int], object], rounds: int = ROUNDS) -> float:
    """Median over 5 batches of the mean seconds per call."""
    batches = []
    for b in range(5):
        start = time.perf_counter()
        for i in range(rounds // 5):
            fn(b * rounds + i)
        batches.append((time.perf_counter() - start) / (rounds // 5))
    return statistics.median(batches)


def row(label: str, value: str, baseline_label: str, baseline: str, ratio: float) -> None:
    print(f"{label:<44} {value:>12}   {baseline_label:<28} {baseline:>12}   ratio {ratio:6.2f}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, start_redis(Path(tmp) / "redis") as server:
        env = {
            "OCTAVIA_LB_REDIS_URL": server.url,
            "OCTAVIA_LB_CLUSTER_NAME": "bench",
            "OCTAVIA_LB_QUEUE": "bench",
            "OCTAVIA_LB_RECONCILE_TARGET": "tests.worker_queue.targets:scripted",
        }
        app = create_app(from_env_and_args(env=env))
        r = redis.Redis.from_url(server.url)
        prefix = app.octavia_settings.key_prefix

        send = per_op(lambda i: app.send_task(queueing.TASK_NAME, args=("ns", f"s{i}"), queue="bench"))
        enqueue = per_op(lambda i: queueing.enqueue_reconcile(app, r, "ns", f"e{i}"))
        row(
            "enqueue_reconcile (marker + publish)",
            f"{enqueue * 1e3:.3f} ms",
            "send_task",
            f"{send * 1e3:.3f} ms",
            enqueue / send,
        )

        ping = per_op(lambda i: r.ping())

        def lock_cycle(i: int) -> None:
            with locks.hold(r, f"{prefix}lock:bench:{i}", ttl=30):
                pass

        lock = per_op(lock_cycle)
        row(
            "lock acquire + release (with watchdog)",
            f"{lock * 1e3:.3f} ms",
            "Redis PING",
            f"{ping * 1e3:.3f} ms",
            lock / ping,
        )
        r.flushdb()

        events, services = 1000, 50
        published = sum(queueing.enqueue_reconcile(app, r, "ns", f"b{i % services}") for i in range(events))
        row(
            "burst: messages for 1000 events / 50 Services",
            str(published),
            "events",
            str(events),
            published / events,
        )
        r.flushdb()

        tasks = 400
        start = time.perf_counter()
        for i in range(tasks):
            queueing.enqueue_reconcile(app, r, "ns", f"d{i}")
        enqueue_rate = tasks / (time.perf_counter() - start)
        drain_rate = drain(env, r, tasks)
        row(
            f"drain {tasks} no-op reconciles, worker -c 2",
            f"{drain_rate:.0f} /s",
            "enqueue rate (1 thread)",
            f"{enqueue_rate:.0f} /s",
            drain_rate / enqueue_rate,
        )


def drain(env: dict[str, str], r: redis.Redis, tasks: int) -> float:
    """Starts a worker on the filled queue and times it until every reconcile was recorded."""
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "worker.log", "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "octavia_lb", "worker", "--concurrency", "2"],
            env={**os.environ, **env, "PYTHONPATH": str(REPO)},
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            while not r.keys("test:calls:*"):  # first task done: the worker is up
                if worker.poll() is not None:
                    raise RuntimeError("worker exited: " + (Path(tmp) / "worker.log").read_text()[-2000:])
                time.sleep(0.01)
            start = time.perf_counter()
            first = len(r.keys("test:calls:*"))
            while (done := len(r.keys("test:calls:*"))) < tasks:
                time.sleep(0.01)
            return (done - first) / (time.perf_counter() - start)
        finally:
            worker.terminate()
            worker.wait(timeout=20)


if __name__ == "__main__":
    main()
