"""Octavia listeners, pools, members, health monitors and L7 objects: fields, defaults, rules and 409s."""

from __future__ import annotations

import pytest
from openstack import exceptions as sdk_exc

from tests.sim.helpers import lb_url, raw, wait_active


@pytest.fixture
def listener(conn, lb):
    made = conn.load_balancer.create_listener(loadbalancer_id=lb.id, protocol="HTTP", protocol_port=80)
    wait_active(conn, lb.id)
    return made


@pytest.fixture
def pool(conn, lb, listener):
    made = conn.load_balancer.create_pool(
        listener_id=listener.id, protocol="HTTP", lb_algorithm="ROUND_ROBIN"
    )
    wait_active(conn, lb.id)
    return made


def test_listener_defaults_and_every_field(conn, lb):
    made = conn.load_balancer.create_listener(
        loadbalancer_id=lb.id,
        protocol="HTTP",
        protocol_port=80,
        connection_limit=100,
        allowed_cidrs=["10.1.2.3/16"],
        insert_headers={"X-Forwarded-For": "true"},
        timeout_client_data=1000,
        tags=["a"],
    )
    assert made.allowed_cidrs == ["10.1.0.0/16"]  # normalised
    assert (
        made.timeout_client_data,
        made.timeout_member_connect,
        made.timeout_member_data,
        made.timeout_tcp_inspect,
    ) == (1000, 5000, 50000, 0)
    assert made.insert_headers == {"X-Forwarded-For": "true"} and made.connection_limit == 100
    assert made.load_balancers == [{"id": lb.id}] and made.provisioning_status == "PENDING_CREATE"
    assert conn.load_balancer.get_load_balancer(lb.id).provisioning_status == "PENDING_UPDATE"
    wait_active(conn, lb.id)
    got = conn.load_balancer.get_listener(made.id)
    assert (got.provisioning_status, got.operating_status) == ("ACTIVE", "ONLINE")
    updated = conn.load_balancer.update_listener(made, timeout_client_data=None, name="n")
    assert updated.timeout_client_data == 50000  # null resets to the default


def test_duplicate_listener_port_is_409(conn, listener, lb):
    with pytest.raises(
        sdk_exc.ConflictException,
        match="Another Listener on this Load Balancer is already using protocol TCP and protocol_port 80",
    ):
        conn.load_balancer.create_listener(loadbalancer_id=lb.id, protocol="TCP", protocol_port=80)
    conn.load_balancer.create_listener(loadbalancer_id=lb.id, protocol="UDP", protocol_port=80)


@pytest.mark.parametrize(
    "fields, message",
    [
        (
            {"protocol": "TERMINATED_HTTPS", "protocol_port": 443, "default_tls_container_ref": None},
            "An SNI or default certificate container reference must be provided",
        ),
        (
            {"protocol": "HTTP", "protocol_port": 80, "default_tls_container_ref": "https://barbican/c"},
            "Certificate container references are only allowed on TERMINATED_HTTPS",
        ),
        (
            {"protocol": "TCP", "protocol_port": 80, "insert_headers": {"X-Forwarded-For": "true"}},
            "insert-headers is not a valid option for a TCP protocol listener.",
        ),
        ({"protocol": "HTTP", "protocol_port": 70000}, "Value should be lower or equal to 65535"),
        (
            {"protocol": "HTTP", "protocol_port": 80, "timeout_client_data": 2073600001},
            "Value should be lower or equal to 2073600000",
        ),
        (
            {"protocol": "HTTP", "protocol_port": 80, "allowed_cidrs": ["fd00::/64"]},
            "IP version incompatible with all VIPs",
        ),
        (
            {"protocol": "QUIC", "protocol_port": 80},
            "Invalid input for field/attribute protocol. Value: 'QUIC'",
        ),
        (
            {"protocol_port": 80},
            "Invalid input for field/attribute protocol. Value: 'None'. Mandatory field missing.",
        ),
    ],
    ids=[
        "tls-missing",
        "tls-on-http",
        "headers-on-tcp",
        "port-range",
        "timeout-range",
        "cidr-family",
        "bad-protocol",
        "missing-protocol",
    ],
)
def test_listener_validation_is_400(conn, lb, sim, fields, message):
    response = raw(
        conn, "POST", lb_url(sim.url, "/lbaas/listeners"), {"listener": {"loadbalancer_id": lb.id, **fields}}
    )
    assert response.status_code == 400, response.text
    assert message in response.json()["faultstring"]


