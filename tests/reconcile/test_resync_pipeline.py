"""The level-triggered guarantee with real processes: a hand change in the simulator is repaired within one
resync period, and a settled resync enqueues nothing (dispatcher + worker + kube-apiserver + Redis).
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx

from tests.polling import wait_for
from tests.reconcile.conftest import purge_finished_namespaces
from tests.reconcile.test_processes import WORKER_ENV

RESYNC = 3.0
SLACK = 8.0  # the drift check, the queue and a reconcile of a few steps, on a loaded 2-core machine
PORTS = [{"name": "http", "port": 80, "protocol": "TCP"}]


def metric(url: str, name: str, absent: float | None = None) -> float:
    """One sample of the dispatcher's /metrics; `absent` is the value of a counter never incremented."""
    text = httpx.get(url, timeout=5).text
    found = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.M)
    if found is None and absent is not None:
        return absent
    assert found, f"{name} not in the dispatcher's metrics"
    return float(found.group(1))


def connection_limit(env: Any, lb_id: str) -> int:
    conn = env.sim.connect()
    [listener] = conn.load_balancer.get(f"/lbaas/listeners?loadbalancer_id={lb_id}").json()["listeners"]
    return int(listener["connection_limit"])


def test_hand_change_is_repaired_within_one_resync_and_settled_resyncs_enqueue_nothing(
    reconcile_env, queue_env, start_worker, start_dispatcher, cluster
) -> None:
    env = reconcile_env(cluster_name=queue_env.cluster_name)
    purge_finished_namespaces(env.core)  # the dispatcher watches every namespace
    extra = {
        **WORKER_ENV,
        "OCTAVIA_LB_CLOUD_CONFIG": env.context.settings.cloud_config,
        "OCTAVIA_LB_KUBECONFIG": str(cluster.kubeconfig),
        "OCTAVIA_LB_RESYNC_PERIOD": str(RESYNC),
    }
    env.add_node("a", "10.0.3.21")
    start_worker("--concurrency", "2", **extra)
    dispatcher = start_dispatcher(**extra, OCTAVIA_LB_METRICS_PORT="0")
    dispatcher.wait_log(r"metrics on http://")
    port = re.search(r"metrics on http://[0-9.]+:(\d+)/metrics", dispatcher.log)
    assert port
    metrics_url = f"http://127.0.0.1:{port.group(1)}/metrics"
    env.create_service("web", PORTS)
    wait_for("an address", lambda: (env.service("web").status.load_balancer.ingress or [None])[0], 60)
    key = f"{env.namespace}/web"
    lb = next(lb for lb in env.lbs() if lb["name"].endswith(f"_{env.namespace}_web"))

    # settled: once the worker is done with its events, resyncs leave the Service alone
    resyncs = dispatcher.log.count("resync: ")
    wait_for("two resyncs", lambda: dispatcher.log.count("resync: ") >= resyncs + 2, 4 * RESYNC + SLACK)
    quiet_from = len(dispatcher.log)
    resyncs = dispatcher.log.count("resync: ")
    wait_for("two more resyncs", lambda: dispatcher.log.count("resync: ") >= resyncs + 2, 4 * RESYNC + SLACK)
    assert f"enqueued {key} (resync)" not in dispatcher.log[quiet_from:]
    assert metric(metrics_url, "octavia_lb_resync_enqueued") == 0
    # lists only: load balancers, listeners, pools, monitors, floating IPs (external network at most)
    assert 0 < metric(metrics_url, "octavia_lb_resync_openstack_requests") <= 6
    assert metric(metrics_url, "octavia_lb_queue_depth") == 0
    assert metric(metrics_url, "octavia_lb_queue_bytes_per_message") == 0

    # a hand change in Octavia (no Kubernetes event at all) is repaired within one resync period
    conn = env.sim.connect()
    [listener] = conn.load_balancer.get(f"/lbaas/listeners?loadbalancer_id={lb['id']}").json()["listeners"]
    conn.load_balancer.put(f"/lbaas/listeners/{listener['id']}", json={"listener": {"connection_limit": 9}})
    changed = time.monotonic()
    assert connection_limit(env, lb["id"]) == 9
    wait_for("the repair", lambda: connection_limit(env, lb["id"]) == -1, RESYNC + SLACK)
    took = time.monotonic() - changed
    assert re.search(rf"resync: {re.escape(key)} differs \((octavia|pending)\)", dispatcher.log)
    assert f"enqueued {key} (resync)" in dispatcher.log[quiet_from:]
    found = [
        metric(metrics_url, f'octavia_lb_resync_drift_total{{cause="{c}"}}', 0)
        for c in ("octavia", "pending")
    ]
    assert sum(found) >= 1
    print(f"\nrepaired {took:.1f}s after the hand change (resync period {RESYNC:g}s)")
