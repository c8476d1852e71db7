"""The whole pipeline with real processes: kube-apiserver → dispatcher → Redis → Celery worker → simulator.

Nothing calls the reconcile directly here; the test only writes Services and Nodes and watches the results.
"""

from __future__ import annotations

from tests.polling import wait_for
from tests.reconcile.conftest import purge_finished_namespaces

WORKER_ENV = {
    "OCTAVIA_LB_RECONCILE_TARGET": "octavia_lb.worker.reconcile.run:reconcile_service",
    "OCTAVIA_LB_TASK_SOFT_TIME_LIMIT": "25",
    "OCTAVIA_LB_TASK_TIME_LIMIT": "30",
    "OCTAVIA_LB_VISIBILITY_TIMEOUT": "120",
    "OCTAVIA_LB_REQUEUE_COUNTDOWN": "0.5",
}


def _ingress(env, name: str) -> str | None:
    lb = env.service(name).status.load_balancer
    return lb.ingress[0].ip if lb and lb.ingress else None


def pipeline(env, cluster, start_worker, start_dispatcher) -> None:
    """A real worker (2 pool processes) and dispatcher for this test's cloud.conf and cluster."""
    purge_finished_namespaces(env.core)  # the dispatcher watches every namespace
    extra = {
        **WORKER_ENV,
        "OCTAVIA_LB_CLOUD_CONFIG": env.context.settings.cloud_config,
        "OCTAVIA_LB_KUBECONFIG": str(cluster.kubeconfig),
    }
    start_worker("--concurrency", "2", **extra)
    start_dispatcher(**extra)


def our_lb(env, name: str) -> dict | None:
    wanted = f"kube_service_{env.context.settings.cluster_name}_{env.namespace}_{name}"
    found = [lb for lb in env.lbs() if lb["name"] == wanted]
    return found[0] if found else None


def condition(env, name: str):
    found = [c for c in env.service(name).status.conditions or [] if c.type == "LoadBalancerReady"]
    return found[0] if found else None


def test_service_lifecycle_through_dispatcher_and_worker(
    reconcile_env, queue_env, start_worker, start_dispatcher, cluster
):
    env = reconcile_env(cluster_name=queue_env.cluster_name, create_monitor="true")
    pipeline(env, cluster, start_worker, start_dispatcher)
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


def test_shared_walk_and_error_rebuild_through_processes(
    reconcile_env, queue_env, start_worker, start_dispatcher, cluster
):
    env = reconcile_env(cluster_name=queue_env.cluster_name)
    pipeline(env, cluster, start_worker, start_dispatcher)
    env.add_node("a", "10.0.0.91")
    env.sim.control.error_builds(1)

    env.create_service("owner", [{"name": "a", "port": 80, "protocol": "TCP"}])
    address = wait_for("the owner's address", lambda: _ingress(env, "owner"))
    assert any(
        "has gone into ERROR state" in m
        for _, reason, m in env.events("owner")
        if reason == "SyncLoadBalancerFailed"
    ), "the first build failed and was replaced"
    lb = our_lb(env, "owner")
    assert lb is not None and lb["provisioning_status"] == "ACTIVE"

    env.create_service(
        "guest",
        [{"name": "a", "port": 8080, "protocol": "TCP"}],
        {"loadbalancer.openstack.org/load-balancer-id": lb["id"]},
    )
    assert wait_for("the guest's address", lambda: _ingress(env, "guest")) == address

    env.create_service(
        "third",
        [{"name": "a", "port": 80, "protocol": "TCP"}],
        {"loadbalancer.openstack.org/load-balancer-id": lb["id"]},
    )

    def third_refused() -> bool:
        found = condition(env, "third")
        return bool(found and found.status == "False" and "already shared with 2 Services" in found.message)

    wait_for("the third Service's failure", third_refused)
    # once the owner leaves, a slot frees up and the third Service would get in: take it away first
    env.delete_service("third")
    wait_for(
        "the third Service to go",
        lambda: (
            "third" not in {s.metadata.name for s in env.core.list_namespaced_service(env.namespace).items}
        ),
    )

    env.delete_service("owner")
    wait_for(
        "the owner to go",
        lambda: (
            "owner" not in {s.metadata.name for s in env.core.list_namespaced_service(env.namespace).items}
        ),
    )
    kept = [x for x in env.lbs() if x["id"] == lb["id"]]
    assert kept and kept[0]["tags"] == [lb["name"].removesuffix("_owner") + "_guest"]
