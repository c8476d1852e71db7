"""Octavia operator resources: flavors and profiles, availability zones, providers, quotas, amphorae."""

from __future__ import annotations

import json

import pytest
from openstack import exceptions as sdk_exc

from tests.sim.helpers import lb_url, private_subnet, raw, wait_active


def test_seeded_flavors_and_zone(conn):
    assert sorted(f.name for f in conn.load_balancer.flavors()) == ["ha", "small"]
    assert [z.name for z in conn.load_balancer.availability_zones()] == ["az1"]
    profile = conn.load_balancer.find_flavor_profile("amphora-act-stdby")
    assert json.loads(profile.flavor_data) == {"loadbalancer_topology": "ACTIVE_STANDBY"}


def test_flavor_crud_and_in_use(conn):
    profile = conn.load_balancer.create_flavor_profile(
        name="fp", provider_name="amphora", flavor_data='{"loadbalancer_topology": "SINGLE"}'
    )
    flavor = conn.load_balancer.create_flavor(name="f1", flavor_profile_id=profile.id, description="d")
    assert flavor.is_enabled is True
    lb = conn.load_balancer.create_load_balancer(vip_subnet_id=private_subnet(conn).id, flavor_id=flavor.id)
    assert lb.flavor_id == flavor.id
    with pytest.raises(sdk_exc.ConflictException, match="in use"):
        conn.load_balancer.delete_flavor(flavor)
    conn.load_balancer.update_flavor(flavor, enabled=False)
    with pytest.raises(sdk_exc.BadRequestException, match="The selected flavor is not allowed"):
        conn.load_balancer.create_load_balancer(vip_subnet_id=private_subnet(conn).id, flavor_id=flavor.id)


def test_active_standby_flavor_gives_two_amphorae(conn):
    flavor = conn.load_balancer.find_flavor("ha", ignore_missing=False)
    lb = conn.load_balancer.create_load_balancer(vip_subnet_id=private_subnet(conn).id, flavor_id=flavor.id)
    amphorae = list(conn.load_balancer.amphorae(loadbalancer_id=lb.id))
    assert sorted(a.role for a in amphorae) == ["BACKUP", "MASTER"]
    wait_active(conn, lb.id)
    conn.load_balancer.failover_amphora(amphorae[0].id)
    assert conn.load_balancer.get_load_balancer(lb.id).provisioning_status == "PENDING_UPDATE"
    wait_active(conn, lb.id)
    assert conn.load_balancer.get_amphora(amphorae[0].id).id == amphorae[0].id


def test_availability_zones(conn):
    profile = conn.load_balancer.create_availability_zone_profile(
        name="azp", provider_name="amphora", availability_zone_data='{"compute_zone": "z2"}'
    )
    zone = conn.load_balancer.create_availability_zone(name="z2", availability_zone_profile_id=profile.id)
    assert zone.name == "z2"
    lb = conn.load_balancer.create_load_balancer(
        vip_subnet_id=private_subnet(conn).id, availability_zone="z2"
    )
    assert lb.availability_zone == "z2"
    with pytest.raises(sdk_exc.BadRequestException, match="Invalid availability zone nowhere"):
        conn.load_balancer.create_load_balancer(
            vip_subnet_id=private_subnet(conn).id, availability_zone="nowhere"
        )


def test_providers_and_capabilities(conn):
    assert {p.name for p in conn.load_balancer.providers()} == {"amphora", "octavia"}
    names = {c.name for c in conn.load_balancer.provider_flavor_capabilities("amphora")}
    assert "loadbalancer_topology" in names


def test_operator_writes_are_admin_only(sim):
    demo = sim.connect("sim-demo")
    with pytest.raises(sdk_exc.ForbiddenException):
        demo.load_balancer.create_flavor_profile(name="x", provider_name="amphora", flavor_data="{}")
    with pytest.raises(sdk_exc.ForbiddenException):
        demo.load_balancer.update_quota(demo.session.get_project_id(), load_balancers=1)
    assert sorted(f.name for f in demo.load_balancer.flavors()) == ["ha", "small"]  # reading is allowed


def test_quota_exceeded_is_403(conn, sim):
    project = conn.session.get_project_id()
    quota = conn.load_balancer.update_quota(project, load_balancers=1, listeners=5)
    assert (quota.load_balancers, quota.listeners, quota.pools) == (1, 5, -1)
    conn.load_balancer.create_load_balancer(vip_subnet_id=private_subnet(conn).id)
    response = raw(
        conn,
        "POST",
        lb_url(sim.url, "/lbaas/loadbalancers"),
        {"loadbalancer": {"vip_subnet_id": private_subnet(conn).id}},
    )
    assert response.status_code == 403
    assert response.json()["faultstring"] == "Quota has been met for resources: Load Balancer"
    body = raw(conn, "GET", lb_url(sim.url, f"/lbaas/quotas/{project}")).json()["quota"]
    assert body["loadbalancer"] == body["load_balancer"] == 1
    assert conn.load_balancer.get_quota_default().load_balancers == -1
    conn.load_balancer.delete_quota(project)
    assert conn.load_balancer.get_quota(project).load_balancers == -1


def test_quota_value_out_of_range_is_400(conn, sim):
    response = raw(conn, "PUT", lb_url(sim.url, "/lbaas/quotas/p"), {"quota": {"pool": -5}})
    assert response.status_code == 400 and "pool" in response.json()["faultstring"]
