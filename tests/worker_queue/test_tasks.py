"""Task semantics with real `octavia-lb worker` processes on a real Redis: outcomes, locks, redelivery.

The reconcile itself is `tests.worker_queue.targets:scripted` (selected through OCTAVIA_LB_RECONCILE_TARGET);
everything around it (the task, locks, queueing, the Celery app and worker command) is the real code.
"""

from __future__ import annotations

import json
import signal
import time
from typing import Any

import redis

from octavia_lb.worker.runtime import locks, queueing
from octavia_lb.worker.runtime.celery_app import create_app
from octavia_lb.worker.settings import from_env_and_args
from tests.fixtures.worker import ProcessStarter, QueueEnv
from tests.polling import wait_for
from tests.worker_queue.targets import calls_key, done_key, script_key

NS = "default"


def script(r: redis.Redis, name: str, *actions: str) -> None:
    r.rpush(script_key(NS, name), *actions)


def calls(r: redis.Redis, name: str) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in r.lrange(calls_key(NS, name), 0, -1)]


def wait_calls(r: redis.Redis, name: str, count: int, timeout: float = 15) -> list[dict[str, Any]]:
    return wait_for(
        f"{count} calls", lambda: len(calls(r, name)) >= count and calls(r, name), timeout, interval=0.05
    )


def test_success_runs_once_and_clears_the_marker(app, r, start_worker: ProcessStarter) -> None:
    start_worker()
    assert queueing.enqueue_reconcile(app, r, NS, "web", reason="test")
    got = wait_calls(r, "web", 1)
    assert got[0]["action"] == "ok" and got[0]["reason"] == "test"
    time.sleep(1.0)
    assert len(calls(r, "web")) == 1
    assert r.exists(queueing.QueueKeys(app.octavia_settings.key_prefix, "").pending(NS, "web")) == 0


def test_requeue_comes_back_after_its_countdown_without_counting_a_retry(app, r, start_worker) -> None:
    start_worker()
    script(r, "pending", "requeue:1.5", "requeue:1.5", "ok")
    queueing.enqueue_reconcile(app, r, NS, "pending")
    got = wait_calls(r, "pending", 3)
    gaps = [b["t"] - a["t"] for a, b in zip(got, got[1:], strict=False)]
    assert all(gap >= 1.4 for gap in gaps), gaps
    assert all(gap < 5 for gap in gaps), gaps
    assert [c["retries"] for c in got] == [0, 0, 0]  # a requeue is not a retry
    assert [c["reason"] for c in got] == ["event", "requeue", "requeue"]


def test_requeue_countdown_is_capped_below_the_visibility_timeout(app, r, start_worker) -> None:
    start_worker()
    # 0.2 x visibility timeout (10 s) = 2 s; a 600 s countdown would otherwise be redelivered repeatedly
    script(r, "long", "requeue:600", "ok")
    queueing.enqueue_reconcile(app, r, NS, "long")
    got = wait_calls(r, "long", 2, timeout=10)
    assert 1.9 <= got[1]["t"] - got[0]["t"] < 4


def test_temporary_error_retries_with_growing_backoff_then_gives_up(app, r, start_worker) -> None:
    worker = start_worker()
    script(r, "flaky", "temporary", "temporary", "temporary", "temporary", "temporary")
    queueing.enqueue_reconcile(app, r, NS, "flaky")
    got = wait_calls(r, "flaky", 4, timeout=20)
    assert [c["retries"] for c in got] == [0, 1, 2, 3]
    gaps = [b["t"] - a["t"] for a, b in zip(got, got[1:], strict=False)]
    # base 0.5 s doubling, equal jitter: [0.25, 0.5], [0.5, 1], [1, 2] (+ dispatch overhead)
    # lower bounds are guaranteed by the countdown; upper bounds leave room for a loaded 2-core machine
    for gap, (low, high) in zip(gaps, [(0.25, 1.5), (0.5, 2.0), (1.0, 3.5)], strict=True):
        assert low <= gap <= high, gaps
    time.sleep(3)
    assert len(calls(r, "flaky")) == 4  # max_retries=3: the fifth scripted failure never runs
    worker.wait_log(r"giving up after 4 attempts")


def test_temporary_error_delay_is_a_floor(app, r, start_worker) -> None:
    start_worker()
    script(r, "conflict", "temporary:1.5", "ok")
    queueing.enqueue_reconcile(app, r, NS, "conflict")
    got = wait_calls(r, "conflict", 2)
    assert got[1]["t"] - got[0]["t"] >= 1.4


def test_permanent_error_is_not_retried(app, r, start_worker) -> None:
    worker = start_worker()
    script(r, "bad", "permanent", "ok")
    queueing.enqueue_reconcile(app, r, NS, "bad")
    wait_calls(r, "bad", 1)
    worker.wait_log(r"giving up: test: Octavia answered 400")
    time.sleep(2)
    assert len(calls(r, "bad")) == 1


