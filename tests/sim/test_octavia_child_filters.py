"""Child listings honour the parent filters Octavia applies to columns the answers do not show, and a pool
POST with nested `members` and `healthmonitor` builds the whole small tree (single-call pool create)."""

from __future__ import annotations

from typing import Any

import pytest
from openstack import exceptions as sdk_exc

from tests.sim.helpers import lb_url, private_subnet, raw, wait_active

MONITOR = {"type": "HTTP", "delay": 3, "timeout": 2, "max_retries": 2}


def _tree(conn: Any, sim: Any, name: str) -> dict[str, Any]:
    """A load balancer with a listener, its default pool (one member, one monitor) and a second bare pool."""
    lb = conn.load_balancer.create_load_balancer(name=name, vip_subnet_id=private_subnet(conn).id)
    wait_active(conn, lb.id)
    listener = conn.load_balancer.create_listener(loadbalancer_id=lb.id, protocol="HTTP", protocol_port=80)
    wait_active(conn, lb.id)
    pool = conn.load_balancer.create_pool(
        listener_id=listener.id, protocol="HTTP", lb_algorithm="ROUND_ROBIN"
    )
    wait_active(conn, lb.id)
    monitor = conn.load_balancer.create_health_monitor(pool_id=pool.id, **MONITOR)
    wait_active(conn, lb.id)
    conn.load_balancer.create_member(pool, address="192.0.2.10", protocol_port=80)
    wait_active(conn, lb.id)
    spare = conn.load_balancer.create_pool(loadbalancer_id=lb.id, protocol="TCP", lb_algorithm="ROUND_ROBIN")
    wait_active(conn, lb.id)
    return {"lb": lb, "listener": listener, "pool": pool, "spare": spare, "monitor": monitor}


@pytest.fixture
def trees(conn, sim):
    return _tree(conn, sim, "a"), _tree(conn, sim, "b")


def _ids(items: Any) -> set[str]:
    return {item.id for item in items}


def test_pools_filtered_by_load_balancer(conn, trees, sim):
    a, b = trees
    assert _ids(conn.load_balancer.pools(loadbalancer_id=a["lb"].id)) == {a["pool"].id, a["spare"].id}
    assert _ids(conn.load_balancer.pools(loadbalancer_id=b["lb"].id)) == {b["pool"].id, b["spare"].id}
    assert _ids(conn.load_balancer.pools(loadbalancer_id=a["lb"].id, protocol="TCP")) == {a["spare"].id}
    # the filter still holds on the pages after the first (openstacksdk follows the `next` links)
    paged = conn.load_balancer.pools(loadbalancer_id=b["lb"].id, limit=1)
    assert [p.id for p in paged] == [b["pool"].id, b["spare"].id]
    # Octavia also takes the column name `load_balancer_id` (openstacksdk's Pool does not send it)
    answer = raw(conn, "GET", lb_url(sim.url, "/lbaas/pools"), load_balancer_id=a["lb"].id)
    assert [p["id"] for p in answer.json()["pools"]] == [a["pool"].id, a["spare"].id]


def test_pool_filter_by_unknown_load_balancer_is_empty_and_listener_id_is_400(conn, trees, sim):
    assert list(conn.load_balancer.pools(loadbalancer_id="00000000-0000-0000-0000-000000000000")) == []
    # the pool table has no listener column: Octavia rejects the filter rather than ignoring it
    with pytest.raises(
        sdk_exc.BadRequestException, match="One or more arguments are either duplicate or invalid"
    ):
        list(conn.load_balancer.pools(listener_id=trees[0]["listener"].id))


def test_health_monitors_filtered_by_pool(conn, trees):
    a, b = trees
    assert _ids(conn.load_balancer.health_monitors(pool_id=a["pool"].id)) == {a["monitor"].id}
    assert _ids(conn.load_balancer.health_monitors(pool_id=b["pool"].id)) == {b["monitor"].id}
    assert list(conn.load_balancer.health_monitors(pool_id=a["spare"].id)) == []
    assert len(list(conn.load_balancer.health_monitors())) == 2


def test_listeners_filtered_by_load_balancer_both_spellings(conn, trees, sim):
    a, b = trees
    # openstacksdk sends the column name `load_balancer_id`; raw HTTP sends the API name `loadbalancer_id`
    assert _ids(conn.load_balancer.listeners(load_balancer_id=b["lb"].id)) == {b["listener"].id}
    answer = raw(conn, "GET", lb_url(sim.url, "/lbaas/listeners"), loadbalancer_id=a["lb"].id)
    assert [li["id"] for li in answer.json()["listeners"]] == [a["listener"].id]


