"""Dual-stack Services in the builder and planner: an additional VIP (Octavia 2.26+), members of both
families in one pool, default CIDRs of both families, both addresses in the status, and the fallback to
the first family with a Warning Event."""

from __future__ import annotations

import pytest

from octavia_lb.common.model import AdditionalVip, Discovered, Features, Reason, StatusPolicy
from octavia_lb.worker.cloud.observed import OsLoadBalancer
from octavia_lb.worker.plan.floating_ip import shown_addresses
from octavia_lb.worker.plan.load_balancer import load_balancer_body
from tests.unit_model.helpers import build, nodes, service

DUAL = {"ipFamilies": ["IPv4", "IPv6"], "ipFamilyPolicy": "PreferDualStack"}
V6 = Discovered(
    additional_vips=(AdditionalVip("IPv6", "vip-subnet-v6"),),
    member_subnets=(("IPv4", "vip-subnet"), ("IPv6", "member-subnet-v6")),
)
NODES = nodes("n2=10.0.0.2,fd00::2", "n1=10.0.0.1,fd00::1", "n3=10.0.0.3")


def _members(got):
    return [(m.name, m.address, m.subnet_id) for m in got.listeners[0].pool.members]


def test_both_families_served_with_an_additional_vip() -> None:
    got = build(service(**DUAL), NODES, discovered=V6)
    assert got.also_serves == ("IPv6",) and got.ip_family == "IPv4"
    assert got.load_balancer.additional_vip_subnets == ("vip-subnet-v6",)
    assert got.load_balancer.vip_subnet_id == "vip-subnet"
    # one pool per port holding both families (Octavia binds each listener on every VIP); n3 has no IPv6
    assert _members(got) == [
        ("n1", "10.0.0.1", "vip-subnet"),
        ("n1", "fd00::1", "member-subnet-v6"),
        ("n2", "10.0.0.2", "vip-subnet"),
        ("n2", "fd00::2", "member-subnet-v6"),
        ("n3", "10.0.0.3", "vip-subnet"),
    ]
    assert got.listeners[0].allowed_cidrs == ("0.0.0.0/0", "::/0")
    assert got.notices == ()


def test_create_body_carries_additional_vips_only_for_dual_stack() -> None:
    dual = load_balancer_body(build(service(**DUAL), NODES, discovered=V6))
    assert dual["additional_vips"] == [{"subnet_id": "vip-subnet-v6"}]
    assert {m["address"] for m in dual["listeners"][0]["default_pool"]["members"]} == {
        "10.0.0.1", "fd00::1", "10.0.0.2", "fd00::2", "10.0.0.3",
    }
    single = load_balancer_body(build(service(ipFamilies=["IPv4"]), NODES, discovered=V6))
    assert "additional_vips" not in single


def test_ipv6_first_service_serves_ipv4_through_the_additional_vip() -> None:
    # the VIP subnet is IPv6; members' subnet is looked up per family (none found for IPv4 here)
    v4 = Discovered(
        additional_vips=(AdditionalVip("IPv4", "vip-subnet-v4"),), member_subnets=(("IPv6", "v6"),)
    )
    got = build(service(ipFamilies=["IPv6", "IPv4"], ipFamilyPolicy="RequireDualStack"), NODES, discovered=v4)
    assert got.also_serves == ("IPv4",)
    assert _members(got)[:2] == [("n1", "fd00::1", "v6"), ("n1", "10.0.0.1", None)]
    assert got.listeners[0].allowed_cidrs == ("::/0", "0.0.0.0/0")
    assert got.floating_ip is not None  # for its IPv4 VIP; an IPv6-only Service gets none
    assert build(service(ipFamilies=["IPv6"]), NODES).floating_ip is None


def test_shown_addresses_follow_the_family_order() -> None:
    def lb(vip: str, extra: str) -> OsLoadBalancer:
        return OsLoadBalancer.from_api(
            {"id": "x", "vip_address": vip, "additional_vips": [{"subnet_id": "s", "ip_address": extra}]}
        )

    v4_first = build(service(**DUAL), NODES, discovered=V6)
    assert shown_addresses(v4_first, lb("10.0.0.5", "fd00::5"), "203.0.113.5") == ["203.0.113.5", "fd00::5"]
    v6_first = build(
        service(ipFamilies=["IPv6", "IPv4"]),
        NODES,
        discovered=Discovered(additional_vips=(AdditionalVip("IPv4", "s4"),)),
    )
    # the floating IP stands for the IPv4 additional VIP, second in the Service's order
    assert shown_addresses(v6_first, lb("fd00::5", "10.0.0.5"), "203.0.113.5") == ["fd00::5", "203.0.113.5"]
    # an IPv6-first Service whose VIP subnet is IPv4: the IPv6 VIP is the additional one, still shown first
    v6_first_v4_vip = build(service(ipFamilies=["IPv6", "IPv4"]), NODES, discovered=V6)
    assert v6_first_v4_vip.floating_ip is not None
    assert shown_addresses(v6_first_v4_vip, lb("10.0.0.5", "fd00::5"), "203.0.113.5") == [
        "fd00::5",
        "203.0.113.5",
    ]
    single = build(service(ipFamilies=["IPv4"]), NODES)
    assert shown_addresses(single, lb("10.0.0.5", "fd00::5"), "203.0.113.5") == ["203.0.113.5"]