def test_unexpected_exception_is_retried_as_temporary(app, r, start_worker) -> None:
    worker = start_worker()
    script(r, "buggy", "crash", "ok")
    queueing.enqueue_reconcile(app, r, NS, "buggy")
    got = wait_calls(r, "buggy", 2)
    assert [c["action"] for c in got] == ["crash", "ok"]
    assert "RuntimeError: test: a bug" in worker.log


def test_busy_service_lock_requeues_until_released(app, r, start_worker) -> None:
    start_worker()
    settings = app.octavia_settings
    key = locks.service_lock_key(settings.key_prefix, NS, "locked")
    with locks.hold(r, key, ttl=3):
        queueing.enqueue_reconcile(app, r, NS, "locked")
        time.sleep(4)  # longer than the lock TTL: the holder's watchdog keeps it
        assert calls(r, "locked") == []  # never ran while another holder had the lock
    got = wait_calls(r, "locked", 1, timeout=5)
    assert got[0]["reason"] == "lock-busy"


def test_two_workers_never_reconcile_one_service_at_once(app, r, start_worker) -> None:
    start_worker("--concurrency", "2")
    start_worker("--concurrency", "2")
    script(r, "svc", "sleep:1", "sleep:1", "sleep:1")
    # three messages for one Service (the marker is cleared each time, as a task start would)
    for _ in range(3):
        queueing.clear_pending(r, app.octavia_settings.key_prefix, NS, "svc")
        queueing.enqueue_reconcile(app, r, NS, "svc")
    # The runs that find the lock busy requeue, and requeues that meet a waiting one collapse into it
    # (level-triggered), so two or three runs happen depending on timing; wait until all have settled.
    wait_for("two runs", lambda: r.llen(done_key(NS, "svc")) >= 2, 20, interval=0.05)
    wait_for("the queue to drain", lambda: _settled(r, app.octavia_settings.queue), 20, interval=0.05)
    assert [c["reason"] for c in calls(r, "svc")][1:] == ["lock-busy"] * (len(calls(r, "svc")) - 1)
    starts = [c["t"] for c in calls(r, "svc")]
    ends = sorted(json.loads(x)["t"] for x in r.lrange(done_key(NS, "svc"), 0, -1))
    intervals = sorted(zip(sorted(starts), ends, strict=True))
    for (_, end), (start, _) in zip(intervals, intervals[1:], strict=False):
        assert start >= end - 0.01, intervals


def _settled(r: redis.Redis, queue: str) -> bool:
    """Nothing waiting or in flight, twice in a row half a second apart (a countdown may be about to fire)."""
    for _ in range(2):
        if queueing.queue_depth(r, queue) or queueing.unacked_count(r):
            return False
        time.sleep(0.5)
    return True


def test_change_during_a_run_enqueues_again(app, r, start_worker) -> None:
    start_worker("--concurrency", "2")
    script(r, "busy", "sleep:1.5", "ok")
    queueing.enqueue_reconcile(app, r, NS, "busy")
    wait_calls(r, "busy", 1)
    # the task cleared the marker when it started, so this event is not swallowed
    assert queueing.enqueue_reconcile(app, r, NS, "busy", reason="changed")
    got = wait_calls(r, "busy", 2, timeout=10)
    assert got[1]["reason"] in ("changed", "lock-busy")


def test_load_balancer_lock_turns_contention_into_requeue(app, r, start_worker) -> None:
    start_worker("--concurrency", "2")
    script(r, "a", "lblock:lb-1/2")
    queueing.enqueue_reconcile(app, r, NS, "a")
    wait_calls(r, "a", 1)
    script(r, "b", *["lblock:lb-1/0"] * 10)
    queueing.enqueue_reconcile(app, r, NS, "b")
    a_done = wait_for("a to finish", lambda: r.lindex(done_key(NS, "a"), 0), 5, interval=0.05)
    a_end = json.loads(a_done)["t"]
    got = wait_for(
        "b after a", lambda: [c for c in calls(r, "b") if c["t"] >= a_end] and calls(r, "b"), 5, interval=0.05
    )
    before = [c for c in got if c["t"] < a_end]
    assert before, "b should have tried while a held lb-1"
    assert all(c["reason"] == "requeue" for c in got[1:])  # contention came back as requeues, not retries
    assert all(c["retries"] == 0 for c in got)


