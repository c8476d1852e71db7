"""Octavia and Neutron misbehaving, through the real pipeline: a rate of 500/503s, 409 storms on child
routes, builds that go to ERROR, latency spikes beyond the request timeout, and token expiry. Every Service
converges with nothing leaked, and the Services' Events explain the delays with Octavia's own text.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.faults.harness import (
    SCALE,
    create_services,
    delete_all,
    process_env,
    sync_failures,
    wait_converged,
)
from tests.polling import wait_for
from tests.reconcile.conftest import Env

pytestmark = pytest.mark.faults

SERVICES = {"ci": 6, "full": 20}[SCALE]
LBAAS = "/load-balancer/v2.0/lbaas"
IMMUTABLE = "Load Balancer 6a1c3f1e-5d7b-4e54-9d0c-2f1e3d9c8b7a is immutable and cannot be updated."


def pipeline(env: Env, queue_env, start_worker, start_dispatcher, cluster, **overrides: str) -> None:
    extra = process_env(env, cluster, **overrides)
    start_worker("--concurrency", "2", **extra)
    start_dispatcher(**extra)


def all_failures(env: Env, names: list[str]) -> list[str]:
    return [message for name in names for message in sync_failures(env, name)]


def assert_ensured(env: Env, names: list[str]) -> None:
    """Each Service tells the story: Ensuring..., then Ensured (resyncs under faults may fail again later)."""
    for name in names:
        reasons = env.reasons(name)
        assert "EnsuringLoadBalancer" in reasons and "EnsuredLoadBalancer" in reasons, (name, reasons)
        assert reasons.index("EnsuringLoadBalancer") < reasons.index("EnsuredLoadBalancer"), (name, reasons)


@contextmanager
def repeating(action, every: float) -> Iterator[list[int]]:
    """Run `action` every `every` seconds in a thread for the duration of the block; yields the run count."""
    stop, runs = threading.Event(), [0]

    def loop() -> None:
        while not stop.wait(every):
            action()
            runs[0] += 1

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield runs
    finally:
        stop.set()
        thread.join()


def test_a_rate_of_500_and_503(reconcile_env, queue_env, start_worker, start_dispatcher, cluster):
    env = reconcile_env(cluster_name=queue_env.cluster_name)
    env.add_node("a", "10.0.0.75")
    pipeline(env, queue_env, start_worker, start_dispatcher, cluster)
    env.sim.control.error_rate(0.25, [500, 503])
    names = create_services(env, [f"e{i:02d}" for i in range(SERVICES)])
    took = wait_converged(env, names, timeout=120)
    failures = all_failures(env, names)
    assert any("HTTP 50" in m and "Injected random fault 50" in m for m in failures), failures
    assert_ensured(env, names)
    deleted = delete_all(env, names, timeout=120)  # still failing a quarter of the calls
    print(
        f"\n25% 500/503: converged in {took:.1f}s, {len(failures)} failure Events, deleted in {deleted:.1f}s"
    )


def test_409_storm_on_child_routes(reconcile_env, queue_env, start_worker, start_dispatcher, cluster):
    env = reconcile_env(cluster_name=queue_env.cluster_name)
    env.add_node("a", "10.0.0.76")
    pipeline(env, queue_env, start_worker, start_dispatcher, cluster, OCTAVIA_LB_VISIBILITY_TIMEOUT="30")
    names = create_services(env, [f"c{i:02d}" for i in range(SERVICES)])
    wait_converged(env, names, timeout=60)

    storm = 2 * SERVICES
    env.sim.control.fail_next(f"POST {LBAAS}/listeners", 409, storm, IMMUTABLE)
    env.sim.control.fail_next(f"PUT {LBAAS}/pools/{{pool_id}}/members", 409, storm, IMMUTABLE)
    started = time.monotonic()
    env.add_node("b", "10.0.0.77")  # every pool's members change
    for name in names:
        env.set_ports(
            name,
            [
                {"name": "http", "port": 80, "protocol": "TCP"},
                {"name": "https", "port": 443, "protocol": "TCP"},
            ],
        )

    def updated() -> bool:
        # the new listener's pool is created with both members; the old pool needs a batch member PUT
        members = env.octavia("members")
        return len(env.octavia("listeners")) == 2 * len(names) and len(members) == 2 * 2 * len(names)

    wait_for("every Service's second listener and new member", updated, timeout=120)
    took = wait_converged(env, names, timeout=60) + time.monotonic() - started
    assert env.sim.control.faults()["rules"] == [], "the storm was not used up"
    failures = all_failures(env, names)
    assert any("HTTP 409" in m and IMMUTABLE in m for m in failures), failures
    assert {m["address"] for m in env.octavia("members")} == {"10.0.0.76", "10.0.0.77"}
    deleted = delete_all(env, names, timeout=60)
    print(
        f"\n409 storm ({2 * storm} conflicts): updated in {took:.1f}s, {len(failures)} failure Events, "
        f"deleted in {deleted:.1f}s"
    )


def test_builds_that_go_to_error(reconcile_env, queue_env, start_worker, start_dispatcher, cluster):
    env = reconcile_env(cluster_name=queue_env.cluster_name)
    env.add_node("a", "10.0.0.78")
    pipeline(env, queue_env, start_worker, start_dispatcher, cluster)
    broken = SERVICES - 2
    env.sim.control.error_builds(broken)
    names = create_services(env, [f"b{i:02d}" for i in range(SERVICES)])
    took = wait_converged(env, names, timeout=120)
    failures = [m for m in all_failures(env, names) if "has gone into ERROR state" in m]
    assert len(failures) >= broken, all_failures(env, names)
    assert "Load balancer was deleted and its creation will be retried" in failures[0]
    assert env.sim.control.faults()["error_builds"] == 0
    assert_ensured(env, names)
    deleted = delete_all(env, names, timeout=60)
    print(f"\n{broken} ERROR builds: converged in {took:.1f}s, deleted in {deleted:.1f}s")


def test_latency_spikes_beyond_the_request_timeout(
    reconcile_env, queue_env, start_worker, start_dispatcher, cluster
):
    env = reconcile_env(cluster_name=queue_env.cluster_name)
    # a 1 s request timeout (OCCM's [Metadata] request-timeout) and spikes of 1.5 s on every call
    env.reconcile_conf_append("\n[Metadata]\nrequest-timeout = 1s\n")
    env.add_node("a", "10.0.0.79")
    pipeline(env, queue_env, start_worker, start_dispatcher, cluster)
    spiking = [False]

    def toggle() -> None:
        spiking[0] = not spiking[0]
        env.sim.control.latency(1.5 if spiking[0] else 0.0)

    toggle()
    started = time.monotonic()
    with repeating(toggle, every=3.0) as spikes:
        names = create_services(env, [f"l{i:02d}" for i in range(SERVICES)])
        wait_for(
            "a timed-out call reported on a Service",
            lambda: any("Timeout" in m or "timed out" in m for m in all_failures(env, names)),
            timeout=60,
        )
    env.sim.control.latency(0.0)
    took = wait_converged(env, names, timeout=120) + time.monotonic() - started
    assert_ensured(env, names)
    deleted = delete_all(env, names, timeout=60)
    print(f"\nlatency spikes ({spikes[0] + 1} toggles): converged in {took:.1f}s, deleted in {deleted:.1f}s")


def test_token_expiry(reconcile_env, queue_env, start_worker, start_dispatcher, cluster):
    env = reconcile_env(cluster_name=queue_env.cluster_name)
    env.add_node("a", "10.0.0.80")
    env.sim.control.set_delays(lb_create=(1.0, 2.0))
    pipeline(env, queue_env, start_worker, start_dispatcher, cluster)
    env.sim.control.clear_counts()
    expired: list[int] = []
    with repeating(lambda: expired.append(env.sim.control.expire_tokens()), every=0.7):
        names = create_services(env, [f"t{i:02d}" for i in range(SERVICES)])
        took = wait_converged(env, names, timeout=90)
        deleted = delete_all(env, names, timeout=60)
    issued = sum(n for route, n in env.sim.control.counts().items() if route.endswith("/auth/tokens"))
    assert sum(expired) >= 2 and issued >= 3, (expired, issued)
    # keystoneauth re-authenticates once on a 401: token expiry never surfaces as a failure
    assert all_failures(env, names) == []
    print(
        f"\n{len(expired)} expiries ({sum(expired)} tokens), {issued} issued: converged in {took:.1f}s, "
        f"deleted in {deleted:.1f}s"
    )
