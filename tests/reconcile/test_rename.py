"""A cluster-name change (OCCM's LoadBalancerRename), end to end through the real reconcile: the Service's
own load balancer is renamed with its listeners, pools and monitors and keeps its id and address; a
same-named load balancer of another cluster that a new Service merely names by id is not taken over."""

from __future__ import annotations

import dataclasses

from octavia_lb.worker.runtime.tasks import WorkerContext
from tests.security.test_ownership import A, foreign_lb, snapshot

PORTS = [{"name": "http", "port": 80, "protocol": "TCP"}, {"name": "https", "port": 443, "protocol": "TCP"}]
MONITORED = {A + "enable-health-monitor": "true"}


def _rename_cluster(env, cluster: str) -> None:
    env.context = WorkerContext(dataclasses.replace(env.context.settings, cluster_name=cluster))


def _tree(env, lb_id: str) -> dict[str, list]:
    listeners = [li for li in env.octavia("listeners") if li["loadbalancer_id"] == lb_id]
    pool_ids = {li["default_pool_id"] for li in listeners}
    pools = [p for p in env.octavia("pools") if p["id"] in pool_ids]
    monitor_ids = {p["healthmonitor_id"] for p in pools}
    return {
        "listeners": sorted((li["name"], tuple(li["tags"])) for li in listeners),
        "pools": sorted(p["name"] for p in pools),
        "monitors": sorted(m["name"] for m in env.octavia("healthmonitors") if m["id"] in monitor_ids),
    }


def test_cluster_rename_renames_the_services_own_load_balancer(reconcile_env):
    env = reconcile_env(cluster_name="before")
    env.add_node("a", "10.0.0.91")
    env.create_service("web", PORTS, annotations=MONITORED)
    env.drive("web")
    (lb,) = [lb for lb in env.lbs() if lb["name"] == f"kube_service_before_{env.namespace}_web"]
    address = env.service("web").status.load_balancer.ingress[0].ip
    old = f"kube_service_before_{env.namespace}_web"
    assert _tree(env, lb["id"])["listeners"] == [
        (f"listener_0_{old}", (old,)),
        (f"listener_1_{old}", (old,)),
    ]

    _rename_cluster(env, "after")
    outcome = env.drive("web")

    new = f"kube_service_after_{env.namespace}_web"
    (renamed,) = [x for x in env.lbs() if x["id"] == lb["id"]]
    assert (renamed["name"], renamed["tags"]) == (new, [new])
    assert _tree(env, lb["id"]) == {
        "listeners": [(f"listener_0_{new}", (new,)), (f"listener_1_{new}", (new,))],
        "pools": [f"pool_0_{new}", f"pool_1_{new}"],
        "monitors": [f"monitor_0_{new}", f"monitor_1_{new}"],
    }
    assert not [x for x in env.lbs() if x["name"] == new and x["id"] != lb["id"]], "a second LB was built"
    assert env.service("web").status.load_balancer.ingress[0].ip == address
    assert outcome.errors == [], outcome
    renames = [
        (kind, message) for kind, reason, message in env.events("web") if reason == "LoadBalancerRename"
    ]
    assert len(renames) == 1 and renames[0][0] == "Warning", renames
    assert renames[0][1].startswith(f"Load balancer {lb['id']} is named for cluster before; renamed to {new}")


def test_another_clusters_same_named_load_balancer_named_by_id_is_shared_not_renamed(reconcile_env):
    env = reconcile_env(cluster_name="ours")
    env.add_node("a", "10.0.0.92")
    theirs = f"kube_service_theirs_{env.namespace}_guest"
    lb_id = foreign_lb(env, theirs, [theirs], 443)
    before = snapshot(env, lb_id)

    env.create_service(
        "guest", [{"name": "http", "port": 8080, "protocol": "TCP"}], {A + "load-balancer-id": lb_id}
    )
    env.drive("guest")

    mine = f"kube_service_ours_{env.namespace}_guest"
    (lb,) = [x for x in env.lbs() if x["id"] == lb_id]
    assert lb["name"] == theirs, "another cluster's load balancer was renamed"
    assert sorted(lb["tags"]) == sorted([theirs, mine]), "it is joined as a shared load balancer"
    assert snapshot(env, lb_id, exclude_tags=(mine,)) == before
    assert "LoadBalancerRename" not in env.reasons("guest")
