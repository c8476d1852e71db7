"""Octavia load balancers through openstacksdk: the state machine, both 409s, full create, cascade delete."""

from __future__ import annotations

import pytest
from openstack import exceptions as sdk_exc

from tests.sim.helpers import lb_url, private_subnet, raw, wait_active


def test_create_is_pending_then_active_with_vip_port(conn):
    subnet = private_subnet(conn)
    made = conn.load_balancer.create_load_balancer(name="lb1", vip_subnet_id=subnet.id, tags=["k8s"])
    assert (made.provisioning_status, made.operating_status) == ("PENDING_CREATE", "OFFLINE")
    assert made.vip_subnet_id == subnet.id and made.vip_network_id == subnet.network_id
    assert made.provider == "amphora" and made.tags == ["k8s"] and made.description == ""
    port = conn.network.get_port(made.vip_port_id)
    assert port.name == f"octavia-lb-{made.id}" and port.device_owner == "Octavia"
    assert port.fixed_ips[0]["ip_address"] == made.vip_address
    active = wait_active(conn, made.id)
    assert (active.provisioning_status, active.operating_status) == ("ACTIVE", "ONLINE")


def test_vip_by_network_and_by_address(conn):
    subnet = private_subnet(conn)
    by_net = conn.load_balancer.create_load_balancer(vip_network_id=subnet.network_id)
    assert by_net.vip_subnet_id == subnet.id
    fixed = conn.load_balancer.create_load_balancer(vip_subnet_id=subnet.id, vip_address="10.0.0.50")
    assert fixed.vip_address == "10.0.0.50"
    with pytest.raises(sdk_exc.ConflictException, match="The VIP IP address is already in use"):
        conn.load_balancer.create_load_balancer(vip_subnet_id=subnet.id, vip_address="10.0.0.50")


def test_missing_vip_and_unknown_subnet_are_400(conn, sim):
    response = raw(conn, "POST", lb_url(sim.url, "/lbaas/loadbalancers"), {"loadbalancer": {"name": "x"}})
    assert response.status_code == 400
    assert response.json() == {
        "faultcode": "Client",
        "debuginfo": None,
        "faultstring": "Validation failure: VIP must contain one of: "
        "vip_port_id, vip_network_id, vip_subnet_id.",
    }
    missing = "7f0d3f5e-0000-4000-8000-000000000000"
    with pytest.raises(sdk_exc.BadRequestException, match=f"Subnet {missing} not found"):
        conn.load_balancer.create_load_balancer(vip_subnet_id=missing)


def test_pending_load_balancer_rejects_writes_with_both_409s(conn, sim):
    made = conn.load_balancer.create_load_balancer(vip_subnet_id=private_subnet(conn).id)
    with pytest.raises(sdk_exc.ConflictException, match=f"Load Balancer {made.id} is immutable"):
        conn.load_balancer.create_listener(loadbalancer_id=made.id, protocol="HTTP", protocol_port=80)
    response = raw(
        conn, "PUT", lb_url(sim.url, f"/lbaas/loadbalancers/{made.id}"), {"loadbalancer": {"name": "n"}}
    )
    assert response.status_code == 409
    assert (
        response.json()["faultstring"] == f"Invalid state PENDING_CREATE of loadbalancer resource {made.id}"
    )


def test_update_goes_through_pending_update(conn, lb):
    updated = conn.load_balancer.update_load_balancer(lb, name="renamed", description="d")
    assert updated.provisioning_status == "PENDING_UPDATE" and updated.name == "renamed"
    assert wait_active(conn, lb.id).updated_at is not None


def test_admin_down_is_offline(conn):
    made = conn.load_balancer.create_load_balancer(
        vip_subnet_id=private_subnet(conn).id, admin_state_up=False
    )
    assert wait_active(conn, made.id).operating_status == "OFFLINE"


def test_delete_with_children_needs_cascade(conn, lb, sim):
    conn.load_balancer.create_listener(loadbalancer_id=lb.id, protocol="HTTP", protocol_port=80)
    wait_active(conn, lb.id)
    response = raw(conn, "DELETE", lb_url(sim.url, f"/lbaas/loadbalancers/{lb.id}"))
    assert response.status_code == 400
    assert (
        response.json()["faultstring"]
        == f"Validation failure: Cannot delete Load Balancer {lb.id} - it has children"
    )
    vip_port = lb.vip_port_id
    conn.load_balancer.delete_load_balancer(lb, cascade=True)
    assert conn.load_balancer.get_load_balancer(lb.id).provisioning_status == "PENDING_DELETE"
    conn.load_balancer.wait_for_delete(conn.load_balancer.get_load_balancer(lb.id), interval=0.05, wait=20)
    assert list(conn.load_balancer.listeners()) == []
    assert conn.network.find_port(vip_port) is None


