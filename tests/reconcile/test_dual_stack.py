"""Dual-stack Services end to end: a kube-apiserver 1.20 started with the IPv6DualStack gate and an IPv4 +
IPv6 service range (so spec.ipFamilies survives), the real reconcile, and the simulator's Octavia 2.26
additional VIPs; then the fallback to the first family on Octavia 2.25 and on an existing single-VIP load
balancer, each with its Warning Event."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from octavia_lb_devkit.controlplane.cluster import Cluster

from tests.fixtures.cluster import running_cluster
from tests.fixtures.simulator import OpenStackSim, fresh, octavia_up_to
from tests.reconcile.conftest import Env, EnvFactory, env_factory

V6_NET = ipaddress.ip_network("fd00:20::/64")
PORTS = [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]
DUAL = {"ipFamilyPolicy": "PreferDualStack", "ipFamilies": ["IPv4", "IPv6"]}
REASON = "LoadBalancerDualStackUnavailable"


@pytest.fixture(scope="module")
def dual_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A control plane of its own: the session one has a single-family service range."""
    with running_cluster(tmp_path_factory.mktemp("dual-cluster"), dual_stack=True) as control_plane:
        yield control_plane


@pytest.fixture(scope="module")
def octavia_2_25(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenStackSim]:
    """A simulator whose Octavia stops one version short of additional VIPs."""
    with octavia_up_to("2.25", tmp_path_factory) as handle:
        yield handle


def _factory(sim: Any, cluster: Cluster, redis_server: str, tmp_path: Path) -> Iterator[EnvFactory]:
    namespace = f"ds-{uuid.uuid4().hex[:8]}"
    cluster.create_namespace(namespace)
    with (
        cluster.api_client() as api,
        env_factory(sim, cluster, api, namespace, redis_server, tmp_path) as make,
    ):
        yield make


@pytest.fixture
def dual_env(sim: Any, dual_cluster: Cluster, redis_server: str, tmp_path: Path) -> Iterator[EnvFactory]:
    yield from _factory(sim, dual_cluster, redis_server, tmp_path)


@pytest.fixture
def old_dual_env(
    octavia_2_25: OpenStackSim, dual_cluster: Cluster, redis_server: str, tmp_path: Path
) -> Iterator[EnvFactory]:
    with fresh(octavia_2_25):
        yield from _factory(octavia_2_25, dual_cluster, redis_server, tmp_path)


def _nodes(env: Env) -> None:
    env.add_node("a", "10.0.0.11", "", "fd00:20::11")
    env.add_node("b", "10.0.0.12", "", "fd00:20::12")
    env.add_node("c", "10.0.0.13")  # an IPv4-only node: a member of the IPv4 family only


def _members(env: Env) -> list[tuple[str, int, str | None]]:
    return sorted((m["address"], m["protocol_port"], m.get("subnet_id")) for m in env.octavia("members"))


def _ingress(env: Env, name: str) -> list[str]:
    return [i.ip for i in env.service(name).status.load_balancer.ingress or []]


