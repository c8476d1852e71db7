"""Redis high availability: the dispatcher and the workers reach Redis only through three Sentinels. The
master is SIGKILLed while load balancers are being built; the Sentinels promote the replica, every process
follows the new master (Celery's broker through kombu's Sentinel transport, our locks, de-duplication and
metrics through redis-py's Sentinel pool), and every Service converges with nothing leaked, then deletes.

Replication is asynchronous, so what the old master had not passed on (a queued message, a lock) may be gone
after the failover; the dispatcher's resync brings any such Service back, as after a Redis restart.
"""

from __future__ import annotations

import time

import pytest

from tests.faults.harness import SCALE, create_in_flight, delete_all, process_env, wait_converged
from tests.fixtures.redis_sentinel import MASTER_NAME, SentinelGroup

pytestmark = pytest.mark.faults

SERVICES = {"ci": 20, "full": 50}[SCALE]


def test_master_killed_mid_provisioning_fails_over_and_everything_converges(
    reconcile_env, queue_env, start_worker, start_dispatcher, cluster, redis_sentinels: SentinelGroup,
    record_property,
):  # fmt: skip
    env = reconcile_env(cluster_name=queue_env.cluster_name)
    extra = process_env(
        env,
        cluster,
        OCTAVIA_LB_REDIS_URL=redis_sentinels.url,
        OCTAVIA_LB_REDIS_SENTINEL_MASTER=MASTER_NAME,
    )
    env.sim.control.set_delays(lb_create=(2.0, 4.0))  # builds in flight when the master dies
    env.add_node("a", "10.0.0.74")
    worker = start_worker("--concurrency", "2", **extra)
    dispatcher = start_dispatcher(**extra)

    started = time.monotonic()
    names, before = create_in_flight(env, "s", SERVICES)
    redis_sentinels.kill_master()
    failover = redis_sentinels.wait_failover(timeout=30)
    took = wait_converged(env, names, timeout=150)
    total = time.monotonic() - started
    assert dispatcher.log.count(f"enqueued {env.namespace}/"), "the dispatcher enqueued nothing"
    # Celery's broker went through kombu's Sentinel transport, not a plain URL
    assert "Connected to sentinel://" in worker.log

    deleted = delete_all(env, names, timeout=120)
    record_property("sentinel_failover_seconds", round(failover, 1))
    record_property("converge_after_master_kill_seconds", round(took, 1))
    print(
        f"\n{SERVICES} Services via 3 Sentinels; {before} addressed when the master was killed; failover "
        f"{failover:.1f}s; all converged {took:.1f}s after the kill ({total:.1f}s after creation); deleted "
        f"in {deleted:.1f}s"
    )
