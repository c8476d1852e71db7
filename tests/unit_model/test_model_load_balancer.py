"""Service → load balancer and floating IP: placement, flavor, zone, internal, loadBalancerIP, IPv6, class."""

from __future__ import annotations

from octavia_lb.common.model import Discovered, Features, Reason
from octavia_lb.common.options import FloatingSubnetSpec
from tests.unit_model.helpers import build, service

CLASSES = (
    '[LoadBalancerClass "gold"]\nfloating-network-id = gold-net\nfloating-subnet = gold-*\n'
    "subnet-id = gold-vip\n"
)


def test_internal_has_no_floating_ip_and_uses_load_balancer_ip_as_vip() -> None:
    got = build(
        service(
            {"service.beta.kubernetes.io/openstack-internal-load-balancer": "true"},
            loadBalancerIP="10.0.0.50",
        )
    )
    assert got.internal and got.floating_ip is None
    assert got.load_balancer.vip_address == "10.0.0.50"


def test_external_load_balancer_ip_is_a_floating_ip_wish() -> None:
    got = build(service(loadBalancerIP="172.24.4.50"))
    assert got.load_balancer.vip_address is None
    assert got.floating_ip is not None and got.floating_ip.address == "172.24.4.50"


def test_config_internal_lb_forces_internal() -> None:
    assert build(conf="internal-lb = true\n").internal


def test_no_floating_network_forces_internal_with_warning() -> None:
    """OCCM's forced-internal Service stays external in every other way: no vip_address from
    loadBalancerIP, and a floating IP wish that may only keep or attach an existing one (no network)."""
    got = build(service(loadBalancerIP="172.24.4.50"), base="[LoadBalancer]\nsubnet-id = s\n")
    assert not got.internal
    assert got.load_balancer.vip_address is None
    assert got.floating_ip is not None
    assert (got.floating_ip.network_id, got.floating_ip.address) == ("", "172.24.4.50")
    assert [n.reason for n in got.notices] == [Reason.FORCED_INTERNAL]


def test_failed_floating_network_search_is_reported_before_forcing_internal() -> None:
    searched = Discovered(floating_network_search="no router:external network found")
    got = build(base="[LoadBalancer]\nsubnet-id = s\n", discovered=searched)
    assert not got.internal and got.floating_ip is not None and got.floating_ip.network_id == ""
    assert [n.reason for n in got.notices] == [Reason.EXTERNAL_NETWORK_SEARCH_FAILED, Reason.FORCED_INTERNAL]
    assert got.notices[0].message.startswith("Failed to find floating-network-id for Service ")
    assert got.notices[0].message.endswith(": no router:external network found")


def test_autodetected_floating_network() -> None:
    got = build(base="[LoadBalancer]\nsubnet-id = s\n", discovered=Discovered(floating_network_id="ext"))
    assert got.floating_ip is not None and got.floating_ip.network_id == "ext"


def test_ipv6_skips_floating_ip() -> None:
    got = build(service(ipFamilies=["IPv6"]))
    assert got.floating_ip is None
    assert not got.internal, "an external IPv6 Service is not internal (it may share a load balancer)"
    assert got.notices == (), "LoadBalancerFloatingIPSkipped comes from the worker, with the VIP address"


def test_class_wins_for_external_placement() -> None:
    got = build(service({"class": "gold", "subnet-id": "11111111-1111-4111-8111-111111111111"}), conf=CLASSES)
    assert got.load_balancer.vip_subnet_id == "gold-vip"
    assert got.floating_ip is not None
    assert (got.floating_ip.network_id, got.floating_ip.subnet) == (
        "gold-net",
        FloatingSubnetSpec(pattern="gold-*"),
    )


def test_port_id_replaces_subnet_and_network() -> None:
    lb = build(service({"port-id": "22222222-2222-4222-8222-222222222222"})).load_balancer
    assert (lb.vip_port_id, lb.vip_subnet_id, lb.vip_network_id) == (
        "22222222-2222-4222-8222-222222222222",
        None,
        None,
    )


def test_flavor_and_zone() -> None:
    lb = build(
        service({"flavor-id": "33333333-3333-4333-8333-333333333333", "availability-zone": "az1"})
    ).load_balancer
    assert (lb.flavor_id, lb.availability_zone) == ("33333333-3333-4333-8333-333333333333", "az1")


def test_zone_before_2_14_is_dropped_with_warning() -> None:
    got = build(service({"availability-zone": "az1"}), features=Features(version=(2, 13)))
    assert got.load_balancer.availability_zone is None
    assert [n.reason for n in got.notices] == [Reason.ZONES_IGNORED]


def test_status_policy_hostname_and_proxy() -> None:
    assert build(service({"hostname": "lb.example.com"})).status.ingress("1.2.3.4") == [
        {"hostname": "lb.example.com"}
    ]
    proxy = build(service({"proxy-protocol": "true"}), conf="enable-ingress-hostname = true\n")
    assert proxy.status.ingress("1.2.3.4") == [{"hostname": "1.2.3.4.nip.io"}]
    assert build(service({"proxy-protocol": "true"})).status.ingress("1.2.3.4") == [
        {"ip": "1.2.3.4", "ipMode": "Proxy"}
    ]
    assert build().status.ingress("1.2.3.4") == [{"ip": "1.2.3.4", "ipMode": "VIP"}]


def test_shared_id_and_keep() -> None:
    got = build(
        service({"load-balancer-id": "5f0c4d4e-8d4b-4c6f-9e21-5a7b0c3d4e5f", "keep-floatingip": "true"})
    )
    assert (got.shared_id, got.keep_floatingip) == ("5f0c4d4e-8d4b-4c6f-9e21-5a7b0c3d4e5f", True)
