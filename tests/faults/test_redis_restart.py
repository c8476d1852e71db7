"""Redis dies mid-run and comes back empty on the same port (queue, de-duplication markers and locks lost):
workers and the dispatcher reconnect, and the dispatcher's periodic resync re-enqueues every Service, so
every Service still converges, and deletes still finish, with nothing leaked.
"""

from __future__ import annotations

import time

import pytest
import redis

from tests.faults.harness import (
    SCALE,
    create_in_flight,
    delete_all,
    process_env,
    wait_converged,
)
from tests.fixtures.redis_server import RestartableRedis

pytestmark = pytest.mark.faults

SERVICES = {"ci": 20, "full": 50}[SCALE]


MARK = "octavia-lb-test:written-before-the-crash"


def restart_empty(server: RestartableRedis) -> None:
    """Kill Redis and start it again with nothing of what it held. Emptiness is judged by a key written just
    before the crash: the workers and the dispatcher reconnect within milliseconds and write again, so on a
    loaded machine the new server may already hold their fresh keys when the test looks."""
    client = redis.Redis.from_url(server.url)
    try:
        client.set(MARK, "1")
        server.crash()
        time.sleep(1.0)  # everybody notices the connection loss
        server.start()
        assert client.exists(MARK) == 0, "the restarted Redis kept what it held before the crash"
    finally:
        client.close()


def test_redis_restart_losing_the_queue(
    reconcile_env, queue_env, start_worker, start_dispatcher, cluster, restartable_redis, record_property
):
    env = reconcile_env(cluster_name=queue_env.cluster_name)
    extra = process_env(env, cluster, OCTAVIA_LB_REDIS_URL=restartable_redis.url)
    env.sim.control.set_delays(lb_create=(2.0, 4.0))  # builds in flight when Redis dies
    env.add_node("a", "10.0.0.73")
    start_worker("--concurrency", "2", **extra)
    dispatcher = start_dispatcher(**extra)

    started = time.monotonic()
    names, before = create_in_flight(env, "r", SERVICES)
    resyncs_before = dispatcher.log.count(" (resync)")
    restart_empty(restartable_redis)
    took = wait_converged(env, names, timeout=120)
    total = time.monotonic() - started
    # the lost messages came back through the resync (their de-duplication markers went with Redis)
    assert (
        dispatcher.log.count(f"enqueued {env.namespace}/")
        and dispatcher.log.count(" (resync)") > resyncs_before
    )

    deleting = time.monotonic()
    restarted = []

    def restart_once() -> None:
        if not restarted and time.monotonic() - deleting > 0.5:
            restarted.append(time.monotonic())
            restart_empty(restartable_redis)

    deleted = delete_all(env, names, timeout=120, during=restart_once)
    record_property("converge_after_restart_seconds", round(took, 1))
    print(
        f"\n{SERVICES} Services, {before} addressed when Redis died; all converged {took:.1f}s after the "
        f"restart ({total:.1f}s after creation); deleted with a second restart in {deleted:.1f}s"
    )
    assert restarted, "Redis was not restarted during the deletes"