def test_members_and_policies_keep_their_filters(conn, trees):
    a, _ = trees
    assert [m.address for m in conn.load_balancer.members(a["pool"].id, protocol_port=80)] == ["192.0.2.10"]
    assert list(conn.load_balancer.members(a["pool"].id, protocol_port=81)) == []
    policy = conn.load_balancer.create_l7_policy(listener_id=a["listener"].id, action="REJECT")
    wait_active(conn, a["lb"].id)
    assert _ids(conn.load_balancer.l7_policies(listener_id=a["listener"].id)) == {policy.id}
    assert list(conn.load_balancer.l7_policies(listener_id=trees[1]["listener"].id)) == []


def _status(conn: Any, sim: Any, path: str) -> tuple[str, str]:
    body = raw(conn, "GET", lb_url(sim.url, path)).json()
    (item,) = body.values()
    return item["provisioning_status"], item["operating_status"]


def test_single_call_pool_create_builds_members_and_monitor(conn, sim):
    lb = wait_active(
        conn, conn.load_balancer.create_load_balancer(name="n", vip_subnet_id=private_subnet(conn).id).id
    )
    listener = conn.load_balancer.create_listener(loadbalancer_id=lb.id, protocol="HTTP", protocol_port=80)
    wait_active(conn, lb.id)
    # a pending window the checks below cannot miss on a loaded machine (the fast profile's is ~0.1 s)
    sim.control.set_delays(child_create=2.0, lb_update=2.0)
    # the `/v2` alias, as the worker calls it; openstacksdk's Pool has no `healthmonitor` body attribute
    response = raw(
        conn,
        "POST",
        f"{sim.url}/load-balancer/v2/lbaas/pools",
        {
            "pool": {
                "listener_id": listener.id,
                "protocol": "HTTP",
                "lb_algorithm": "ROUND_ROBIN",
                "members": [
                    {"address": "192.0.2.21", "protocol_port": 80},
                    {"address": "192.0.2.22", "protocol_port": 8080, "weight": 5},
                ],
                "healthmonitor": {**MONITOR, "url_path": "/healthz"},
            }
        },
    )
    assert response.status_code == 201, response.text
    pool = response.json()["pool"]
    assert pool["provisioning_status"] == "PENDING_CREATE" and pool["healthmonitor_id"]
    assert pool["listeners"] == [{"id": listener.id}] and len(pool["members"]) == 2
    members = [f"/lbaas/pools/{pool['id']}/members/{m['id']}" for m in pool["members"]]
    monitor = f"/lbaas/healthmonitors/{pool['healthmonitor_id']}"
    assert {_status(conn, sim, p) for p in [*members, monitor]} == {("PENDING_CREATE", "OFFLINE")}
    assert conn.load_balancer.get_load_balancer(lb.id).provisioning_status == "PENDING_UPDATE"
    wait_active(conn, lb.id)
    assert {_status(conn, sim, p) for p in [f"/lbaas/pools/{pool['id']}", *members, monitor]} == {
        ("ACTIVE", "ONLINE")
    }
    got = {(m.address, m.protocol_port, m.weight) for m in conn.load_balancer.members(pool["id"])}
    assert got == {("192.0.2.21", 80, 1), ("192.0.2.22", 8080, 5)}
    hm = conn.load_balancer.get_health_monitor(pool["healthmonitor_id"])
    assert (hm.url_path, hm.pools) == ("/healthz", [{"id": pool["id"]}])
    assert conn.load_balancer.get_listener(listener.id).default_pool_id == pool["id"]


def test_single_call_pool_create_with_members_through_openstacksdk(conn):
    lb = wait_active(
        conn, conn.load_balancer.create_load_balancer(name="s", vip_subnet_id=private_subnet(conn).id).id
    )
    pool = conn.load_balancer.create_pool(
        loadbalancer_id=lb.id,
        protocol="TCP",
        lb_algorithm="SOURCE_IP",
        members=[{"address": "192.0.2.31", "protocol_port": 22}],
    )
    assert pool.provisioning_status == "PENDING_CREATE" and len(pool.members) == 1
    wait_active(conn, lb.id)
    (member,) = conn.load_balancer.members(pool.id)
    assert (member.address, member.provisioning_status, member.operating_status) == (
        "192.0.2.31",
        "ACTIVE",
        "NO_MONITOR",
    )
    assert _ids(conn.load_balancer.pools(loadbalancer_id=lb.id)) == {pool.id}