def test_dual_stack_service_gets_both_families(dual_env: EnvFactory) -> None:
    env = dual_env()
    _nodes(env)
    env.create_service("web", PORTS, **DUAL)
    svc = env.service("web")
    assert svc.spec.ip_families == ["IPv4", "IPv6"] and len(svc.spec.cluster_ips) == 2  # the gate is on
    env.drive("web")

    (lb,) = env.lbs()
    assert ipaddress.ip_address(lb["vip_address"]).version == 4
    (extra,) = lb["additional_vips"]
    assert ipaddress.ip_address(extra["ip_address"]) in V6_NET
    assert extra["subnet_id"] == _subnet(env, "private-subnet-v6")
    (listener,) = env.octavia("listeners")
    assert sorted(listener["allowed_cidrs"]) == ["0.0.0.0/0", "::/0"]
    node_port = env.service("web").spec.ports[0].node_port
    v4, v6 = env.ids.private_subnet, extra["subnet_id"]
    assert _members(env) == [
        ("10.0.0.11", node_port, v4),
        ("10.0.0.12", node_port, v4),
        ("10.0.0.13", node_port, v4),
        ("fd00:20::11", node_port, v6),
        ("fd00:20::12", node_port, v6),
    ]
    # the IPv4 VIP still gets its floating IP (Neutron picks the port's only IPv4 address)
    (fip,) = env.fips()
    assert fip["port_id"] == lb["vip_port_id"] and fip["fixed_ip_address"] == lb["vip_address"]
    assert _ingress(env, "web") == [fip["floating_ip_address"], extra["ip_address"]]
    annotations = env.service("web").metadata.annotations
    assert annotations["loadbalancer.openstack.org/load-balancer-address"] == fip["floating_ip_address"]
    assert REASON not in env.reasons("web") and "EnsuredLoadBalancer" in env.reasons("web")

    # a new dual-stack node joins both families' members; deletion removes everything
    env.add_node("d", "10.0.0.14", "", "fd00:20::14")
    env.drive("web")
    assert {a for a, _, _ in _members(env)} >= {"10.0.0.14", "fd00:20::14"} and len(_members(env)) == 7
    env.delete_service("web")
    env.drive("web")
    assert env.lbs() == [] and env.fips() == []


def test_ipv6_first_service_with_an_ipv6_vip_subnet(dual_env: EnvFactory) -> None:
    env = dual_env()
    _nodes(env)
    v6 = _subnet(env, "private-subnet-v6")
    env.create_service(
        "six",
        PORTS,
        {"loadbalancer.openstack.org/subnet-id": v6},
        ipFamilyPolicy="RequireDualStack",
        ipFamilies=["IPv6", "IPv4"],
    )
    env.drive("six")
    (lb,) = env.lbs()
    assert ipaddress.ip_address(lb["vip_address"]) in V6_NET
    (extra,) = lb["additional_vips"]
    assert extra["subnet_id"] == env.ids.private_subnet and "." in extra["ip_address"]
    # members: the IPv6 ones on the VIP subnet; the IPv4 ones on cloud.conf's subnet-id (OCCM's member rule)
    assert {(a, s) for a, _, s in _members(env)} == {
        ("fd00:20::11", v6),
        ("fd00:20::12", v6),
        ("10.0.0.11", env.ids.private_subnet),
        ("10.0.0.12", env.ids.private_subnet),
        ("10.0.0.13", env.ids.private_subnet),
    }
    # the floating IP goes to the IPv4 additional VIP (Neutron picks the port's only IPv4 address)
    (fip,) = env.fips()
    assert fip["port_id"] == lb["vip_port_id"] and fip["fixed_ip_address"] == extra["ip_address"]
    assert _ingress(env, "six") == [lb["vip_address"], fip["floating_ip_address"]]
    annotations = env.service("six").metadata.annotations
    assert annotations["loadbalancer.openstack.org/load-balancer-address"] == lb["vip_address"]
    assert "LoadBalancerFloatingIPSkipped" not in env.reasons("six") and REASON not in env.reasons("six")
    env.delete_service("six")
    env.drive("six")
    assert env.lbs() == [] and env.fips() == []


def test_ipv6_first_service_on_the_ipv4_vip_subnet(dual_env: EnvFactory) -> None:
    """cloud.conf's (IPv4) VIP subnet decides the primary VIP; the status still follows ipFamilies."""
    env = dual_env()
    _nodes(env)
    env.create_service("v6v4", PORTS, ipFamilyPolicy="PreferDualStack", ipFamilies=["IPv6", "IPv4"])
    env.drive("v6v4")
    (lb,) = env.lbs()
    (extra,) = lb["additional_vips"]
    assert "." in lb["vip_address"] and ipaddress.ip_address(extra["ip_address"]) in V6_NET
    (fip,) = env.fips()
    assert fip["fixed_ip_address"] == lb["vip_address"]
    assert _ingress(env, "v6v4") == [extra["ip_address"], fip["floating_ip_address"]]
    assert len(_members(env)) == 5