def test_pool_child_killed_mid_task_is_redelivered_at_once(app, r, start_worker) -> None:
    worker = start_worker("--concurrency", "1")
    script(r, "victim", "sleep:3", "ok")
    queueing.enqueue_reconcile(app, r, NS, "victim")
    first = wait_calls(r, "victim", 1)[0]
    killed = time.time()
    import os

    os.kill(first["pid"], signal.SIGKILL)
    got = wait_calls(r, "victim", 2, timeout=9)
    # reject_on_worker_lost puts the message back now, not after the 10 s visibility timeout: that path
    # cannot deliver before ~10 s after the kill, while a new pool child takes up to ~5 s on a loaded machine
    assert got[1]["t"] - killed < 7
    assert got[1]["pid"] != first["pid"]
    assert "WorkerLostError" in worker.log or "Process" in worker.log


def test_whole_worker_killed_mid_task_is_redelivered_to_another(app, r, start_worker) -> None:
    doomed = start_worker("--concurrency", "1")
    script(r, "orphan", "sleep:4", "ok")
    queueing.enqueue_reconcile(app, r, NS, "orphan")
    first = wait_calls(r, "orphan", 1)[0]
    doomed.kill_all(signal.SIGKILL)
    killed = time.time()
    assert queueing.unacked_count(r) == 1  # the message is neither acked nor lost
    start_worker("--concurrency", "1")
    got = wait_calls(r, "orphan", 2, timeout=20)
    assert got[1]["pid"] != first["pid"]
    # redelivered once the visibility timeout (10 s from delivery) has passed
    assert got[1]["t"] - first["t"] >= 9.5
    assert got[1]["t"] - killed < 15


def test_sigterm_lets_the_running_task_finish_and_runs_it_once(app, r, start_worker) -> None:
    worker = start_worker("--concurrency", "1")
    script(r, "graceful", "sleep:2")
    queueing.enqueue_reconcile(app, r, NS, "graceful")
    wait_calls(r, "graceful", 1)
    worker.managed.popen.send_signal(signal.SIGTERM)  # warm shutdown, as on pod eviction
    assert worker.managed.popen.wait(timeout=15) == 0
    assert r.llen(done_key(NS, "graceful")) == 1  # finished before the process exited
    start_worker("--concurrency", "1")
    time.sleep(2)
    assert len(calls(r, "graceful")) == 1  # acked: not delivered again
    assert queueing.unacked_count(r) == 0


def test_a_reconcile_that_keeps_killing_its_process_is_given_up(app, r, start_worker) -> None:
    worker = start_worker("--concurrency", "1")
    script(r, "poison", "die", "die", "die", "die", "die")
    queueing.enqueue_reconcile(app, r, NS, "poison")
    worker.wait_log(r"giving up: the last 3 runs killed their worker process", timeout=40)
    assert [c["action"] for c in calls(r, "poison")] == ["die", "die", "die"]
    time.sleep(1)
    assert queueing.unacked_count(r) == 0 and queueing.queue_depth(r, app.octavia_settings.queue) == 0
    # the next message (a resync, a change) starts with a clean slate
    queueing.enqueue_reconcile(app, r, NS, "poison", reason="resync")
    wait_calls(r, "poison", 4, timeout=15)


def test_worker_rejects_a_zero_concurrency(start_worker) -> None:
    proc = start_worker("--concurrency", "0", wait=False)
    assert proc.managed.popen.wait(timeout=20) == 2
    assert "--concurrency: 0 must be at least 1" in proc.log


def test_password_protected_redis(tmp_path, start_worker, queue_env: QueueEnv) -> None:
    from octavia_lb_devkit.controlplane.redis import start_redis

    with start_redis(tmp_path / "redis-auth", password="s3cret-pw") as server:
        assert ":s3cret-pw@" in server.url
        env = {**queue_env.env, "OCTAVIA_LB_REDIS_URL": server.url}
        worker = start_worker(OCTAVIA_LB_REDIS_URL=server.url)
        app = create_app(from_env_and_args(env=env))
        client = redis.Redis.from_url(server.url)
        assert queueing.enqueue_reconcile(app, client, NS, "secured")
        wait_for(
            "the reconcile over an authenticated Redis",
            lambda: client.llen(calls_key(NS, "secured")) == 1,
            15,
            interval=0.05,
        )
        assert "s3cret-pw" not in worker.log  # the URL is logged redacted
        worker.stop()


def test_soft_time_limit_interrupts_the_reconcile_and_retries(app, r, start_worker) -> None:
    worker = start_worker("--concurrency", "1")
    script(r, "slow", "sleep:30", "ok")  # the soft limit is 4 s in the test settings, the hard one 5 s
    queueing.enqueue_reconcile(app, r, NS, "slow")
    got = wait_calls(r, "slow", 2, timeout=20)
    assert got[1]["retries"] == 1 and got[1]["action"] == "ok"
    assert 4 <= got[1]["t"] - got[0]["t"] < 10
    assert "SoftTimeLimitExceeded" in worker.log
    assert got[1]["pid"] == got[0]["pid"]  # interrupted in Python, not killed
