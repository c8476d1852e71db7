"""Service + Nodes → members: node-selector, IP family, nodePort 0, member subnet."""

from __future__ import annotations

from octavia_lb.common.model import Discovered
from tests.unit_model.helpers import build, nodes, service

MEMBERS = "11111111-1111-4111-8111-111111111111"


def _members(got):
    return [(m.name, m.address, m.protocol_port, m.subnet_id) for m in got.listeners[0].pool.members]


def test_node_selector_annotation() -> None:
    got = build(
        service({"node-selector": "zone=a,gpu"}),
        nodes("n1=10.0.0.1;zone=a;gpu=yes", "n2=10.0.0.2;zone=b;gpu=yes", "n3=10.0.0.3;zone=a"),
    )
    assert [m[0] for m in _members(got)] == ["n1"]


def test_node_selector_from_config_and_empty_annotation_overrides() -> None:
    node_list = nodes("n1=10.0.0.1;zone=a", "n2=10.0.0.2")
    assert [m[0] for m in _members(build(node_list=node_list, conf="node-selector = zone=a\n"))] == ["n1"]
    got = build(service({"node-selector": ""}), node_list, conf="node-selector = zone=a\n")
    assert [m[0] for m in _members(got)] == ["n1", "n2"]


def test_ipv6_family_picks_ipv6_addresses() -> None:
    got = build(service(ipFamilies=["IPv6"]), nodes("n1=10.0.0.1,fd00::1", "n2=10.0.0.2"))
    assert _members(got) == [("n1", "fd00::1", 30080, "vip-subnet")]


def test_node_port_zero_means_no_members() -> None:
    got = build(service(ports=[{"port": 80, "nodePort": 0}]))
    assert _members(got) == []


def test_no_ip_families_takes_each_nodes_first_internal_ip_of_any_family() -> None:
    """A Service without spec.ipFamilies (1.20 without dual-stack, lint input): OCCM's nodeAddressForLB with
    no family, so an IPv6-only node still gets a member."""
    got = build(service(), nodes("n1=10.0.0.1,fd00::1", "n2=fd00::2"))
    assert [(m[0], m[1]) for m in _members(got)] == [("n1", "10.0.0.1"), ("n2", "fd00::2")]
    four = build(service(ipFamilies=["IPv4"]), nodes("n1=10.0.0.1,fd00::1", "n2=fd00::2"))
    assert [(m[0], m[1]) for m in _members(four)] == [("n1", "10.0.0.1")]


def test_members_go_to_cloud_conf_subnet_even_when_the_vip_goes_elsewhere() -> None:
    """OCCM: member-subnet-id, else cloud.conf subnet-id, else the VIP subnet (annotation or class)."""
    vip = "22222222-2222-4222-8222-222222222222"
    got = build(service({"subnet-id": vip}))
    assert got.load_balancer.vip_subnet_id == vip
    assert _members(got)[0][3] == "vip-subnet"  # cloud.conf subnet-id
    klass = '[LoadBalancerClass "gold"]\nfloating-network-id = g\nsubnet-id = gold-vip\n'
    got = build(service({"class": "gold"}), conf=klass)
    assert (got.load_balancer.vip_subnet_id, _members(got)[0][3]) == ("gold-vip", "vip-subnet")
    no_default = "[LoadBalancer]\nfloating-network-id = public-net\n"
    got = build(service({"subnet-id": vip}), base=no_default)
    assert _members(got)[0][3] == vip  # no cloud.conf subnet-id: members follow the VIP
    got = build(service({"subnet-id": vip, "member-subnet-id": MEMBERS}))
    assert _members(got)[0][3] == MEMBERS


def test_member_subnet_annotation_wins() -> None:
    got = build(service({"member-subnet-id": MEMBERS}))
    assert _members(got) == [("n1", "10.0.0.1", 30080, MEMBERS)]


def test_autodetected_vip_subnet_is_used_for_vip_and_members() -> None:
    got = build(
        base="[LoadBalancer]\nfloating-network-id = public-net\n",
        discovered=Discovered(vip_subnet_id="found"),
    )
    assert got.load_balancer.vip_subnet_id == "found"
    assert _members(got)[0][3] == "found"
