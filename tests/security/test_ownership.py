"""The worker changes only load balancers named or tagged for its cluster, unless a Service names one by id.

Runs the real reconcile (openstacksdk over HTTP to the simulator, the real kube-apiserver) next to load
balancers that another cluster or a person made, and compares those before and after, field by field.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.reconcile.conftest import Env, ports

pytestmark = pytest.mark.cluster
A = "loadbalancer.openstack.org/"


def foreign_lb(env: Env, name: str, tags: list[str], listener_port: int) -> str:
    """A load balancer made outside this cluster, with one listener and pool of its own; its id."""
    conn = env.sim.connect()
    lb = conn.load_balancer.create_load_balancer(name=name, vip_subnet_id=env.ids.private_subnet, tags=tags)
    conn.load_balancer.wait_for_load_balancer(lb.id, interval=0.2, wait=30)
    listener = conn.load_balancer.create_listener(
        loadbalancer_id=lb.id, protocol="TCP", protocol_port=listener_port, name=f"theirs_{listener_port}",
        tags=tags,
    )
    conn.load_balancer.wait_for_load_balancer(lb.id, interval=0.2, wait=30)
    conn.load_balancer.create_pool(listener_id=listener.id, protocol="TCP", lb_algorithm="ROUND_ROBIN")
    conn.load_balancer.wait_for_load_balancer(lb.id, interval=0.2, wait=30)
    # an owner with a public address, as OCCM requires before another Service may share the LB
    conn.network.create_ip(floating_network_id=env.ids.public_network, port_id=lb.vip_port_id)
    return lb.id


def snapshot(env: Env, lb_id: str, exclude_tags: tuple[str, ...] = ()) -> dict[str, Any]:
    """What another owner cares about: the LB's identity and tags, and every listener and pool not ours."""
    [lb] = [lb for lb in env.lbs() if lb["id"] == lb_id]
    keep = ("id", "name", "protocol_port", "protocol", "tags", "default_pool_id", "lb_algorithm")
    listeners = [
        {k: v for k, v in li.items() if k in keep}
        for li in env.octavia("listeners")
        if li["loadbalancer_id"] == lb_id and li["name"].startswith("theirs_")
    ]
    their_pools = {li["default_pool_id"] for li in listeners}
    pools = [
        {k: v for k, v in pool.items() if k in keep}
        for pool in env.octavia("pools")
        if pool["id"] in their_pools
    ]
    return {
        "name": lb["name"],
        "tags": sorted(t for t in lb["tags"] if t not in exclude_tags),
        "vip_address": lb["vip_address"],
        "floating_ips": sorted(
            f["floating_ip_address"] for f in env.fips() if f["port_id"] == lb["vip_port_id"]
        ),
        "listeners": listeners,
        "pools": pools,
    }


def test_another_clusters_load_balancer_for_the_same_service_is_left_alone(reconcile_env) -> None:
    env = reconcile_env()
    env.add_node("a", "10.0.0.71")
    theirs = f"kube_service_othercluster_{env.namespace}_web"
    lb_id = foreign_lb(env, theirs, [theirs], 80)
    before = snapshot(env, lb_id)
    assert before["listeners"] and before["pools"], "control: the foreign LB has parts that could be touched"

    env.create_service("web", ports(80))
    env.drive("web")
    ours = [lb for lb in env.lbs() if lb["id"] != lb_id]
    cluster_name = env.context.settings.cluster_name
    assert [lb["name"] for lb in ours] == [f"kube_service_{cluster_name}_{env.namespace}_web"]
    assert env.service("web").metadata.annotations[A + "load-balancer-id"] == ours[0]["id"]
    assert snapshot(env, lb_id) == before

    env.delete_service("web")
    env.drive("web")
    assert [lb["id"] for lb in env.lbs()] == [lb_id], "ours is gone, theirs stays"
    assert snapshot(env, lb_id) == before


def test_sharing_by_id_touches_only_this_services_listener_and_tag(reconcile_env) -> None:
    env = reconcile_env()
    env.add_node("a", "10.0.0.72")
    theirs = f"kube_service_othercluster_{env.namespace}_owner"
    lb_id = foreign_lb(env, theirs, [theirs], 443)
    before = snapshot(env, lb_id)

    env.create_service("guest", ports(8080), {A + "load-balancer-id": lb_id})
    env.drive("guest")
    mine = f"kube_service_{env.context.settings.cluster_name}_{env.namespace}_guest"
    [lb] = [lb for lb in env.lbs() if lb["id"] == lb_id]
    assert sorted(lb["tags"]) == sorted([theirs, mine]), "joining by id adds our tag, keeps theirs"
    assert snapshot(env, lb_id, exclude_tags=(mine,)) == before, "their listener and pool are untouched"
    assert len(env.lbs()) == 1, "sharing by id creates no load balancer"

    env.delete_service("guest")
    env.drive("guest")
    assert snapshot(env, lb_id) == before, "leaving removes our listener and tag, and only those"
    assert not [li for li in env.octavia("listeners") if li["protocol_port"] == 8080]


def test_a_port_taken_by_the_foreign_owner_is_refused_without_any_change(reconcile_env) -> None:
    env = reconcile_env()
    env.add_node("a", "10.0.0.73")
    lb_id = foreign_lb(env, "hand-made", [], 443)
    before = snapshot(env, lb_id)

    env.create_service("clash", ports(443), {A + "load-balancer-id": lb_id})
    error = env.drive_error("clash")
    assert "the listener port 443 already exists" in str(error)
    assert snapshot(env, lb_id) == before, "the refused Service left no tag, listener or pool"

    env.delete_service("clash")
    env.drive("clash")
    assert snapshot(env, lb_id) == before, "deleting the refused Service deletes nothing of theirs"