def test_terminated_https_gets_tls_defaults(conn, lb):
    made = conn.load_balancer.create_listener(
        loadbalancer_id=lb.id,
        protocol="TERMINATED_HTTPS",
        protocol_port=443,
        default_tls_container_ref="https://barbican/containers/1",
    )
    assert made.tls_versions == ["TLSv1.2", "TLSv1.3"] and made.alpn_protocols == [
        "h2",
        "http/1.1",
        "http/1.0",
    ]


def test_pool_rules(conn, lb, listener, pool, sim):
    assert pool.listeners == [{"id": listener.id}] and pool.loadbalancers == [{"id": lb.id}]
    assert conn.load_balancer.get_listener(listener.id).default_pool_id == pool.id
    with pytest.raises(sdk_exc.ConflictException, match="This listener already has a default pool"):
        conn.load_balancer.create_pool(listener_id=listener.id, protocol="HTTP", lb_algorithm="ROUND_ROBIN")
    response = raw(
        conn,
        "POST",
        lb_url(sim.url, "/lbaas/pools"),
        {"pool": {"protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN"}},
    )
    assert (
        response.json()["faultstring"]
        == "Validation failure: Must provide at least one of: loadbalancer_id, listener_id"
    )
    udp = conn.load_balancer.create_listener(loadbalancer_id=lb.id, protocol="UDP", protocol_port=53)
    wait_active(conn, lb.id)
    with pytest.raises(
        sdk_exc.BadRequestException,
        match="The pool protocol 'HTTP' is invalid while the listener protocol is 'UDP'",
    ):
        conn.load_balancer.create_pool(listener_id=udp.id, protocol="HTTP", lb_algorithm="ROUND_ROBIN")
    sticky = conn.load_balancer.create_pool(
        loadbalancer_id=lb.id,
        protocol="HTTP",
        lb_algorithm="SOURCE_IP",
        session_persistence={"type": "APP_COOKIE", "cookie_name": "c"},
    )
    assert sticky.session_persistence["cookie_name"] == "c" and sticky.listeners == []


def test_members_crud_and_conflicts(conn, lb, pool):
    member = conn.load_balancer.create_member(pool, address="192.0.2.10", protocol_port=8080, weight=5)
    assert (member.weight, member.backup, member.operating_status) == (5, False, "OFFLINE")
    with pytest.raises(sdk_exc.ConflictException, match=f"Pool {pool.id} is immutable|Load Balancer"):
        conn.load_balancer.create_member(pool, address="192.0.2.11", protocol_port=8080)
    wait_active(conn, lb.id)
    assert conn.load_balancer.get_member(member, pool).operating_status == "NO_MONITOR"
    with pytest.raises(
        sdk_exc.ConflictException,
        match="Another member on this pool is already using ip 192.0.2.10 on protocol_port 8080",
    ):
        conn.load_balancer.create_member(pool, address="192.0.2.10", protocol_port=8080)
    with pytest.raises(sdk_exc.BadRequestException, match="Value should be lower or equal to 256"):
        conn.load_balancer.create_member(pool, address="192.0.2.12", protocol_port=80, weight=300)
    conn.load_balancer.update_member(member, pool, weight=0)
    wait_active(conn, lb.id)
    assert conn.load_balancer.get_member(member, pool).weight == 0
    conn.load_balancer.delete_member(member, pool)
    wait_active(conn, lb.id)
    assert list(conn.load_balancer.members(pool)) == []


