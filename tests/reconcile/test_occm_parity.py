"""Behaviours where OCCM's code decides (issue 10's audit), end to end: the real reconcile, kube-apiserver,
Redis and the OpenStack simulator through openstacksdk."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.reconcile.conftest import ports
from tests.reconcile.test_more_features import (
    INTERNAL,
    A,
    _add_subnet,
    _fips_on,
    _in,
    _ingress_ip,
    _lb,
    _members,
)
from tests.reconcile.test_security_groups import _add_node_with_port, _group, _ingress, _rules


@contextmanager
def no_external_network(env) -> Iterator[None]:
    """The public network stops being router:external, so floating-network autodetection finds nothing."""
    conn = env.sim.connect()
    conn.network.update_network(env.ids.public_network, is_router_external=False)
    try:
        yield
    finally:
        conn.network.update_network(env.ids.public_network, is_router_external=True)


def _free_fip(env) -> dict[str, Any]:
    made = env.sim.connect().network.create_ip(floating_network_id=env.ids.public_network)
    (stored,) = [f for f in env.fips() if f["id"] == made.id]
    assert stored["port_id"] is None
    return stored


# ---- forced internal (no floating network) --------------------------------------------------------
def test_forced_internal_attaches_a_free_floating_ip_named_by_load_balancer_ip(reconcile_env):
    """OCCM sends no vip_address from spec.loadBalancerIP for an external Service (forced internal or not),
    then attaches an existing unattached floating IP with that address, and says nothing about forcing."""
    env = reconcile_env(floating_network_id="")
    fip = _free_fip(env)
    env.add_node("a", "10.0.0.201")
    with no_external_network(env):
        env.create_service("fixed", ports(80), loadBalancerIP=fip["floating_ip_address"])
        env.drive("fixed")
    lb = _lb(env, "fixed")
    assert lb["vip_address"] != fip["floating_ip_address"]
    assert _in("10.0.0.0/24", lb["vip_address"]), "the VIP comes from the private subnet"
    assert [f["id"] for f in _fips_on(env, lb)] == [fip["id"]]
    assert _ingress_ip(env, "fixed") == fip["floating_ip_address"]
    assert "LoadBalancerForcedInternal" not in env.reasons("fixed")
    assert env.reasons("fixed")[-1] == "EnsuredLoadBalancer"


def test_forced_internal_keeps_the_floating_ip_already_on_the_vip_port(reconcile_env):
    """The floating network goes away after the floating IP was made: OCCM keeps serving it."""
    env = reconcile_env(floating_network_id="")
    env.add_node("a", "10.0.0.202")
    env.create_service("web", ports(80), {A + "floating-network-id": env.ids.public_network})
    env.drive("web")
    lb = _lb(env, "web")
    (fip,) = _fips_on(env, lb)
    with no_external_network(env):
        env.patch_service("web", {"metadata": {"annotations": {A + "floating-network-id": None}}})
        env.drive("web")
    assert [f["id"] for f in _fips_on(env, _lb(env, "web"))] == [fip["id"]]
    assert _ingress_ip(env, "web") == fip["floating_ip_address"]


def test_forced_internal_without_a_floating_ip_serves_the_vip_with_the_warning(reconcile_env):
    env = reconcile_env(floating_network_id="")
    env.add_node("a", "10.0.0.203")
    with no_external_network(env):
        env.create_service("plain", ports(80), loadBalancerIP="10.0.0.77")
        env.drive("plain")
    lb = _lb(env, "plain")
    assert lb["vip_address"] != "10.0.0.77", "loadBalancerIP names a floating IP, never the VIP"
    assert _fips_on(env, lb) == [] and _ingress_ip(env, "plain") == lb["vip_address"]
    assert "LoadBalancerForcedInternal" in env.reasons("plain")


# ---- members' subnet ----------------------------------------------------------------------------
def test_members_stay_on_cloud_conf_subnet_when_the_vip_goes_to_the_annotations_subnet(reconcile_env):
    env = reconcile_env()  # cloud.conf subnet-id = the private subnet
    vip_subnet = _add_subnet(env, env.ids.private_network, "10.0.9.0/24")
    env.add_node("a", "10.0.0.204")
    # internal: the new subnet has no router to the floating network
    internal = {A + "subnet-id": vip_subnet.id, INTERNAL: "true"}
    env.create_service("split", ports(80), internal)
    env.drive("split")
    lb = _lb(env, "split")
    assert lb["vip_subnet_id"] == vip_subnet.id and _in("10.0.9.0/24", lb["vip_address"])
    assert _members(env, lb) == [{"address": "10.0.0.204", "subnet_id": env.ids.private_subnet}]


# ---- security group: the health-check NodePort whatever the monitor -------------------------------
def test_health_check_node_port_is_opened_without_an_http_monitor(reconcile_env):
    """externalTrafficPolicy Local with no health monitor at all: OCCM still opens healthCheckNodePort."""
    env = reconcile_env(manage_security_groups="true")
    _add_node_with_port(env, "a")
    env.create_service(
        "local", ports(80), {A + "enable-health-monitor": "false"}, externalTrafficPolicy="Local"
    )
    env.drive("local")
    service = env.service("local")
    health = service.spec.health_check_node_port
    assert health, "the API server allocates a health-check NodePort for Local"
    group = _group(env, "local")
    assert group is not None
    assert _rules(env, group) == {_ingress("tcp", service.spec.ports[0].node_port), _ingress("tcp", health)}


# ---- a Service without spec.ipFamilies ------------------------------------------------------------
def test_service_without_ip_families_gets_an_ipv6_only_node_as_member(reconcile_env):
    """The 1.20 API server without dual-stack stores no spec.ipFamilies; OCCM then takes each node's first
    InternalIP of any family, so an IPv6-only node is a member too."""
    env = reconcile_env()
    env.add_node("v4", "10.0.0.206")
    six = f"fd00::{uuid.uuid4().int % 0xFFFF:x}"
    env.add_node("v6", six)
    env.create_service("any", ports(80))
    assert not env.service("any").spec.ip_families, "this API server keeps no ipFamilies"
    env.drive("any")
    addresses = sorted(m["address"] for m in _members(env, _lb(env, "any")))
    assert addresses == sorted(["10.0.0.206", six])


# ---- an IPv6 VIP: no floating IP, OCCM's Warning naming the address -------------------------------
def test_ipv6_vip_skips_the_floating_ip_and_names_the_address(reconcile_env):
    """OCCM looks at the VIP it got, not at spec.ipFamilies (which this API server does not keep): a VIP on
    an IPv6 subnet gets no floating IP and a LoadBalancerFloatingIPSkipped Warning ending with it."""
    env = reconcile_env()
    name = f"v6-{uuid.uuid4().hex[:6]}"
    six = env.sim.connect().network.create_subnet(
        network_id=env.ids.private_network, ip_version=6, cidr="fd00:10::/64", name=name
    )
    env.add_node("a", "10.0.0.207")
    # IPv6 source ranges: Octavia refuses the IPv4 default on an IPv6 VIP (for OCCM too)
    env.create_service("six", ports(80), {A + "subnet-id": six.id}, loadBalancerSourceRanges=["::/0"])
    env.drive("six")
    lb = _lb(env, "six")
    assert ":" in lb["vip_address"] and _fips_on(env, lb) == []
    assert _ingress_ip(env, "six") == lb["vip_address"]
    key = f"{env.namespace}/six"
    assert (
        "Warning",
        "LoadBalancerFloatingIPSkipped",
        f"Floating IP not supported for IPv6 Service {key}. Using IPv6 address instead {lb['vip_address']}.",
    ) in env.events("six")
