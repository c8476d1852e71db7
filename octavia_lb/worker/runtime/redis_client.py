"""The one place a redis-py client is made from Settings: a plain URL, or Redis Sentinel (high availability).

With `sentinel://h1:26379;sentinel://h2:26379/0` and a master name, the client asks the Sentinels for the
current master on every new connection and drops its connections when a failover makes the old master a
replica (redis-py's SentinelConnectionPool), so locks, de-duplication markers and metrics follow the master
the same way Celery's broker connection does (kombu's Sentinel transport reads the same URL).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import redis
from redis.sentinel import Sentinel

from octavia_lb.worker.settings import Settings

SENTINEL_SOCKET_TIMEOUT_S = 2.0  # a dead Sentinel must not hold up discovery for long
DEFAULT_SENTINEL_PORT = 26379


def connect(settings: Settings) -> redis.Redis:
    if not settings.uses_sentinel:
        return redis.Redis.from_url(settings.redis_url)
    sentinels, master_kwargs = sentinel_addresses(settings.redis_url)
    manager = Sentinel(
        sentinels, sentinel_kwargs=sentinel_kwargs(settings), socket_timeout=SENTINEL_SOCKET_TIMEOUT_S
    )
    master: redis.Redis = manager.master_for(settings.redis_sentinel_master, **master_kwargs)
    return master


def sentinel_kwargs(settings: Settings) -> dict[str, Any]:
    """How to talk to the Sentinels themselves; Celery's broker (kombu) is given the same."""
    found: dict[str, Any] = {"socket_timeout": SENTINEL_SOCKET_TIMEOUT_S}
    if settings.redis_sentinel_password:
        found["password"] = settings.redis_sentinel_password
    return found


def sentinel_addresses(url: str) -> tuple[list[tuple[str, int]], dict[str, Any]]:
    """(host, port) of each Sentinel, and the master's db, username and password (taken from the first
    part that names them, as kombu does)."""
    sentinels: list[tuple[str, int]] = []
    master: dict[str, Any] = {}
    for one in url.split(";"):
        parts = urlsplit(one)
        sentinels.append((parts.hostname or "", parts.port or DEFAULT_SENTINEL_PORT))
        db = parts.path.lstrip("/")
        if db and "db" not in master:
            master["db"] = int(db)
        if parts.password is not None and "password" not in master:
            master["password"] = unquote(parts.password)
            if parts.username:
                master["username"] = unquote(parts.username)
    return sentinels, master
