"""Per-Service and per-load-balancer mutual exclusion across every worker process, on Redis.

A lock is a redis-py `Lock`: `SET NX PX` with a random token, released by a Lua compare-and-delete, so a
holder whose lock expired can never release somebody else's. Locks are non-blocking: a busy lock means
another worker is converging the same object right now, and the caller comes back later instead of waiting
in a pool slot. A held lock is renewed by a watchdog thread every third of its TTL, so a lock outlives a slow
task but expires one TTL after its holder died (a pool child killed by SIGKILL or by the hard time limit).

Services are locked by namespace/name, not UID: the Octavia load balancer's name is derived from
namespace/name, so the deletion of a Service and the creation of its namesake must not overlap either.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from redis.exceptions import LockError, LockNotOwnedError, RedisError
from redis.lock import Lock

log = logging.getLogger(__name__)


class LockBusy(Exception):
    """Somebody else holds the lock."""

    def __init__(self, key: str) -> None:
        super().__init__(f"lock {key} is held by another worker")
        self.key = key


def service_lock_key(prefix: str, namespace: str, name: str) -> str:
    return f"{prefix}lock:service:{namespace}/{name}"


def load_balancer_lock_key(prefix: str, lb_id: str) -> str:
    return f"{prefix}lock:loadbalancer:{lb_id}"


class _Watchdog(threading.Thread):
    """Extends a held lock back to its full TTL until stopped."""

    def __init__(self, lock: Lock, interval: float) -> None:
        super().__init__(name=f"lock-watchdog {lock.name}", daemon=True)
        self._lock = lock
        self._interval = interval
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                self._lock.reacquire()
            except (LockError, RedisError) as exc:
                log.warning("lock %s could not be renewed: %s", self._lock.name, exc)
                return

    def stop(self) -> None:
        self._stopped.set()
        self.join()


@contextmanager
def hold(client: redis.Redis, key: str, ttl: float) -> Iterator[None]:
    """Hold `key` for the block (renewed every ttl/3) or raise LockBusy at once."""
    # thread_local=False: the watchdog thread must see the token to renew the lock
    lock = client.lock(key, timeout=ttl, blocking=False, thread_local=False)
    if not lock.acquire(blocking=False):
        raise LockBusy(key)
    watchdog = _Watchdog(lock, ttl / 3)
    watchdog.start()
    try:
        yield
    finally:
        watchdog.stop()
        try:
            lock.release()
        except LockNotOwnedError:
            # it expired (Redis unreachable for a whole TTL) and may be someone else's now: not ours to delete
            log.warning("lock %s expired before release", key)


def is_held(client: redis.Redis, key: str) -> bool:
    return bool(client.exists(key))
