"""Every fault-injection knob of the control API, observed through openstacksdk."""

from __future__ import annotations

import time

import pytest
from octavia_lb_devkit.sim.client import SimControlError
from openstack import exceptions as sdk_exc

from tests.sim.helpers import private_subnet, wait_active

LB_POST = "POST /load-balancer/v2.0/lbaas/loadbalancers"


def test_fail_next_n_calls_of_a_route(conn, sim):
    sim.control.fail_next(LB_POST, 503, count=2, message="octavia is busy")
    subnet = private_subnet(conn)
    for _ in range(2):
        with pytest.raises(sdk_exc.HttpException, match="octavia is busy") as caught:
            conn.load_balancer.create_load_balancer(vip_subnet_id=subnet.id)
        assert caught.value.status_code == 503
    assert conn.load_balancer.create_load_balancer(vip_subnet_id=subnet.id).id
    assert sim.control.counts()[LB_POST] == 3
    assert sim.control.faults()["rules"] == []


def test_fail_next_rejects_unknown_routes(sim):
    with pytest.raises(SimControlError, match="names no route"):
        sim.control.fail_next("POST /load-balancer/v2.0/lbaas/nothing", 500)


def test_error_rate(conn, sim):
    conn.session.get_token()  # the rate applies to every service, Keystone included
    sim.control.error_rate(1.0, [500])
    with pytest.raises(sdk_exc.HttpException, match="Injected random fault 500"):
        list(conn.network.networks())
    sim.control.error_rate(0.0)
    assert len(list(conn.network.networks())) == 2


def test_added_latency(conn, sim):
    list(conn.network.networks())
    started = time.monotonic()
    list(conn.network.networks())
    fast = time.monotonic() - started
    sim.control.latency(0.3)
    started = time.monotonic()
    list(conn.network.networks())
    assert time.monotonic() - started >= 0.3 > fast


def test_next_build_goes_to_error_and_can_be_deleted(conn, sim):
    sim.control.error_builds(1)
    made = conn.load_balancer.create_load_balancer(vip_subnet_id=private_subnet(conn).id)
    with pytest.raises(sdk_exc.ResourceFailure):
        wait_active(conn, made.id)
    broken = conn.load_balancer.get_load_balancer(made.id)
    assert (broken.provisioning_status, broken.operating_status) == ("ERROR", "ERROR")
    conn.load_balancer.delete_load_balancer(made)  # ERROR load balancers can be deleted
    conn.load_balancer.wait_for_delete(broken, interval=0.05, wait=20)
    second = conn.load_balancer.create_load_balancer(vip_subnet_id=private_subnet(conn).id)
    assert wait_active(conn, second.id).provisioning_status == "ACTIVE"  # only the next build failed


def test_delays_and_clock_advance(conn, sim):
    sim.control.set_delays(lb_create=3600)
    made = conn.load_balancer.create_load_balancer(vip_subnet_id=private_subnet(conn).id)
    time.sleep(0.3)
    assert conn.load_balancer.get_load_balancer(made.id).provisioning_status == "PENDING_CREATE"
    assert sim.control.advance(3600) >= 1
    assert conn.load_balancer.get_load_balancer(made.id).provisioning_status == "ACTIVE"


def test_bad_delay_names_are_rejected(sim):
    with pytest.raises(SimControlError, match="delays: unknown operation 'lb_build'"):
        sim.control.set_delays(lb_build=1)


def test_seed_from_yaml_and_state_dump(conn, sim):
    seeded = sim.control.seed(
        yaml_text="networks:\n  - name: extra\n    subnets:\n"
        "      - {name: extra-subnet, ip_version: 4, cidr: 10.20.0.0/24}\n"
    )
    assert seeded["networks"] == 1
    assert conn.network.find_network("extra") is not None
    state = sim.control.state()
    assert {n["name"] for n in state["network"]["networks"]} == {"public", "private", "extra"}
    sim.control.reset()
    assert conn.network.find_network("extra") is None


def test_clear_faults(conn, sim):
    sim.control.fail_next(LB_POST, 500, count=5)
    sim.control.latency(1.0)
    sim.control.error_builds(2)
    sim.control.clear_faults()
    assert sim.control.faults() == {
        "rules": [],
        "error_rate": 0.0,
        "error_statuses": [500, 503],
        "latency": 0.0,
        "error_builds": 0,
    }
    assert conn.load_balancer.create_load_balancer(vip_subnet_id=private_subnet(conn).id).id
