"""The loopback redis-server: the session fixture, settings we rely on, passwords, and stopping."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from octavia_lb_devkit.controlplane.processes import process_start_ticks
from octavia_lb_devkit.controlplane.redis import start_redis
from redis.backoff import NoBackoff
from redis.retry import Retry


def test_session_redis_answers_and_does_not_persist_or_evict(redis_server: str) -> None:
    with redis.Redis.from_url(redis_server) as conn:
        assert conn.ping() is True
        assert conn.config_get("save") == {"save": ""}
        assert conn.config_get("appendonly") == {"appendonly": "no"}
        assert conn.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        assert conn.config_get("bind")["bind"] == "127.0.0.1"


def test_password_is_required_and_in_the_url(tmp_path: Path) -> None:
    with start_redis(tmp_path, password="s3cret") as server:
        # no retries: redis-py would otherwise back off for seconds before reporting the refusal
        assert server.url == f"redis://:s3cret@127.0.0.1:{server.port}/0"
        with (
            redis.Redis(host="127.0.0.1", port=server.port, retry=Retry(NoBackoff(), 0)) as anonymous,
            pytest.raises(redis.exceptions.AuthenticationError),
        ):
            anonymous.ping()
        with redis.Redis.from_url(server.url) as conn:
            assert conn.set("k", "v") and conn.get("k") == b"v"
        pid = server.process.pid
    assert process_start_ticks(pid) is None
    assert not list(tmp_path.glob("*.rdb"))  # nothing persisted on shutdown
