"""The whole pipeline with real processes: kube-apiserver → dispatcher → Redis → Celery worker → simulator.

Nothing calls the reconcile directly here; the test only writes Services and Nodes and watches the results.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

WORKER_ENV = {
    "OCTAVIA_LB_RECONCILE_TARGET": "octavia_lb.worker.reconcile:reconcile_service",
    "OCTAVIA_LB_TASK_SOFT_TIME_LIMIT": "25",
    "OCTAVIA_LB_TASK_TIME_LIMIT": "30",
    "OCTAVIA_LB_VISIBILITY_TIMEOUT": "120",
    "OCTAVIA_LB_REQUEUE_COUNTDOWN": "0.5",
}


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _ingress(env, name: str) -> str | None:
    lb = env.service(name).status.load_balancer
    return lb.ingress[0].ip if lb and lb.ingress else None


def test_service_lifecycle_through_dispatcher_and_worker(
    reconcile_env, queue_env, start_worker, start_dispatcher, cluster
):
    env = reconcile_env(cluster_name=queue_env.cluster_name, create_monitor="true")
    extra = {
        **WORKER_ENV,
        "OCTAVIA_LB_CLOUD_CONFIG": env.context.settings.cloud_config,
        "OCTAVIA_LB_KUBECONFIG": str(cluster.kubeconfig),
    }
    start_worker("--concurrency", "2", **extra)
    start_dispatcher(**extra)
    env.add_node("a", "10.0.0.81")

    env.create_service(
        "web", [{"name": "a", "port": 80, "protocol": "TCP"}, {"name": "b", "port": 443, "protocol": "TCP"}]
    )
    address = wait_for("an address", lambda: _ingress(env, "web"))
    [lb] = [
        lb for lb in env.lbs() if lb["name"] == f"kube_service_{queue_env.cluster_name}_{env.namespace}_web"
    ]
    [fip] = [f for f in env.fips() if f["port_id"] == lb["vip_port_id"]]
    assert address == fip["floating_ip_address"]
    assert sorted(m["name"] for m in env.octavia("healthmonitors") if m["name"].endswith(lb["name"])) == [
        f"monitor_0_{lb['name']}",
        f"monitor_1_{lb['name']}",
    ]

    # other tests' leftover Services may be reconciled by this worker too: look at our nodes' members only
    def ours() -> list[str]:
        return sorted(
            m["address"] for m in env.octavia("members") if m["address"] in ("10.0.0.81", "10.0.0.82")
        )

    before = {m["id"] for m in env.octavia("members") if m["address"] == "10.0.0.81"}
    env.add_node("b", "10.0.0.82")
    wait_for("the new node as member", lambda: ours() == ["10.0.0.81", "10.0.0.81", "10.0.0.82", "10.0.0.82"])
    assert {m["id"] for m in env.octavia("members") if m["address"] == "10.0.0.81"} == before, (
        "a batch update keeps the members that stay"
    )

    env.delete_service("web")
    wait_for("the Service to go", lambda: not env.core.list_namespaced_service(env.namespace).items)
    assert not [lb for lb in env.lbs() if lb["name"].endswith(f"_{env.namespace}_web")]
    assert fip["id"] not in {f["id"] for f in env.fips()}