def test_batch_member_update(conn, lb, pool, sim):
    keep = conn.load_balancer.create_member(pool, address="192.0.2.1", protocol_port=80)
    wait_active(conn, lb.id)
    conn.load_balancer.create_member(pool, address="192.0.2.2", protocol_port=80)
    wait_active(conn, lb.id)
    url = f"/lbaas/pools/{pool.id}/members"
    body = {
        "members": [
            {"address": "192.0.2.1", "protocol_port": 80, "weight": 7},
            {"address": "192.0.2.3", "protocol_port": 80},
        ]
    }
    response = conn.load_balancer.put(url, json=body)
    assert response.status_code == 202 and response.content == b""
    states = {m.address: m.provisioning_status for m in conn.load_balancer.members(pool)}
    assert states == {
        "192.0.2.1": "PENDING_UPDATE",
        "192.0.2.2": "PENDING_DELETE",
        "192.0.2.3": "PENDING_CREATE",
    }
    wait_active(conn, lb.id)
    members = {m.address: m for m in conn.load_balancer.members(pool)}
    assert set(members) == {"192.0.2.1", "192.0.2.3"} and members["192.0.2.1"].id == keep.id
    assert members["192.0.2.1"].weight == 7
    twice = {"members": [{"address": "192.0.2.9", "protocol_port": 80}] * 2}
    again = raw(conn, "PUT", lb_url(sim.url, url), twice)
    assert again.status_code == 400
    assert (
        again.json()["faultstring"]
        == "Validation failure: Member must be updated only once in the same request."
    )
    additive = conn.load_balancer.put(
        f"{url}?additive_only=True", json={"members": [{"address": "192.0.2.4", "protocol_port": 80}]}
    )
    assert additive.status_code == 202
    wait_active(conn, lb.id)
    assert len(list(conn.load_balancer.members(pool))) == 3


def test_health_monitor_rules(conn, lb, pool, sim):
    url = lb_url(sim.url, "/lbaas/healthmonitors")
    base = {"pool_id": pool.id, "type": "HTTP", "delay": 5, "timeout": 3, "max_retries": 3}
    for changes, message in (
        ({"max_retries": 11}, "Value should be lower or equal to 10"),
        ({"delay": -1}, "Value should be greater or equal to 0"),
        ({"expected_codes": "20x"}, "Invalid input for field/attribute expected_codes"),
        ({"type": "TCP", "url_path": "/x"}, "url_path is not a valid option for health monitors of type TCP"),
        ({"type": "UDP-CONNECT"}, "only supported for pools of type UDP or SCTP"),
    ):
        response = raw(conn, "POST", url, {"healthmonitor": {**base, **changes}})
        assert response.status_code == 400 and message in response.json()["faultstring"], (
            changes,
            response.text,
        )
    monitor = conn.load_balancer.create_health_monitor(
        pool_id=pool.id, type="HTTP", delay=2, timeout=10, max_retries=1
    )
    assert (monitor.http_method, monitor.url_path, monitor.expected_codes, monitor.max_retries_down) == (
        "GET",
        "/",
        "200",
        3,
    )  # and no timeout <= delay check, as in Octavia
    wait_active(conn, lb.id)
    with pytest.raises(sdk_exc.ConflictException, match="This pool already has a health monitor"):
        conn.load_balancer.create_health_monitor(
            pool_id=pool.id, type="TCP", delay=2, timeout=1, max_retries=1
        )
    null_delay = raw(conn, "PUT", f"{url}/{monitor.id}", {"healthmonitor": {"delay": None}})
    assert null_delay.status_code == 400
    assert conn.load_balancer.get_pool(pool.id).health_monitor_id == monitor.id


