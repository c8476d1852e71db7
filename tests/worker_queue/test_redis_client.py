"""`redis_client.connect` against a real Sentinel group: locks and markers follow the master across a
failover, through the Sentinels alone (the client is never told the master's address)."""

from __future__ import annotations

import time

import redis
from octavia_lb_devkit.controlplane.processes import LOOPBACK

from octavia_lb.worker.runtime import locks
from octavia_lb.worker.runtime.redis_client import connect
from octavia_lb.worker.settings import Settings
from tests.fixtures.redis_sentinel import MASTER_NAME, SentinelGroup


def test_client_finds_the_master_and_follows_a_failover(redis_sentinels: SentinelGroup) -> None:
    client = connect(Settings(redis_url=redis_sentinels.url, redis_sentinel_master=MASTER_NAME))
    client.set("before", "1")
    assert redis.Redis(LOOPBACK, redis_sentinels.master_port).get("before") == b"1"
    # replication is asynchronous: without WAIT the master may die before the replica has the key (CI saw it)
    assert client.wait(1, 5000) >= 1, "the replica never acknowledged the write"

    redis_sentinels.kill_master()
    redis_sentinels.wait_failover(timeout=30)
    deadline, errors = time.monotonic() + 10, 0
    while True:  # the first command after the kill may meet the dead connection; the next asks the Sentinels
        try:
            with locks.hold(client, "octavia-lb:test:lock", ttl=5):
                client.set("after", "2")
            break
        except redis.ConnectionError:
            errors += 1
            assert time.monotonic() < deadline, "the client never reached the new master"
            time.sleep(0.2)
    promoted = redis.Redis(LOOPBACK, redis_sentinels.replica_port)
    assert promoted.get("after") == b"2" and promoted.get("before") == b"1"
    assert promoted.get("octavia-lb:test:lock") is None, "the lock was released on the new master"
    assert errors <= 3
