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
    [fip] = env.fips()
    assert address == fip["floating_ip_address"]
    assert len(env.octavia("healthmonitors")) == 2

    env.sim.control.clear_counts()
    env.add_node("b", "10.0.0.82")
    wait_for("the new node as member", lambda: len(env.octavia("members")) == 4)
    batch = {
        k: v for k, v in env.sim.control.counts().items() if k.startswith("PUT") and k.endswith("/members")
    }
    assert sum(batch.values()) == 2, f"one batch member update per pool, got {batch}"

    env.delete_service("web")
    wait_for("the Service to go", lambda: not env.core.list_namespaced_service(env.namespace).items)
    assert env.lbs() == [] and env.fips() == []
