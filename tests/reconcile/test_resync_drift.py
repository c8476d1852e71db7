"""The resync's bulk drift check (worker/resync.py) against the real reconcile, simulator and kube-apiserver.

In-process: a Service is driven to settled by the real reconcile, then `DriftCheck.choose` must find
nothing to do, cheaply; each hand change in the simulator must be found, with the cause the worker would
act on, and after the reconcile repairs it the check must be quiet again.
"""

from __future__ import annotations

import time
from typing import Any

from octavia_lb.worker.dispatch.bulk import SETTLED_SECONDS
from octavia_lb.worker.dispatch.resync import DriftCheck
from octavia_lb.worker.reconcile.status import KubeWriter
from tests.reconcile.test_dual_stack import DUAL, dual_cluster, dual_env  # noqa: F401  (fixtures)
from tests.reconcile.test_dual_stack import PORTS as DUAL_PORTS
from tests.reconcile.test_dual_stack import _nodes as dual_nodes
from tests.reconcile.test_security_groups import _add_node_with_port, _group, _groups_of, _network

PORTS = [{"name": "http", "port": 80, "protocol": "TCP"}, {"name": "https", "port": 443, "protocol": "TCP"}]


def tracked(env: Any, *names: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The Services as the dispatcher's cache holds them (JSON dicts)."""
    kube = KubeWriter(env.context.kube)
    return {(env.namespace, n): kube.read_service(env.namespace, n) for n in names}  # type: ignore[misc]


def check(env: Any, drift: DriftCheck, *names: str) -> dict[str, str]:
    chosen = drift.choose(tracked(env, *names))
    return {key[1]: f"{d.cause}: {d.detail}" for key, d in chosen.items()}


def settled_env(reconcile_env: Any) -> tuple[Any, DriftCheck]:
    env = reconcile_env(create_monitor="true")
    env.add_node("a", "10.0.3.11")
    env.add_node("b", "10.0.3.12")
    for name in ("web", "api"):
        env.create_service(name, PORTS)
        env.drive(name)
    return env, DriftCheck(env.context.settings, env.context.kube)


def our_lb(env: Any, name: str) -> dict[str, Any]:
    wanted = f"kube_service_{env.context.settings.cluster_name}_{env.namespace}_{name}"
    [lb] = [lb for lb in env.lbs() if lb["name"] == wanted]
    return lb


def settle(env: Any) -> None:
    """Wait until no load balancer is PENDING, and their last write is old enough for the member cache
    (real time: the simulator's clock is not advanced, its timestamps must stay comparable to ours)."""
    deadline = time.monotonic() + 30
    while any(lb["provisioning_status"] != "ACTIVE" for lb in env.lbs()):
        assert time.monotonic() < deadline, "load balancers stay PENDING"
        time.sleep(0.1)
    time.sleep(SETTLED_SECONDS + 0.5)


def test_settled_services_need_nothing_and_cost_a_few_lists(reconcile_env) -> None:
    env, drift = settled_env(reconcile_env)
    settle(env)  # the last writes are old enough for their members to be remembered
    assert check(env, drift, "web", "api") == {}
    env.sim.control.clear_counts()
    assert check(env, drift, "web", "api") == {}
    counts = env.sim.control.counts()
    # lists only: load balancers, listeners, pools, floating IPs (+ the external network lookup at most
    # once per 5 minutes); no member or monitor reads, nothing per Service
    assert not any("/members" in route or "/healthmonitors" in route for route in counts), counts
    assert sum(counts.values()) <= 5, counts


def test_each_hand_change_is_found_and_quiet_after_the_repair(reconcile_env) -> None:
    env, drift = settled_env(reconcile_env)
    settle(env)
    assert check(env, drift, "web", "api") == {}
    conn = env.sim.connect()
    lb = our_lb(env, "web")
    listeners = conn.load_balancer.get(f"/lbaas/listeners?loadbalancer_id={lb['id']}").json()["listeners"]
    pools = conn.load_balancer.get(f"/lbaas/pools?loadbalancer_id={lb['id']}").json()["pools"]

    def found_then_repaired(cause: str) -> None:
        settle(env)  # the hand change is applied (Octavia back to ACTIVE)
        got = check(env, drift, "web", "api")
        assert list(got) == ["web"] and got["web"].startswith(cause), got
        env.drive("web")
        settle(env)
        assert check(env, drift, "web", "api") == {}  # and the members are remembered again

    # a listener setting
    listener_id = listeners[0]["id"]
    conn.load_balancer.put(f"/lbaas/listeners/{listener_id}", json={"listener": {"connection_limit": 7}})
    found_then_repaired("octavia: update listener")
    # a member renamed in place: same member ids, only the load balancer's updated_at tells
    pool_id = pools[0]["id"]
    member = conn.load_balancer.get(f"/lbaas/pools/{pool_id}/members").json()["members"][0]
    conn.load_balancer.put(
        f"/lbaas/pools/{pool_id}/members/{member['id']}", json={"member": {"name": "renamed-by-hand"}}
    )
    found_then_repaired("octavia: set members")
    # a member deleted
    conn.load_balancer.delete(f"/lbaas/pools/{pool_id}/members/{member['id']}")
    found_then_repaired("octavia: set members")
    # the monitor changed
    monitor_id = pools[1]["healthmonitor_id"]
    conn.load_balancer.put(f"/lbaas/healthmonitors/{monitor_id}", json={"healthmonitor": {"delay": 42}})
    found_then_repaired("octavia: update monitor")
    # the floating IP detached from the VIP port
    [fip] = [f for f in env.fips() if f["port_id"] == lb["vip_port_id"]]
    conn.network.update_ip(fip["id"], port_id=None)
    found_then_repaired("floating-ip")


def test_status_annotations_and_missing_load_balancers_are_found(reconcile_env) -> None:
    env, drift = settled_env(reconcile_env)
    env.core.patch_namespaced_service_status(
        "api", env.namespace, {"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}}}
    )
    got = check(env, drift, "web", "api")
    assert list(got) == ["api"] and got["api"].startswith("status"), got
    env.drive("api")
    # a load balancer deleted by hand: the Service must get a new one
    env.sim.connect().load_balancer.delete(f"/lbaas/loadbalancers/{our_lb(env, 'web')['id']}?cascade=true")
    settle(env)
    got = check(env, drift, "web", "api")
    assert list(got) == ["web"] and got["web"].startswith("missing"), got
    # a Service changed while its message was lost (no reconcile ran): its new wish differs from the cloud
    env.patch_service(
        "api", {"metadata": {"annotations": {"loadbalancer.openstack.org/connection-limit": "50"}}}
    )
    got = check(env, drift, "api")
    assert got == {"api": got["api"]} and got["api"].startswith("octavia: update listener"), got
    env.set_ports("api", [*PORTS, {"name": "extra", "port": 8080, "protocol": "TCP"}])
    got = check(env, drift, "api")
    assert got["api"].startswith("octavia: "), got


def test_security_groups_are_compared_in_bulk(reconcile_env) -> None:
    """manage-security-groups: a rule or a node port's group removed by hand is found; the settled check
    costs two more lists (groups, ports) and one subnet read, not a lookup per Service."""
    env = reconcile_env(manage_security_groups="true")
    port_a = _add_node_with_port(env, "a")
    _add_node_with_port(env, "b")
    for name in ("web", "api"):
        env.create_service(name, PORTS)
        env.drive(name)
    drift = DriftCheck(env.context.settings, env.context.kube)
    settle(env)
    assert check(env, drift, "web", "api") == {}
    env.sim.control.clear_counts()
    assert check(env, drift, "web", "api") == {}
    counts = env.sim.control.counts()
    by_route = {route.split("/v2.0/")[-1]: n for route, n in counts.items()}
    assert by_route["security-groups"] == 1 and by_route["ports"] == 1, counts
    assert sum(n for route, n in by_route.items() if route.startswith("subnets")) <= 1, counts
    assert sum(counts.values()) <= 9, counts
    group = _group(env, "web")
    assert group is not None
    conn = env.sim.connect()
    # a rule deleted by hand
    rule = next(r for r in _network(env)["security_group_rules"] if r["security_group_id"] == group["id"])
    conn.network.delete_security_group_rule(rule["id"])
    got = check(env, drift, "web", "api")
    assert list(got) == ["web"] and got["web"].startswith("security-groups: security group"), got
    env.drive("web")
    assert check(env, drift, "web", "api") == {}
    # the group taken off a member node's port by hand
    kept = [g for g in _groups_of(env, port_a) if g != group["id"]]
    conn.network.update_port(port_a["id"], security_groups=kept)
    got = check(env, drift, "web", "api")
    assert list(got) == ["web"] and "missing on port" in got["web"], got
    env.drive("web")
    assert check(env, drift, "web", "api") == {}


def test_a_settled_dual_stack_service_needs_nothing(dual_env) -> None:  # noqa: F811  (the fixture)
    """Two ipFamilies: the additional VIP, both families' members and both addresses in the status are
    what the worker left, so the check is quiet; a member of the IPv6 family removed by hand is found."""
    env = dual_env()
    dual_nodes(env)
    env.create_service("web", DUAL_PORTS, **DUAL)
    env.drive("web")
    drift = DriftCheck(env.context.settings, env.context.kube)
    settle(env)
    assert check(env, drift, "web") == {}
    conn = env.sim.connect()
    [pool] = conn.load_balancer.get("/lbaas/pools").json()["pools"]
    members = conn.load_balancer.get(f"/lbaas/pools/{pool['id']}/members").json()["members"]
    v6 = next(m for m in members if ":" in m["address"])
    conn.load_balancer.delete(f"/lbaas/pools/{pool['id']}/members/{v6['id']}")
    settle(env)
    got = check(env, drift, "web")
    assert list(got) == ["web"] and got["web"].startswith("octavia: set members"), got
    env.drive("web")
    assert check(env, drift, "web") == {}
