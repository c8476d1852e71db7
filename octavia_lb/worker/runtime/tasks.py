"""The `reconcile_service` Celery task: lock, call the reconcile, and turn its outcome into queue actions.

    outcome of reconcile(context, ns, name)     what the task does
    returns                                     done (ack)
    Requeue(delay, reason)                      enqueue again after min(delay, max_countdown); not a retry
    TemporaryError / any other exception        retry: exponential backoff with jitter, capped; after
                                                max_retries give up (the dispatcher's resync comes back)
    PermanentError                              log and give up
    Service lock busy                           enqueue again after lock_busy_countdown plus jitter
    the last max_crashes runs killed the child  give up: a poison message must not loop (resync retries)

The reconcile function is looked up by name (settings.reconcile_target) and receives a WorkerContext: the
settings, a Redis client, the Kubernetes client, the cloud config and an OpenStack connection, each created
on first use and shared by every task that runs in the same worker process.
"""

from __future__ import annotations

import importlib
import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import redis
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from octavia_lb.worker.cloud.errors import PermanentError, Requeue, TemporaryError
from octavia_lb.worker.context import ReconcileContext
from octavia_lb.worker.runtime import locks, metrics, queueing
from octavia_lb.worker.settings import Settings

if TYPE_CHECKING:
    from octavia_lb.common.config import CloudConfig

log = logging.getLogger(__name__)

# the reconcile gets the ReconcileContext protocol, which WorkerContext provides (mypy checks it at the call)
ReconcileFn = Callable[[ReconcileContext, str, str], Any]


def connect_openstack(cloud_config: Any) -> Any:
    """The default connection factory: the OpenStack adapter's `connect` (imported late: it is heavy)."""
    from octavia_lb.worker.cloud.gateway import connect

    return connect(cloud_config)


@dataclass(frozen=True)
class WorkerContext:
    """What a reconcile needs from its process; heavy clients are made on first use, then reused."""

    settings: Settings
    connection_factory: Callable[[Any], Any] = field(default=connect_openstack)

    @cached_property
    def redis(self) -> redis.Redis:
        from octavia_lb.worker.runtime.redis_client import connect

        return connect(self.settings)

    @cached_property
    def kube(self) -> Any:
        from octavia_lb.common.kube import load_kube_config

        return load_kube_config(self.settings.kubeconfig)

    @cached_property
    def cloud_config(self) -> CloudConfig:
        from octavia_lb.common.config import CloudConfig, load_cloud_config

        path = self.settings.cloud_config
        config = load_cloud_config(path) if path else CloudConfig.default()
        for warning in config.warnings:
            log.warning("%s: %s", path, warning)
        return config

    @cached_property
    def openstack(self) -> Any:
        return self.connection_factory(self.cloud_config)

    @contextmanager
    def lock_load_balancer(self, lb_id: str) -> Iterator[None]:
        """Serialise changes to one (possibly shared) load balancer; busy → Requeue, never wait."""
        key = locks.load_balancer_lock_key(self.settings.key_prefix, lb_id)
        with ExitStack() as stack:
            try:
                stack.enter_context(locks.hold(self.redis, key, self.settings.lock_ttl))
            except locks.LockBusy:
                delay = _jittered(self.settings.lock_busy_countdown)
                raise Requeue(delay, f"load balancer {lb_id} is locked by another worker") from None
            yield


_contexts: dict[int, WorkerContext] = {}


def current_context(settings: Settings) -> WorkerContext:
    """The context of this process; prefork children get their own after the fork (sockets do not survive)."""
    pid = os.getpid()
    context = _contexts.get(pid)
    if context is None or context.settings != settings:
        context = _contexts[pid] = WorkerContext(settings)
    return context


def lock_load_balancer(lb_id: str) -> Any:
    """`with lock_load_balancer(lb_id):` inside a reconcile run by this process's task."""
    from celery import current_app

    return current_context(current_app.octavia_settings).lock_load_balancer(lb_id)


def _jittered(delay: float) -> float:
    # spread the retries of workers that collided, so they do not collide again
    return delay + random.uniform(0, delay)


def retry_delay(
    retries: int, settings: Settings, floor: float | None = None, rng: random.Random | None = None
) -> float:
    """Exponential backoff with 'equal jitter': half the step fixed, half random; capped."""
    rng = rng or random.Random()
    step: float = min(settings.retry_backoff_max, settings.retry_backoff_base * 2**retries)
    delay = step / 2 + rng.uniform(0, step / 2)
    return float(min(max(delay, floor or 0.0), settings.max_countdown))


