"""Timing profiles and seed files: `realistic` waits for the clock; a YAML seed replaces the default."""

from __future__ import annotations

import time

import openstack
import pytest
from keystoneauth1 import exceptions as ks_exc
from octavia_lb_devkit.sim.seed import load_seed_file
from octavia_lb_devkit.sim.state import SimConfig
from openstack import exceptions as sdk_exc

from tests.sim.helpers import private_subnet

SEED = """
projects: [{id: p1, name: team}]
users: [{id: u1, name: alice, password: pw, project: team, roles: [admin, member]}]
networks:
  - name: ext
    router:external: true
    project: team
    subnets: [{name: ext-v4, ip_version: 4, cidr: 203.0.113.0/24, tags: [floating]}]
  - name: tenant
    project: team
    subnets: [{name: tenant-v4, ip_version: 4, cidr: 10.50.0.0/24}]
routers: [{name: edge, project: team, external_network: ext, interfaces: [tenant-v4]}]
quotas: {team: {load_balancer: 1}}
"""


def test_realistic_profile_stays_pending_until_the_clock_moves(start_openstack_sim):
    handle = start_openstack_sim(SimConfig(profile="realistic", random_seed=1))
    conn = handle.connect()
    started = time.monotonic()
    made = conn.load_balancer.create_load_balancer(vip_subnet_id=private_subnet(conn).id)
    assert time.monotonic() - started >= 0.02  # realistic API latency on every call
    assert conn.load_balancer.get_load_balancer(made.id).provisioning_status == "PENDING_CREATE"
    handle.control.advance(44)
    assert conn.load_balancer.get_load_balancer(made.id).provisioning_status == "PENDING_CREATE"
    handle.control.advance(46)  # builds take 45-90 s
    assert conn.load_balancer.get_load_balancer(made.id).provisioning_status == "ACTIVE"


def test_yaml_seed_file_replaces_the_default(start_openstack_sim, tmp_path):
    path = tmp_path / "seed.yaml"
    path.write_text(SEED)
    handle = start_openstack_sim(SimConfig(seed=load_seed_file(path)))
    with pytest.raises(ks_exc.Unauthorized):  # the written clouds.yaml's admin is not in this seed
        handle.connect().session.get_token()
    conn = openstack.connect(
        auth_url=f"{handle.url}/identity",
        username="alice",
        password="pw",
        project_name="team",
        user_domain_id="default",
        project_domain_id="default",
        region_name="RegionOne",
        load_yaml_config=False,
        load_envvars=False,
    )
    assert sorted(n.name for n in conn.network.networks()) == ["ext", "tenant"]
    subnet = conn.network.find_subnet("tenant-v4", ignore_missing=False)
    port = conn.network.create_port(network_id=subnet.network_id)
    ext = conn.network.find_network("ext", ignore_missing=False)
    assert conn.network.create_ip(floating_network_id=ext.id, port_id=port.id).floating_ip_address.startswith(
        "203.0.113."
    )
    conn.load_balancer.create_load_balancer(vip_subnet_id=subnet.id)
    with pytest.raises(sdk_exc.ForbiddenException, match="Quota has been met"):
        conn.load_balancer.create_load_balancer(vip_subnet_id=subnet.id)


def test_bad_seed_file_names_the_file(tmp_path):
    path = tmp_path / "seed.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(
        ValueError, match=r"seed-file: .*seed.yaml' must hold a mapping of sections, got list"
    ):
        load_seed_file(path)
