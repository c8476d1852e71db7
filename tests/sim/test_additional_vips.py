"""Octavia 2.26 `additional_vips` in the simulator: a dual-stack VIP port, Octavia's multi-VIP validation,
listener CIDRs checked against every VIP, and the version gate of an older Octavia."""

from __future__ import annotations

import ipaddress

import pytest
from octavia_lb_devkit.sim.octavia.versions import ApiVersion
from octavia_lb_devkit.sim.state import SimConfig
from openstack import exceptions as sdk_exc

from tests.sim.helpers import lb_url, private_subnet, raw, wait_active


def v6_subnet(conn):
    return conn.network.find_subnet("private-subnet-v6", ignore_missing=False)


def test_private_network_has_an_ipv6_subnet(conn):
    v4, v6 = private_subnet(conn), v6_subnet(conn)
    assert v6.network_id == v4.network_id and v6.ip_version == 6 and v6.cidr == "fd00:20::/64"
    assert [s.id for s in conn.network.subnets(network_id=v4.network_id, ip_version=6)] == [v6.id]


def test_additional_vip_is_a_second_address_on_the_vip_port(conn):
    v4, v6 = private_subnet(conn), v6_subnet(conn)
    made = conn.load_balancer.create_load_balancer(
        name="ds", vip_subnet_id=v4.id, additional_vips=[{"subnet_id": v6.id}]
    )
    assert ipaddress.ip_address(made.vip_address).version == 4
    (extra,) = made.additional_vips
    assert extra["subnet_id"] == v6.id and extra["port_id"] == made.vip_port_id
    assert ipaddress.ip_address(extra["ip_address"]) in ipaddress.ip_network("fd00:20::/64")
    port = conn.network.get_port(made.vip_port_id)
    assert [(ip["subnet_id"], ip["ip_address"]) for ip in port.fixed_ips] == [
        (v4.id, made.vip_address),
        (v6.id, extra["ip_address"]),
    ]
    active = wait_active(conn, made.id)
    assert active.additional_vips == made.additional_vips  # GET shows them too


def test_additional_vip_with_a_chosen_address_and_an_ipv6_primary(conn):
    v4, v6 = private_subnet(conn), v6_subnet(conn)
    made = conn.load_balancer.create_load_balancer(
        vip_subnet_id=v6.id, additional_vips=[{"subnet_id": v4.id, "ip_address": "10.0.0.77"}]
    )
    assert ":" in made.vip_address
    assert [(v["subnet_id"], v["ip_address"]) for v in made.additional_vips] == [(v4.id, "10.0.0.77")]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "same-subnet",
            "Validation failure: Duplicate VIP subnet(s) specified. Only one IP can be bound per subnet.",
        ),
        ("public", "Validation failure: All VIP subnets must belong to the same network."),
        ("no-id", "Invalid input for field/attribute subnet_id. Value: 'None'. Mandatory field missing."),
        ("not-uuid", "Invalid input for field/attribute subnet_id. Value: 'v6'. Value should be UUID format"),
    ],
)
def test_octavia_multi_vip_validation(conn, sim, extra, message):
    v4 = private_subnet(conn)
    public = conn.network.find_subnet("public-subnet-v6", ignore_missing=False)
    spec = {
        "same-subnet": {"subnet_id": v4.id},
        "public": {"subnet_id": public.id},
        "no-id": {"ip_address": "fd00:20::5"},
        "not-uuid": {"subnet_id": "v6"},
    }[extra]
    before = len(list(conn.network.ports()))
    body = {"loadbalancer": {"vip_subnet_id": v4.id, "additional_vips": [spec]}}
    response = raw(conn, "POST", lb_url(sim.url, "/lbaas/loadbalancers"), body)
    assert response.status_code == 400 and response.json()["faultstring"] == message
    assert len(list(conn.network.ports())) == before  # no VIP port left behind


def test_listener_cidrs_may_use_any_vip_family(conn):
    v4, v6 = private_subnet(conn), v6_subnet(conn)
    single = wait_active(conn, conn.load_balancer.create_load_balancer(vip_subnet_id=v4.id).id)
    with pytest.raises(sdk_exc.BadRequestException, match="CIDR ::/0 IP version incompatible with all VIPs"):
        conn.load_balancer.create_listener(
            loadbalancer_id=single.id, protocol="TCP", protocol_port=80, allowed_cidrs=["::/0"]
        )
    dual = conn.load_balancer.create_load_balancer(
        vip_subnet_id=v4.id, additional_vips=[{"subnet_id": v6.id}]
    )
    wait_active(conn, dual.id)
    listener = conn.load_balancer.create_listener(
        loadbalancer_id=dual.id, protocol="TCP", protocol_port=80, allowed_cidrs=["0.0.0.0/0", "::/0"]
    )
    assert sorted(listener.allowed_cidrs) == ["0.0.0.0/0", "::/0"]


def test_one_pool_holds_members_of_both_families(conn):
    """Octavia binds each listener on every VIP and checks no member family, so one pool serves both."""
    v4, v6 = private_subnet(conn), v6_subnet(conn)
    body = {
        "vip_subnet_id": v4.id,
        "additional_vips": [{"subnet_id": v6.id}],
        "listeners": [
            {
                "name": "l80",
                "protocol": "TCP",
                "protocol_port": 80,
                "default_pool": {
                    "name": "p80",
                    "protocol": "TCP",
                    "lb_algorithm": "ROUND_ROBIN",
                    "members": [
                        {"address": "10.0.0.11", "protocol_port": 30080, "subnet_id": v4.id},
                        {"address": "fd00:10::11", "protocol_port": 30080, "subnet_id": v6.id},
                    ],
                },
            }
        ],
    }
    made = conn.load_balancer.create_load_balancer(**body)
    wait_active(conn, made.id)
    (pool,) = conn.load_balancer.pools(loadbalancer_id=made.id)
    assert sorted(m.address for m in conn.load_balancer.members(pool.id)) == ["10.0.0.11", "fd00:10::11"]


def test_octavia_before_2_26_refuses_additional_vips(start_openstack_sim):
    old = start_openstack_sim(SimConfig(max_api_version=ApiVersion.parse("2.25")))
    conn = old.connect()
    body = {
        "loadbalancer": {
            "vip_subnet_id": private_subnet(conn).id,
            "additional_vips": [{"subnet_id": v6_subnet(conn).id}],
        }
    }
    response = raw(conn, "POST", lb_url(old.url, "/lbaas/loadbalancers"), body)
    assert response.status_code == 400 and "additional_vips" in response.json()["faultstring"]
    assert old.control.internal_errors() == []


def test_a_given_dual_stack_port_brings_its_own_additional_vip(conn):
    """Octavia uses a given VIP port as it is (allocate_vip) and makes its other fixed IPs the additional
    VIPs (_port_to_vip)."""
    v4, v6 = private_subnet(conn), v6_subnet(conn)
    port = conn.network.create_port(
        network_id=v4.network_id, fixed_ips=[{"subnet_id": v4.id}, {"subnet_id": v6.id}]
    )
    made = conn.load_balancer.create_load_balancer(vip_port_id=port.id)
    assert made.vip_address == port.fixed_ips[0]["ip_address"]
    assert made.additional_vips == [
        {"subnet_id": v6.id, "ip_address": port.fixed_ips[1]["ip_address"], "port_id": port.id}
    ]