def test_fully_populated_create(conn):
    body = {
        "name": "full",
        "vip_subnet_id": private_subnet(conn).id,
        "listeners": [
            {
                "name": "http",
                "protocol": "HTTP",
                "protocol_port": 80,
                "default_pool": {
                    "name": "rr",
                    "protocol": "HTTP",
                    "lb_algorithm": "ROUND_ROBIN",
                    "healthmonitor": {"type": "HTTP", "delay": 3, "timeout": 1, "max_retries": 2},
                    "members": [{"address": "192.0.2.16", "protocol_port": 80}],
                },
            },
            {"name": "tcp", "protocol": "TCP", "protocol_port": 443, "default_pool": {"name": "p443"}},
        ],
        "pools": [
            {
                "name": "p443",
                "protocol": "TCP",
                "lb_algorithm": "ROUND_ROBIN",
                "members": [{"address": "192.0.2.17", "protocol_port": 443}],
            }
        ],
    }
    made = conn.load_balancer.create_load_balancer(**body)
    assert [li["name"] for li in made.listeners] == ["http", "tcp"]
    assert all(li["provisioning_status"] == "PENDING_CREATE" for li in made.listeners)
    pools = {p["name"]: p for p in made.pools}
    assert pools["rr"]["healthmonitor"]["delay"] == 3
    assert made.listeners[1]["default_pool_id"] == pools["p443"]["id"]
    wait_active(conn, made.id)
    members = {m.address: m for p in conn.load_balancer.pools() for m in conn.load_balancer.members(p)}
    assert members["192.0.2.16"].operating_status == "ONLINE"  # its pool has a monitor
    assert members["192.0.2.17"].operating_status == "NO_MONITOR"
    tree = conn.load_balancer.get_load_balancer_statistics(made.id)
    assert tree.bytes_in == 0


@pytest.mark.parametrize(
    "listeners, pools, message",
    [
        (
            [{"protocol": "HTTP", "protocol_port": 80, "default_pool": {"name": "ghost"}}],
            [],
            "Pool 'ghost' was referenced but no full definition was found.",
        ),
        (
            [],
            [
                {"name": "a", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN"},
                {"name": "a", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN"},
            ],
            "Pool names must be unique when creating a fully populated loadbalancer.",
        ),
    ],
    ids=["missing-pool-definition", "duplicate-pool-names"],
)
def test_fully_populated_create_errors_roll_back(conn, listeners, pools, message):
    with pytest.raises(sdk_exc.BadRequestException, match=message):
        conn.load_balancer.create_load_balancer(
            vip_subnet_id=private_subnet(conn).id, listeners=listeners, pools=pools
        )
    assert list(conn.load_balancer.load_balancers()) == []
    assert list(conn.network.ports(device_owner="Octavia")) == []


def test_status_tree_and_failover(conn, lb, sim):
    listener = conn.load_balancer.create_listener(loadbalancer_id=lb.id, protocol="HTTP", protocol_port=80)
    wait_active(conn, lb.id)
    pool = conn.load_balancer.create_pool(
        listener_id=listener.id, protocol="HTTP", lb_algorithm="ROUND_ROBIN"
    )
    wait_active(conn, lb.id)
    tree = raw(conn, "GET", lb_url(sim.url, f"/lbaas/loadbalancers/{lb.id}/status")).json()["statuses"]
    assert tree["loadbalancer"]["listeners"][0]["pools"][0]["id"] == pool.id
    conn.load_balancer.failover_load_balancer(lb.id)
    assert conn.load_balancer.get_load_balancer(lb.id).provisioning_status == "PENDING_UPDATE"
    assert wait_active(conn, lb.id).provisioning_status == "ACTIVE"


def test_member_project_sees_only_its_own(sim, lb):
    demo = sim.connect("sim-demo")
    assert list(demo.load_balancer.load_balancers()) == []
    with pytest.raises(sdk_exc.ForbiddenException):
        demo.load_balancer.get_load_balancer(lb.id)