def test_ipv6_first_internal_service_shows_both_vips(dual_env: EnvFactory) -> None:
    env = dual_env()
    _nodes(env)
    env.create_service(
        "inner",
        PORTS,
        {
            "loadbalancer.openstack.org/subnet-id": _subnet(env, "private-subnet-v6"),
            "service.beta.kubernetes.io/openstack-internal-load-balancer": "true",
        },
        ipFamilyPolicy="RequireDualStack",
        ipFamilies=["IPv6", "IPv4"],
    )
    env.drive("inner")
    (lb,) = env.lbs()
    (extra,) = lb["additional_vips"]
    assert _ingress(env, "inner") == [lb["vip_address"], extra["ip_address"]] and env.fips() == []
    # OCCM's IPv6 event still applies: the load balancer's VIP is IPv6 and no floating IP is wanted
    assert "LoadBalancerFloatingIPSkipped" in env.reasons("inner")


def test_security_group_opens_node_ports_from_both_member_subnets(dual_env: EnvFactory) -> None:
    env = dual_env(manage_security_groups="true")
    conn = env.sim.connect()
    server = str(uuid.uuid4())
    v6 = _subnet(env, "private-subnet-v6")
    port = conn.network.create_port(
        network_id=env.ids.private_network,
        device_id=server,
        device_owner="compute:nova",
        fixed_ips=[{"subnet_id": env.ids.private_subnet}, {"subnet_id": v6}],
    )
    v4_ip, v6_ip = (ip["ip_address"] for ip in port.fixed_ips)
    env.add_node("a", v4_ip, server, v6_ip)
    env.create_service("guarded", PORTS, **DUAL)
    env.drive("guarded")
    node_port = env.service("guarded").spec.ports[0].node_port
    state = env.sim.control.state()["network"]
    (group,) = [g for g in state["security_groups"] if g["name"].startswith("lb-sg-")]
    rules = {
        (r["ethertype"], r["remote_ip_prefix"], r["port_range_min"])
        for r in state["security_group_rules"]
        if r["security_group_id"] == group["id"]
    }
    assert rules == {("IPv4", "10.0.0.0/24", node_port), ("IPv6", "fd00:20::/64", node_port)}
    (stored,) = [p for p in state["ports"] if p["id"] == port.id]
    assert group["id"] in stored["security_groups"]


def test_octavia_2_25_serves_the_first_family_with_a_warning(old_dual_env: EnvFactory) -> None:
    env = old_dual_env()
    _nodes(env)
    env.create_service("old", PORTS, **DUAL)
    env.drive("old")
    (lb,) = env.lbs()
    assert lb.get("additional_vips") in (None, [])
    assert {a for a, _, _ in _members(env)} == {"10.0.0.11", "10.0.0.12", "10.0.0.13"}
    (fip,) = env.fips()
    assert _ingress(env, "old") == [fip["floating_ip_address"]]
    warnings = [(t, m) for t, r, m in env.events("old") if r == REASON]
    assert warnings == [
        (
            "Warning",
            f"Service {env.namespace}/old asks for IPv4 and IPv6; only IPv4 is served: Octavia API 2.25 has "
            "no additional VIPs; version 2.26 (Zed) or later is needed",
        )
    ]


