"""Putting reconcile messages on the queue, at most one waiting message per Service.

`enqueue_reconcile` sets a per-Service marker with `SET NX EX` and publishes only when it created the marker,
so a burst of watch events, a resync and a requeue collapse into one message. The task deletes the marker
when it starts, so a change made while a reconcile runs enqueues a fresh message. The marker has a TTL in
case its message is lost; the queue is not the source of truth and the periodic resync repairs any loss.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis

from octavia_lb.worker.runtime import metrics

if TYPE_CHECKING:
    from celery import Celery

    from octavia_lb.worker.settings import Settings

log = logging.getLogger(__name__)

TASK_NAME = "octavia_lb.reconcile_service"


@dataclass(frozen=True)
class QueueKeys:
    """Where the queue keeps things in Redis (kombu's names, plus ours under `prefix`)."""

    prefix: str
    queue: str

    def pending(self, namespace: str, name: str) -> str:
        return f"{self.prefix}pending:{namespace}/{name}"


def enqueue_reconcile(
    app: Celery,
    client: redis.Redis,
    namespace: str,
    name: str,
    countdown: float = 0,
    reason: str = "event",
) -> bool:
    """Publish a reconcile of namespace/name unless one is already waiting; True when published."""
    settings: Settings = app.octavia_settings  # set by celery_app.create_app
    keys = QueueKeys(settings.key_prefix, settings.queue)
    countdown = min(max(countdown, 0.0), settings.max_countdown)
    marker = keys.pending(namespace, name)
    # the marker must outlive the countdown, or a second message slips in while the first waits
    ttl = int(countdown + settings.dedup_ttl) + 1
    if not client.set(marker, reason, nx=True, ex=ttl):
        metrics.ENQUEUES.labels(reason=reason, result="deduplicated").inc()
        return False
    try:
        app.send_task(
            TASK_NAME,
            args=(namespace, name),
            kwargs={"reason": reason},
            countdown=countdown or None,
            queue=settings.queue,
        )
    except Exception:
        client.delete(marker)  # nothing was queued: let the next event try again
        raise
    metrics.ENQUEUES.labels(reason=reason, result="published").inc()
    log.debug("enqueued %s/%s (%s, countdown %.1fs)", namespace, name, reason, countdown)
    return True


def clear_pending(client: redis.Redis, prefix: str, namespace: str, name: str) -> None:
    """Called by the task when it starts: from now on a new event must enqueue again."""
    client.delete(QueueKeys(prefix, "").pending(namespace, name))


def queue_depth(client: redis.Redis, queue: str) -> int:
    """Messages waiting in the queue (kombu keeps one Redis list per queue and priority)."""
    names = [queue, *(f"{queue}\x06\x16{priority}" for priority in range(1, 10))]
    with client.pipeline(transaction=False) as pipe:
        for key in names:
            pipe.llen(key)
        return sum(pipe.execute())


def queue_memory(client: redis.Redis, queue: str) -> int:
    """Bytes Redis uses for the waiting messages (the queue lists, exact: SAMPLES 0)."""
    names = [queue, *(f"{queue}\x06\x16{priority}" for priority in range(1, 10))]
    with client.pipeline(transaction=False) as pipe:
        for key in names:
            pipe.memory_usage(key, samples=0)
        return sum(int(used or 0) for used in pipe.execute())


def unacked_count(client: redis.Redis) -> int:
    """Messages delivered to workers and not yet acknowledged: running, or held for their countdown."""
    return int(client.hlen("unacked"))