def test_l7_policies_and_rules(conn, lb, listener, pool, sim):
    policy = conn.load_balancer.create_l7_policy(
        listener_id=listener.id, action="REDIRECT_TO_POOL", redirect_pool_id=pool.id
    )
    assert policy.position == 1
    wait_active(conn, lb.id)
    rule = conn.load_balancer.create_l7_rule(policy, type="PATH", compare_type="STARTS_WITH", value="/api")
    assert rule.invert is False
    wait_active(conn, lb.id)
    assert conn.load_balancer.get_l7_policy(policy.id).rules == [{"id": rule.id}]
    with pytest.raises(sdk_exc.ConflictException, match=f"Pool {pool.id} is in use by L7 policy {policy.id}"):
        conn.load_balancer.delete_pool(pool)
    with pytest.raises(sdk_exc.BadRequestException, match="requires a redirect_url"):
        conn.load_balancer.create_l7_policy(listener_id=listener.id, action="REDIRECT_TO_URL")
    conn.load_balancer.delete_l7_policy(policy)
    wait_active(conn, lb.id)
    assert list(conn.load_balancer.l7_policies()) == []
    assert sim.control.state()["load-balancer"]["l7rules"] == []  # the rules went with their policy


def test_child_delete_and_stats(conn, lb, listener):
    assert conn.load_balancer.get_listener_statistics(listener.id).total_connections == 0
    conn.load_balancer.delete_listener(listener)
    assert conn.load_balancer.get_listener(listener.id).provisioning_status == "PENDING_DELETE"
    wait_active(conn, lb.id)
    with pytest.raises(sdk_exc.NotFoundException, match=f"Listener {listener.id} not found."):
        conn.load_balancer.get_listener(listener.id)


def test_single_creates_with_nested_children(conn, lb):
    listener = conn.load_balancer.create_listener(
        loadbalancer_id=lb.id,
        protocol="HTTP",
        protocol_port=8080,
        default_pool={
            "protocol": "HTTP",
            "lb_algorithm": "ROUND_ROBIN",
            "members": [{"address": "192.0.2.5", "protocol_port": 80}],
        },
        l7policies=[
            {"action": "REJECT", "rules": [{"type": "PATH", "compare_type": "EQUAL_TO", "value": "/x"}]}
        ],
    )
    pool = conn.load_balancer.get_pool(listener.default_pool_id)
    assert [m.address for m in conn.load_balancer.members(pool)] == ["192.0.2.5"]
    (policy,) = conn.load_balancer.l7_policies(listener_id=listener.id)
    assert len(list(conn.load_balancer.l7_rules(policy.id))) == 1
    wait_active(conn, lb.id)
    # openstacksdk's Pool has no `healthmonitor` attribute, so this one goes through the proxy's raw POST
    response = conn.load_balancer.post(
        "/lbaas/pools",
        json={
            "pool": {
                "loadbalancer_id": lb.id,
                "protocol": "TCP",
                "lb_algorithm": "ROUND_ROBIN",
                "members": [{"address": "192.0.2.6", "protocol_port": 22}],
                "healthmonitor": {"type": "TCP", "delay": 3, "timeout": 2, "max_retries": 2},
            }
        },
    )
    assert response.status_code == 201
    second = conn.load_balancer.get_pool(response.json()["pool"]["id"])
    assert second.health_monitor_id is not None and len(second.members) == 1
    wait_active(conn, lb.id)


def test_nested_single_create_error_leaves_nothing_behind(conn, lb):
    with pytest.raises(sdk_exc.BadRequestException, match="Value should be lower or equal to 256"):
        conn.load_balancer.create_pool(
            loadbalancer_id=lb.id,
            protocol="HTTP",
            lb_algorithm="ROUND_ROBIN",
            members=[{"address": "192.0.2.6", "protocol_port": 22, "weight": 999}],
        )
    assert list(conn.load_balancer.pools()) == []
    assert conn.load_balancer.get_load_balancer(lb.id).provisioning_status == "ACTIVE"