def test_single_stack_load_balancer_is_not_rebuilt_when_the_service_turns_dual(dual_env: EnvFactory) -> None:
    env = dual_env()
    _nodes(env)
    env.create_service("grow", PORTS, ipFamilyPolicy="SingleStack", ipFamilies=["IPv4"])
    env.drive("grow")
    (before,) = env.lbs()
    assert before["additional_vips"] == []
    env.patch_service("grow", {"spec": {"ipFamilyPolicy": "PreferDualStack", "ipFamilies": ["IPv4", "IPv6"]}})
    assert env.service("grow").spec.ip_families == ["IPv4", "IPv6"]
    env.drive("grow")
    (after,) = env.lbs()
    assert after["id"] == before["id"] and after["additional_vips"] == []
    assert {a for a, _, _ in _members(env)} == {"10.0.0.11", "10.0.0.12", "10.0.0.13"}
    (message,) = [m for _, r, m in env.events("grow") if r == REASON]
    assert message == (
        f"Service {env.namespace}/grow asks for IPv4 and IPv6; only IPv4 is served: load balancer "
        f"{before['id']} has no IPv6 VIP, and Octavia adds VIPs only when it creates a load balancer; delete "
        "and recreate the Service to serve both families"
    )


def test_vip_network_without_a_second_family_subnet(dual_env: EnvFactory) -> None:
    env = dual_env()
    _nodes(env)
    network, subnet = _v4_only_network(env)
    env.create_service("lone", PORTS, {"loadbalancer.openstack.org/subnet-id": subnet}, **DUAL)
    env.drive("lone")
    (lb,) = env.lbs()
    assert lb["vip_subnet_id"] == subnet and lb["additional_vips"] == []
    (message,) = [m for _, r, m in env.events("lone") if r == REASON]
    assert message.endswith(f"only IPv4 is served: the VIP network {network} has no IPv6 subnet")


def _subnet(env: Env, name: str) -> str:
    return next(s["id"] for s in env.sim.control.state()["network"]["subnets"] if s["name"] == name)


def _v4_only_network(env: Env) -> tuple[str, str]:
    """A second private network with one IPv4 subnet, routed to the public network like the first."""
    conn = env.sim.connect("sim")
    network = conn.network.create_network(name=f"v4only-{env.run}")
    subnet = conn.network.create_subnet(network_id=network.id, ip_version=4, cidr="10.9.0.0/24")
    router = conn.network.find_router("router1", ignore_missing=False)
    conn.network.add_interface_to_router(router, subnet_id=subnet.id)
    return network.id, subnet.id


def _calls(env: Env, name: str) -> dict[str, int]:
    env.sim.control.clear_counts()
    env.drive(name)
    return {route: n for route, n in env.sim.control.counts().items() if n}


def test_dual_stack_costs_the_same_writes_and_a_few_reads(dual_env: EnvFactory) -> None:
    """The figures of the README: OpenStack calls from creation to ready, single vs dual stack."""
    env = dual_env()
    _nodes(env)
    env.create_service("zero", PORTS, ipFamilyPolicy="SingleStack", ipFamilies=["IPv4"])
    env.drive("zero")  # the first run authenticates and reads Octavia's versions
    env.create_service("one", PORTS, ipFamilyPolicy="SingleStack", ipFamilies=["IPv4"])
    single = _calls(env, "one")
    env.create_service("two", PORTS, **DUAL)
    dual = _calls(env, "two")
    print(f"\nsingle: {sum(single.values())} {single}\ndual: {sum(dual.values())} {dual}")

    def writes(calls: dict[str, int]) -> dict[str, int]:
        return {r: n for r, n in calls.items() if not r.startswith(("GET", "HEAD"))}

    assert writes(dual) == writes(single)  # one fully populated create, one floating IP
    extra = sum(dual.values()) - sum(single.values())
    # one subnet GET and one subnet list per reconcile run (the VIP network's other family, shared by the
    # members; an existing load balancer names its own VIPs); no other call is added
    subnet_calls = ("GET /networking/v2.0/subnets/{id}", "GET /networking/v2.0/subnets")
    assert {r for r in dual if r not in single} == set(subnet_calls)
    assert dual[subnet_calls[0]] == dual[subnet_calls[1]] and extra >= 4
    assert {r: n for r, n in dual.items() if r not in subnet_calls and not r.endswith("/{id}")} == {
        r: n for r, n in single.items() if not r.endswith("/{id}")
    }
