"""Feature gates: a simulator advertising an older Octavia API rejects the newer fields and resources."""

from __future__ import annotations

import httpx
import pytest
from octavia_lb_devkit.sim.octavia.versions import ApiVersion
from octavia_lb_devkit.sim.state import SimConfig
from openstack import exceptions as sdk_exc

from tests.sim.helpers import lb_url, private_subnet, raw, wait_active


@pytest.fixture
def old(start_openstack_sim):
    handle = start_openstack_sim(SimConfig(max_api_version=ApiVersion.parse("2.11")))
    yield handle
    assert handle.control.internal_errors() == []


def test_version_document_stops_at_the_maximum(old):
    versions = httpx.get(f"{old.url}/load-balancer/").json()["versions"]
    assert versions[-1]["id"] == "v2.11" and versions[-1]["status"] == "CURRENT"
    assert len(versions) == 12


def test_allowed_cidrs_needs_2_12(old):
    conn = old.connect()
    lb = conn.load_balancer.create_load_balancer(vip_subnet_id=private_subnet(conn).id)
    wait_active(conn, lb.id)
    response = raw(
        conn,
        "POST",
        lb_url(old.url, "/lbaas/listeners"),
        {
            "listener": {
                "loadbalancer_id": lb.id,
                "protocol": "HTTP",
                "protocol_port": 80,
                "allowed_cidrs": ["10.0.0.0/8"],
            }
        },
    )
    assert response.status_code == 400
    assert "Unknown attribute for argument listener: allowed_cidrs" in response.json()["faultstring"]
    listener = conn.load_balancer.create_listener(loadbalancer_id=lb.id, protocol="HTTP", protocol_port=80)
    assert not hasattr(listener, "allowed_cidrs") or listener.allowed_cidrs is None


def test_availability_zones_need_2_14(old):
    conn = old.connect()
    with pytest.raises(sdk_exc.NotFoundException):
        list(conn.load_balancer.availability_zones())
    assert {f.name for f in conn.load_balancer.flavors()} == {"ha", "small"}  # 2.6 is below the maximum


def test_sctp_needs_2_23(old):
    conn = old.connect()
    lb = conn.load_balancer.create_load_balancer(vip_subnet_id=private_subnet(conn).id)
    wait_active(conn, lb.id)
    with pytest.raises(sdk_exc.BadRequestException, match="Value: 'SCTP'"):
        conn.load_balancer.create_listener(loadbalancer_id=lb.id, protocol="SCTP", protocol_port=80)


def test_tags_need_2_5(start_openstack_sim):
    handle = start_openstack_sim(SimConfig(max_api_version=ApiVersion.parse("2.4")))
    conn = handle.connect()
    with pytest.raises(
        sdk_exc.BadRequestException, match="Unknown attribute for argument loadbalancer: tags"
    ):
        conn.load_balancer.create_load_balancer(vip_subnet_id=private_subnet(conn).id, tags=["a"])
    response = raw(conn, "GET", lb_url(handle.url, "/lbaas/loadbalancers"), tags="a")
    assert response.status_code == 400 and "unknown filter 'tags'" in response.json()["faultstring"]


def test_bad_max_version_is_rejected_with_the_value():
    with pytest.raises(ValueError, match=r"max-api-version: '2.99' must be between 2.0 and 2.30"):
        ApiVersion.parse("2.99")
