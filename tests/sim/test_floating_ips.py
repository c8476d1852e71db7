"""Neutron routers and floating IPs: the router path rule, association and disassociation, errors."""

from __future__ import annotations

import time

import pytest
from openstack import exceptions as sdk_exc

from tests.sim.helpers import net_url, raw


@pytest.fixture
def public(conn):
    return conn.network.find_network("public", ignore_missing=False)


@pytest.fixture
def vm_port(conn):
    private = conn.network.find_network("private", ignore_missing=False)
    return conn.network.create_port(network_id=private.id, name="vm", device_owner="compute:nova")


def _wait_status(conn, fip_id, status):
    for _ in range(100):
        fip = conn.network.get_ip(fip_id)
        if fip.status == status:
            return fip
        time.sleep(0.02)
    raise AssertionError(f"floating IP {fip_id} never became {status}")


def test_create_unassociated(conn, public):
    fip = conn.network.create_ip(floating_network_id=public.id)
    assert fip.floating_ip_address.startswith("172.24.4.")
    assert (fip.port_id, fip.fixed_ip_address, fip.router_id, fip.status) == (None, None, None, "DOWN")
    assert fip.port_details is None
    assert conn.network.find_ip(fip.floating_ip_address).id == fip.id


def test_associate_through_router_then_disassociate(conn, public, vm_port):
    router = conn.network.find_router("router1", ignore_missing=False)
    fip = conn.network.create_ip(floating_network_id=public.id)
    fip = conn.network.update_ip(fip, port_id=vm_port.id)
    assert fip.fixed_ip_address == vm_port.fixed_ips[0]["ip_address"]
    assert fip.router_id == router.id
    assert fip.port_details["device_owner"] == "compute:nova"
    _wait_status(conn, fip.id, "ACTIVE")
    assert [f.id for f in conn.network.ips(port_id=vm_port.id)] == [fip.id]
    fip = conn.network.update_ip(fip, port_id=None)
    assert (fip.port_id, fip.fixed_ip_address, fip.status, fip.port_details) == (None, None, "DOWN", None)


def test_create_with_port_and_explicit_address(conn, public, vm_port):
    fip = conn.network.create_ip(
        floating_network_id=public.id, port_id=vm_port.id, floating_ip_address="172.24.4.200"
    )
    assert fip.floating_ip_address == "172.24.4.200" and fip.port_id == vm_port.id
    with pytest.raises(sdk_exc.ConflictException, match="already allocated"):
        conn.network.create_ip(floating_network_id=public.id, floating_ip_address="172.24.4.200")
    with pytest.raises(sdk_exc.ConflictException, match="already has a floating IP on external network"):
        conn.network.create_ip(floating_network_id=public.id, port_id=vm_port.id)


def test_unreachable_subnet_is_404(conn, public):
    net = conn.network.create_network(name="isolated")
    conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="192.168.50.0/24")
    port = conn.network.create_port(network_id=net.id)
    with pytest.raises(sdk_exc.NotFoundException, match="is not reachable from subnet"):
        conn.network.create_ip(floating_network_id=public.id, port_id=port.id)
    router = conn.network.create_router(name="r2", external_gateway_info={"network_id": public.id})
    conn.network.add_interface_to_router(router, subnet_id=port.fixed_ips[0]["subnet_id"])
    fip = conn.network.create_ip(floating_network_id=public.id, port_id=port.id)
    assert fip.router_id == router.id
    with pytest.raises(sdk_exc.ConflictException, match="required by one or more floating IPs"):
        conn.network.remove_interface_from_router(router, subnet_id=port.fixed_ips[0]["subnet_id"])
    with pytest.raises(sdk_exc.ConflictException, match="still has ports"):
        conn.network.delete_router(router)


def test_not_external_network_is_400_and_missing_network_404(conn, sim):
    private = conn.network.find_network("private", ignore_missing=False)
    response = raw(
        conn, "POST", net_url(sim.url, "/floatingips"), {"floatingip": {"floating_network_id": private.id}}
    )
    assert response.status_code == 400
    assert (
        response.json()["NeutronError"]["message"]
        == f"Bad floatingip request: Network {private.id} is not a valid external network."
    )
    missing = "7f0d3f5e-0000-4000-8000-000000000000"
    with pytest.raises(sdk_exc.NotFoundException, match=f"Network {missing} could not be found"):
        conn.network.create_ip(floating_network_id=missing)


def test_deleting_the_port_disassociates(conn, public, vm_port):
    fip = conn.network.create_ip(floating_network_id=public.id, port_id=vm_port.id)
    conn.network.delete_port(vm_port)
    fip = conn.network.get_ip(fip.id)
    assert (fip.port_id, fip.fixed_ip_address) == (None, None)
    conn.network.delete_ip(fip)
    assert conn.network.find_ip(fip.id) is None


def test_floating_ip_quota(conn, public):
    conn.network.update_quota(conn.session.get_project_id(), floating_ips=1)
    conn.network.create_ip(floating_network_id=public.id)
    with pytest.raises(sdk_exc.ConflictException, match=r"Quota exceeded for resources: \['floatingip'\]"):
        conn.network.create_ip(floating_network_id=public.id)


def test_router_gateway_takes_an_external_address(conn, public):
    router = conn.network.find_router("router1", ignore_missing=False)
    gateway = router.external_gateway_info
    assert gateway["network_id"] == public.id and gateway["enable_snat"] is True
    assert gateway["external_fixed_ips"][0]["ip_address"].startswith("172.24.4.")
    ports = list(conn.network.ports(device_id=router.id))
    assert {p.device_owner for p in ports} == {"network:router_gateway", "network:router_interface"}