def test_given_source_ranges_are_kept_as_they_are() -> None:
    svc = service(loadBalancerSourceRanges=["192.0.2.0/24", "2001:db8::/64"], **DUAL)
    got = build(svc, NODES, discovered=V6)
    assert got.listeners[0].allowed_cidrs == ("192.0.2.0/24", "2001:db8::/64")
    ann = service({"service.beta.kubernetes.io/load-balancer-source-ranges": "192.0.2.0/24"}, **DUAL)
    assert build(ann, NODES, discovered=V6).listeners[0].allowed_cidrs == ("192.0.2.0/24",)


FALLBACK = "Service shop/web asks for IPv4 and IPv6; only IPv4 is served: "


@pytest.mark.parametrize(
    ("features", "discovered", "why"),
    [
        (
            Features(version=(2, 25)),
            V6,
            "Octavia API 2.25 has no additional VIPs; version 2.26 (Zed) or later is needed",
        ),
        (
            Features(provider="ovn"),
            V6,
            "additional VIPs are not used with the ovn provider (cloud.conf lb-provider = ovn)",
        ),
        (Features(), Discovered(dual_stack_missing="network net-1 of the VIP has no IPv6 subnet"),
         "network net-1 of the VIP has no IPv6 subnet"),
    ],
)
def test_fallback_to_the_first_family_with_a_warning(features, discovered, why) -> None:
    got = build(service(**DUAL), NODES, features=features, discovered=discovered)
    assert got.also_serves == () and got.load_balancer.additional_vip_subnets == ()
    assert [m[1] for m in _members(got)] == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    assert [(n.reason, n.message) for n in got.notices if n.reason is Reason.DUAL_STACK_UNAVAILABLE] == [
        (Reason.DUAL_STACK_UNAVAILABLE, FALLBACK + why)
    ]
    if features.allowed_cidrs:
        assert got.listeners[0].allowed_cidrs == ("0.0.0.0/0",)


def test_single_family_service_is_untouched_by_discovered_vips() -> None:
    plain = build(service(ipFamilies=["IPv4"]), NODES)
    assert build(service(ipFamilies=["IPv4"]), NODES, discovered=V6) == plain
    assert plain.also_serves == () and plain.notices == ()


def test_serial_mode_keeps_the_first_family_and_says_why() -> None:
    got = build(
        service(**DUAL), NODES, conf="provider-requires-serial-api-calls = true\n", discovered=V6
    )
    assert got.also_serves == () and got.load_balancer.additional_vip_subnets == ()
    assert [n.message for n in got.notices] == [
        FALLBACK + "cloud.conf provider-requires-serial-api-calls = true keeps one member per node"
    ]


def test_status_lists_every_address_ipv6_never_as_a_hostname() -> None:
    plain = StatusPolicy(hostname=None, proxy=False, ingress_hostname_suffix=None)
    assert plain.ingress("203.0.113.5", ["fd00::5"]) == [
        {"ip": "203.0.113.5", "ipMode": "VIP"},
        {"ip": "fd00::5", "ipMode": "VIP"},
    ]
    proxied = StatusPolicy(hostname=None, proxy=True, ingress_hostname_suffix="nip.io")
    assert proxied.ingress("203.0.113.5", ["fd00::5"]) == [
        {"hostname": "203.0.113.5.nip.io"},
        {"ip": "fd00::5", "ipMode": "Proxy"},
    ]
    named = StatusPolicy(hostname="lb.example.com", proxy=False, ingress_hostname_suffix=None)
    assert named.ingress("203.0.113.5", ["fd00::5"]) == [{"hostname": "lb.example.com"}]


def test_observed_load_balancer_reads_additional_vips() -> None:
    lb = OsLoadBalancer.from_api(
        {
            "id": "lb-1",
            "vip_address": "10.0.0.5",
            "additional_vips": [{"subnet_id": "s6", "ip_address": "fd00::5", "port_id": "p"}],
        }
    )
    assert lb.additional_vips == (("s6", "fd00::5"),)
    assert (lb.vip_of("IPv4"), lb.vip_of("IPv6")) == ("10.0.0.5", "fd00::5")
    assert OsLoadBalancer.from_api({"id": "lb-2", "vip_address": "10.0.0.6"}).vip_of("IPv6") is None
