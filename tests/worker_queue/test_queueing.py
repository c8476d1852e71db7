"""Enqueue de-duplication, queue depth and locks, against a real Redis (no worker running)."""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import datetime

import pytest
import redis

from octavia_lb.worker.runtime import locks, queueing
from octavia_lb.worker.runtime.celery_app import create_app
from octavia_lb.worker.settings import from_env_and_args
from tests.fixtures.worker import QueueEnv


def messages(r: redis.Redis, queue: str) -> list[dict]:
    return [json.loads(raw) for raw in r.lrange(queue, 0, -1)]


def test_hundred_enqueues_of_one_service_make_one_message(app, r, queue_env) -> None:
    published = [queueing.enqueue_reconcile(app, r, "ns", "web", reason="burst") for _ in range(100)]
    assert published.count(True) == 1
    assert queueing.queue_depth(r, queue_env.queue) == 1
    [message] = messages(r, queue_env.queue)
    assert message["headers"]["task"] == queueing.TASK_NAME
    assert json.loads(base64.b64decode(message["body"]))[0] == ["ns", "web"]


def test_concurrent_enqueues_from_threads_still_make_one_message(app, r, queue_env) -> None:
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda: results.append(queueing.enqueue_reconcile(app, r, "ns", "t")))
        for _ in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    assert queueing.queue_depth(r, queue_env.queue) == 1


def test_distinct_services_are_not_merged(app, r, queue_env) -> None:
    for name in ("a", "b", "c"):
        queueing.enqueue_reconcile(app, r, "ns", name)
        queueing.enqueue_reconcile(app, r, "ns", name)
    queueing.enqueue_reconcile(app, r, "other", "a")
    assert queueing.queue_depth(r, queue_env.queue) == 4


def test_clearing_the_marker_lets_the_next_event_through(app, r, queue_env) -> None:
    assert queueing.enqueue_reconcile(app, r, "ns", "web")
    queueing.clear_pending(r, app.octavia_settings.key_prefix, "ns", "web")
    assert queueing.enqueue_reconcile(app, r, "ns", "web", reason="changed")
    assert queueing.queue_depth(r, queue_env.queue) == 2


def test_marker_outlives_the_countdown(app, r) -> None:
    queueing.enqueue_reconcile(app, r, "ns", "later", countdown=1.5)
    ttl = r.ttl(queueing.QueueKeys(app.octavia_settings.key_prefix, "").pending("ns", "later"))
    assert ttl >= 1.5 + 30  # countdown + dedup TTL (30 s in the test settings)


def test_countdown_is_capped(app, r, queue_env) -> None:
    queueing.enqueue_reconcile(app, r, "ns", "far", countdown=10_000)
    [message] = messages(r, queue_env.queue)
    eta = message["headers"]["eta"]
    assert eta is not None
    seconds = (datetime.fromisoformat(eta) - datetime.now(datetime.fromisoformat(eta).tzinfo)).total_seconds()
    assert 0 < seconds <= app.octavia_settings.max_countdown  # 2 s with a 10 s visibility timeout


def test_failed_publish_removes_the_marker(queue_env: QueueEnv, r) -> None:
    env = {**queue_env.env, "OCTAVIA_LB_REDIS_URL": "redis://127.0.0.1:1/0"}  # nothing listens on port 1
    broken = create_app(from_env_and_args(env=env))
    broken.conf.broker_connection_max_retries = 0
    broken.conf.broker_transport_options = {**broken.conf.broker_transport_options, "max_retries": 0}
    with pytest.raises(Exception):  # noqa: B017 (kombu's OperationalError; any failure must propagate)
        queueing.enqueue_reconcile(broken, r, "ns", "lost")
    assert not r.exists(queueing.QueueKeys(broken.octavia_settings.key_prefix, "").pending("ns", "lost"))


def test_lock_excludes_a_second_holder_and_frees_on_exit(r) -> None:
    with locks.hold(r, "k", ttl=5):
        with pytest.raises(locks.LockBusy, match="lock k is held"), locks.hold(r, "k", ttl=5):
            pass
        assert locks.is_held(r, "k")
    assert not locks.is_held(r, "k")
    with locks.hold(r, "k", ttl=5):
        pass


def test_watchdog_keeps_a_slow_holders_lock(r) -> None:
    with locks.hold(r, "slow", ttl=0.6):
        time.sleep(1.5)  # 2.5 x the TTL
        assert locks.is_held(r, "slow")
        assert r.pttl("slow") > 0
    assert not locks.is_held(r, "slow")


def test_expired_lock_is_not_deleted_by_its_late_holder(r) -> None:
    lock = r.lock("stale", timeout=0.3, thread_local=False)
    assert lock.acquire(blocking=False)
    time.sleep(0.5)  # expired: its holder was "dead"
    with locks.hold(r, "stale", ttl=5):
        with pytest.raises(redis.exceptions.LockNotOwnedError):
            lock.release()  # token compare-and-delete refuses
        assert locks.is_held(r, "stale")
