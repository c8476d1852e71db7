"""Bad input never makes the simulator answer 500, and the same random seed gives the same cloud."""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from octavia_lb_devkit.sim.state import SimConfig

from tests.sim.helpers import lb_url, net_url, private_subnet, wait_active

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FIELDS = {
    "loadbalancer": [
        "vip_subnet_id",
        "vip_address",
        "name",
        "tags",
        "listeners",
        "pools",
        "flavor_id",
        "provider",
    ],
    "listener": [
        "loadbalancer_id",
        "protocol",
        "protocol_port",
        "allowed_cidrs",
        "insert_headers",
        "timeout_client_data",
        "default_pool",
    ],
    "pool": ["listener_id", "loadbalancer_id", "protocol", "lb_algorithm", "session_persistence", "members"],
    "healthmonitor": ["pool_id", "type", "delay", "timeout", "max_retries", "expected_codes", "url_path"],
    "subnet": ["network_id", "ip_version", "cidr", "allocation_pools", "gateway_ip"],
    "port": ["network_id", "fixed_ips", "security_groups"],
    "floatingip": ["floating_network_id", "port_id", "fixed_ip_address", "subnet_id"],
}
PATHS = {
    "loadbalancer": "/lbaas/loadbalancers",
    "listener": "/lbaas/listeners",
    "pool": "/lbaas/pools",
    "healthmonitor": "/lbaas/healthmonitors",
    "subnet": "/subnets",
    "port": "/ports",
    "floatingip": "/floatingips",
}


def test_random_bodies_get_client_errors_not_500(sim):
    conn = sim.connect("sim")
    headers = {"X-Auth-Token": conn.session.get_token()}
    lb = conn.load_balancer.create_load_balancer(vip_subnet_id=private_subnet(conn).id)
    wait_active(conn, lb.id)
    real_ids = st.sampled_from(
        [lb.id, private_subnet(conn).id, private_subnet(conn).network_id, "not-a-uuid"]
    )

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        st.sampled_from(sorted(FIELDS)).flatmap(
            lambda key: st.tuples(
                st.just(key), st.dictionaries(st.sampled_from(FIELDS[key]), JSON | real_ids, max_size=5)
            )
        )
    )
    def check(case):
        key, fields = case
        url = (
            lb_url(sim.url, PATHS[key])
            if key in ("loadbalancer", "listener", "pool", "healthmonitor")
            else net_url(sim.url, PATHS[key])
        )
        response = httpx.post(url, json={key: fields}, headers=headers, timeout=10)
        assert response.status_code < 500, (key, fields, response.text)

    check()
    assert sim.control.internal_errors() == []


def test_same_random_seed_gives_the_same_ids_and_timings(start_openstack_sim):
    runs = []
    for _ in range(2):
        handle = start_openstack_sim(SimConfig(random_seed=42, delays={"lb_create": [5, 50]}))
        conn = handle.connect()
        made = conn.load_balancer.create_load_balancer(vip_subnet_id=private_subnet(conn).id)
        handle.control.advance(5)
        before = conn.load_balancer.get_load_balancer(made.id).provisioning_status
        handle.control.advance(45)
        runs.append((made.id, made.vip_port_id, before))
        assert conn.load_balancer.get_load_balancer(made.id).provisioning_status == "ACTIVE"
    assert runs[0] == runs[1]


def test_malformed_json_is_400(sim):
    conn = sim.connect("sim")
    response = httpx.post(
        lb_url(sim.url, "/lbaas/loadbalancers"),
        content=b"{nope",
        headers={"X-Auth-Token": conn.session.get_token(), "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and "Malformed JSON" in response.json()["faultstring"]
