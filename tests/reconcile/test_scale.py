"""100 Services created at once, 2 worker processes, load balancers that take T seconds to build: every
Service has an address within 2·T + 30 s (a serial, blocking design needs about 100·T); then one more
Node costs exactly one batch member update per pool."""

from __future__ import annotations

import os
import time

from tests.reconcile.conftest import purge_finished_namespaces
from tests.reconcile.test_processes import WORKER_ENV

SERVICES = 100
# T, the simulator's load balancer build time; the realistic profile's is 45-90 s (run with
# OCTAVIA_LB_TEST_BUILD_SECONDS=90 for that figure; the default keeps the suite short)
BUILD_SECONDS = float(os.environ.get("OCTAVIA_LB_TEST_BUILD_SECONDS", "10"))


def test_hundred_services_at_once(
    reconcile_env, queue_env, start_worker, start_dispatcher, cluster, record_property
):
    env = reconcile_env(cluster_name=queue_env.cluster_name)
    extra = {
        **WORKER_ENV,
        "OCTAVIA_LB_CLOUD_CONFIG": env.context.settings.cloud_config,
        "OCTAVIA_LB_KUBECONFIG": str(cluster.kubeconfig),
        "OCTAVIA_LB_REQUEUE_COUNTDOWN": "3",
    }
    # the realistic profile's delays, with the build time T chosen above
    env.sim.control.set_delays(
        lb_create=(BUILD_SECONDS / 2, BUILD_SECONDS),
        lb_update=(3.0, 8.0),
        child_create=(3.0, 8.0),
        child_update=(3.0, 8.0),
        child_delete=(3.0, 8.0),
        lb_delete=(5.0, 15.0),
        fip_active=(1.0, 3.0),
        api_latency=(0.02, 0.2),
    )
    purge_finished_namespaces(env.core)  # the dispatcher watches every namespace
    conn = env.sim.connect()
    conn.network.put(
        f"/quotas/{conn.current_project_id}", json={"quota": {"floatingip": SERVICES + 10}}
    )  # Neutron's default is 50
    start_worker("--concurrency", "2", **extra)
    start_worker("--concurrency", "2", **extra)
    start_dispatcher(**extra)
    env.add_node("a", "10.0.0.95")
    env.add_node("b", "10.0.0.96")

    started = time.monotonic()
    for i in range(SERVICES):
        env.create_service(f"s{i:03d}", [{"name": "http", "port": 80, "protocol": "TCP"}])
    budget = 2 * BUILD_SECONDS + 30
    done: dict[str, float] = {}
    while len(done) < SERVICES and time.monotonic() - started < budget + 30:
        for svc in env.core.list_namespaced_service(env.namespace).items:
            lb = svc.status.load_balancer
            if svc.metadata.name not in done and lb and lb.ingress:
                done[svc.metadata.name] = time.monotonic() - started
        time.sleep(0.5)
    slowest = max(done.values(), default=float("inf"))
    record_property("slowest_address_seconds", round(slowest, 1))
    print(
        f"\n{len(done)}/{SERVICES} Services with an address; slowest after {slowest:.1f}s "
        f"(T = {BUILD_SECONDS:g}s, bound 2T+30 = {budget:g}s, serial ≈ {SERVICES * BUILD_SECONDS:g}s)"
    )
    assert len(done) == SERVICES, f"only {len(done)} of {SERVICES} Services got an address"
    assert slowest <= budget, f"slowest Service took {slowest:.1f}s, more than 2T+30 = {budget:g}s"
    addresses = {ip for ip in (env.service(n).status.load_balancer.ingress[0].ip for n in done)}
    assert len(addresses) == SERVICES, "every Service has its own floating IP"

    # one more node: exactly one batch member update per pool, nothing else written to Octavia
    env.sim.control.clear_counts()
    env.add_node("c", "10.0.0.97")
    pools = env.octavia("pools")

    def all_members_updated() -> bool:
        members = env.octavia("members")
        return sum(m["address"] == "10.0.0.97" for m in members) == len(pools)

    deadline = time.monotonic() + 120
    while not all_members_updated() and time.monotonic() < deadline:
        time.sleep(1)
    assert all_members_updated(), "the new node did not reach every pool"
    time.sleep(3)  # let any straggling run finish before counting
    writes = {
        k: v
        for k, v in env.sim.control.counts().items()
        if k.split()[0] in ("POST", "PUT", "DELETE") and "/load-balancer/" in k
    }
    assert writes == {"PUT /load-balancer/v2.0/lbaas/pools/{pool_id}/members": len(pools)}
