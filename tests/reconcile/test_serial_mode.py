"""cloud.conf `provider-requires-serial-api-calls = true` end to end: the real reconcile, kube-apiserver,
Redis and the OpenStack simulator. Nothing is created nested and members are written one call each
(POST / DELETE per member, never the batch PUT), counted from the simulator's request log."""

from __future__ import annotations

from typing import Any

import redis

from octavia_lb.worker.cloud.observed import (
    ListenerId,
    ListenerState,
    LoadBalancerId,
    Observed,
    OsListener,
    OsLoadBalancer,
    OsMember,
    OsPool,
    PoolId,
    PoolState,
)
from octavia_lb.worker.plan.steps import CreateMember, DeleteMember
from octavia_lb.worker.reconcile import memo
from tests.reconcile.conftest import ports

LBAAS = "/load-balancer/v2.0/lbaas"
MEMBERS = f"{LBAAS}/pools/{{pool_id}}/members"
WRITES = {
    "create lb": f"POST {LBAAS}/loadbalancers",
    "create listener": f"POST {LBAAS}/listeners",
    "create pool": f"POST {LBAAS}/pools",
    "create monitor": f"POST {LBAAS}/healthmonitors",
    "create member": f"POST {MEMBERS}",
    "delete member": f"DELETE {MEMBERS}/{{id}}",
    "batch members": f"PUT {MEMBERS}",
}


def _writes(env) -> dict[str, int]:
    """Octavia writes since the last `clear_counts`, by kind (0 where none was made)."""
    counts = env.sim.control.counts()
    return {kind: counts.get(route, 0) for kind, route in WRITES.items()}


def _members_by_port(env) -> dict[int, list[tuple[str, str, int, Any, Any]]]:
    """Listener port → its pool's members as (name, address, port, subnet, monitor port), via openstacksdk."""
    conn = env.sim.connect()
    pools = {p.id: p for p in conn.load_balancer.pools()}
    found = {}
    for listener in conn.load_balancer.listeners():
        members = conn.load_balancer.members(pools[listener.default_pool_id])
        found[listener.protocol_port] = sorted(
            (m.name, m.address, m.protocol_port, m.subnet_id, m.monitor_port) for m in members
        )
    return found


def _expected(env, node_ports: dict[int, int], nodes: dict[str, str]) -> dict[int, list[tuple]]:
    return {
        port: sorted(
            (f"member_{env.run}-{node}_{addr}_{np}", addr, np, None, None) for node, addr in nodes.items()
        )
        for port, np in node_ports.items()
    }


def test_serial_mode_creates_step_by_step_and_members_one_by_one(reconcile_env):
    env = reconcile_env(provider_requires_serial_api_calls="true", create_monitor="true")
    env.add_node("a", "10.0.0.61")
    env.add_node("b", "10.0.0.62")
    env.sim.control.clear_counts()
    env.create_service("web", ports(80, 443))

    outcome = env.drive("web")

    assert outcome.errors == [], "no 409: every write waited for ACTIVE"
    [lb] = env.lbs()
    [fip] = env.fips()
    assert fip["port_id"] == lb["vip_port_id"]
    svc = env.service("web")
    assert svc.status.load_balancer.ingress[0].ip == fip["floating_ip_address"]
    node_ports = {p.port: p.node_port for p in svc.spec.ports}
    nodes = {"a": "10.0.0.61", "b": "10.0.0.62"}
    assert _members_by_port(env) == _expected(env, node_ports, nodes)
    # the load balancer came without listeners, each listener without pool, each pool without members or
    # monitor: otherwise the nested creates would have made them and these POSTs would be fewer
    assert _writes(env) == {
        "create lb": 1,
        "create listener": 2,
        "create pool": 2,
        "create monitor": 2,
        "create member": 4,
        "delete member": 0,
        "batch members": 0,
    }

    env.add_node("c", "10.0.0.63")
    env.sim.control.clear_counts()
    env.drive("web")
    nodes["c"] = "10.0.0.63"
    assert _members_by_port(env) == _expected(env, node_ports, nodes)
    assert _writes(env)["create member"] == 2, "one POST per pool for the new node"
    assert (_writes(env)["delete member"], _writes(env)["batch members"]) == (0, 0)

    env.remove_node("a")
    env.sim.control.clear_counts()
    env.drive("web")
    del nodes["a"]
    assert _members_by_port(env) == _expected(env, node_ports, nodes)
    assert _writes(env)["delete member"] == 2, "one DELETE per pool for the removed node"
    assert (_writes(env)["create member"], _writes(env)["batch members"]) == (0, 0)
    assert env.service("web").status.load_balancer.ingress[0].ip == fip["floating_ip_address"]


def _one_pool_state() -> Observed:
    member = OsMember("m1", "member_n1_10.0.0.1_30080", "10.0.0.1", 30080, None, None)
    pool = OsPool(PoolId("p1"), "pool", "TCP", "ROUND_ROBIN", None, ("l1",), frozenset({"m1"}), None)
    listener = OsListener(
        ListenerId("l1"), "listener", "TCP", 80, -1, (1, 2, 3, 4), (), (), None, (), pool.id
    )
    lb = OsLoadBalancer(
        LoadBalancerId("lb1"), "lb", "ACTIVE", "10.0.0.9", "port", "subnet", (), frozenset({"p1"})
    )
    return Observed(lb, (ListenerState(listener, PoolState(pool, (member,), None)),), (), None)


def test_memo_reads_a_pool_again_after_a_serial_member_write(redis_server):
    """The new member's id is unknown (and a later DELETE needs it), so the memo must not stand in for the
    written pool, nor keep the lists whose pool still names the old member ids."""
    client = redis.Redis.from_url(redis_server)
    body = {"name": "member_n2_10.0.0.2_30080", "address": "10.0.0.2", "protocol_port": 30080}
    for step in (CreateMember(PoolId("p1"), body), DeleteMember(PoolId("p1"), "m1")):
        memo.save_after(client, "serial:", _one_pool_state(), step)
        remembered = memo.load(client, "serial:", "lb1")
        assert "p1" not in remembered.pools, step.call
        assert remembered.lists_for(frozenset({"p1"})) is None, step.call
    memo.drop(client, "serial:", "lb1")