def resolve(target: str) -> ReconcileFn:
    module, _, attr = target.partition(":")
    function: ReconcileFn = getattr(importlib.import_module(module), attr)
    return function


@shared_task(  # type: ignore[untyped-decorator]  # celery ships no type hints: the task is Any
    bind=True,
    name=queueing.TASK_NAME,
    acks_late=True,
    reject_on_worker_lost=True,
    Request="octavia_lb.worker.runtime.broker_watch:AckTrackingRequest",
)
def reconcile_service(self: Any, namespace: str, name: str, reason: str = "event") -> str:
    settings: Settings = self.app.octavia_settings
    context = current_context(settings)
    retries = self.request.retries
    started = time.monotonic()
    key = locks.service_lock_key(settings.key_prefix, namespace, name)
    try:
        with locks.hold(context.redis, key, settings.lock_ttl):
            # from here on, a change to the Service must enqueue a new message: this run may not see it
            queueing.clear_pending(context.redis, settings.key_prefix, namespace, name)
            log.info("reconcile %s/%s (%s, attempt %d)", namespace, name, reason, retries + 1)
            outcome = _guarded_run(self, context, namespace, name, retries)
    except locks.LockBusy:
        delay = _jittered(settings.lock_busy_countdown)
        # our own marker is still set and would swallow the re-enqueue
        queueing.clear_pending(context.redis, settings.key_prefix, namespace, name)
        queueing.enqueue_reconcile(self.app, context.redis, namespace, name, delay, "lock-busy")
        outcome = "lock-busy"
    except redis.RedisError as exc:
        # Redis went away under the lock or the markers (a restart, a Sentinel failover): try again through
        # the broker once it is back; if even that fails, the dispatcher's resync brings the Service back
        log.warning("%s/%s: Redis unavailable (%s)", namespace, name, exc)
        unavailable = TemporaryError(f"Redis unavailable: {exc}")
        outcome = _retry(self, settings, namespace, name, retries, unavailable)
    metrics.RECONCILES.labels(outcome=outcome).inc()
    metrics.RECONCILE_SECONDS.labels(outcome=outcome).observe(time.monotonic() - started)
    return outcome


def _guarded_run(task: Any, context: WorkerContext, namespace: str, name: str, retries: int) -> str:
    """_run, unless this Service's previous runs killed their process (OOM, segfault) too often.

    reject_on_worker_lost redelivers the message of a killed pool child, so a reconcile that always kills
    its process would loop forever (celery#1628's caveat). A counter per Service survives only crashes:
    every run that returns, however it failed, deletes it.
    """
    settings = context.settings
    crashes_key = f"{settings.key_prefix}crashes:{namespace}/{name}"
    crashes = context.redis.incr(crashes_key) - 1
    context.redis.expire(crashes_key, int(settings.visibility_timeout * 2))
    if crashes >= settings.max_crashes:
        context.redis.delete(crashes_key)
        log.error("%s/%s: giving up: the last %d runs killed their worker process", namespace, name, crashes)
        return "crash-loop"
    try:
        return _run(task, context, namespace, name, retries)
    finally:
        context.redis.delete(crashes_key)


def _run(task: Any, context: WorkerContext, namespace: str, name: str, retries: int) -> str:
    settings = context.settings
    try:
        resolve(settings.reconcile_target)(context, namespace, name)
        return "done"
    except Requeue as req:
        queueing.enqueue_reconcile(task.app, context.redis, namespace, name, req.delay, "requeue")
        log.info("%s/%s: %s", namespace, name, req)
        return "requeue"
    except PermanentError as exc:
        log.error("%s/%s: giving up: %s", namespace, name, exc.message)
        return "permanent-error"
    except (TemporaryError, SoftTimeLimitExceeded, Exception) as exc:
        return _retry(task, settings, namespace, name, retries, exc)


def _retry(task: Any, settings: Settings, namespace: str, name: str, retries: int, exc: BaseException) -> str:
    if retries >= settings.max_retries:
        log.error("%s/%s: giving up after %d attempts: %s", namespace, name, retries + 1, exc)
        return "retries-exhausted"
    floor = exc.delay if isinstance(exc, TemporaryError) else None
    countdown = retry_delay(retries, settings, floor)
    if isinstance(exc, TemporaryError | SoftTimeLimitExceeded):
        log.warning("%s/%s: %s; retry %d in %.1fs", namespace, name, exc, retries + 1, countdown)
    else:
        log.exception("%s/%s: unexpected error; retry %d in %.1fs", namespace, name, retries + 1, countdown)
    # publishes the next attempt, then Celery acks this message; raises Retry to end the task
    task.retry(countdown=countdown, max_retries=None, throw=False)
    return "retry"
