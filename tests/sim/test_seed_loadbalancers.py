"""The seed's `loadbalancers` section through the real openstacksdk: load balancers made outside the API.

Each seeded load balancer must look to a client exactly like one it created long ago: listed and fetched
by its chosen id, ACTIVE/ONLINE, its VIP port in Neutron holding the VIP address, its floating IP on that
port, and open to new listeners. A bad entry is refused naming the field and the value, leaving nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from octavia_lb_devkit.sim.client import SimControlError
from octavia_lb_devkit.sim.seed import DEFAULT_SEED, load_seed_file
from octavia_lb_devkit.sim.state import SimConfig
from openstack import exceptions as sdk_exc

from tests.sim.helpers import private_subnet, wait_active

LB_ID = "2b224530-9414-4302-8163-5abebdcdc84f"
OTHER_ID = "9c8b7a65-4321-4fed-8cba-098765432101"


def _entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": LB_ID,
        "name": "shared-by-hand",
        "vip_subnet_id": "private-subnet",
        "tags": ["by-hand", "team-a"],
    }
    entry.update(changes)
    return {key: value for key, value in entry.items() if value is not None}


def test_seeded_load_balancer_is_listed_and_fetched_by_its_id(sim):
    assert sim.control.seed({"loadbalancers": [_entry()]})["loadbalancers"] == 1
    conn = sim.connect()
    lb = conn.load_balancer.get_load_balancer(LB_ID)
    assert (lb.name, lb.provisioning_status, lb.operating_status) == ("shared-by-hand", "ACTIVE", "ONLINE")
    assert sorted(lb.tags) == ["by-hand", "team-a"] and lb.provider == "amphora"
    assert lb.vip_subnet_id == private_subnet(conn).id
    assert [found.id for found in conn.load_balancer.load_balancers(name="shared-by-hand")] == [LB_ID]
    assert conn.load_balancer.find_load_balancer("shared-by-hand").id == LB_ID


def test_vip_port_is_allocated_from_the_subnet_or_takes_the_fixed_address(sim):
    sim.control.seed(
        {
            "loadbalancers": [
                _entry(),
                _entry(id=OTHER_ID, name="fixed-vip", vip_address="10.0.0.77", tags=None),
            ]
        }
    )
    conn = sim.connect()
    subnet = private_subnet(conn)
    for lb_id in (LB_ID, OTHER_ID):
        lb = conn.load_balancer.get_load_balancer(lb_id)
        port = conn.network.get_port(lb.vip_port_id)
        assert port.fixed_ips == [{"subnet_id": subnet.id, "ip_address": lb.vip_address}]
        assert port.device_owner == "Octavia" and port.network_id == subnet.network_id
    assert conn.load_balancer.get_load_balancer(OTHER_ID).vip_address == "10.0.0.77"
    with pytest.raises(sdk_exc.ConflictException, match="already allocated"):  # taken in Neutron
        conn.network.create_port(
            network_id=subnet.network_id, fixed_ips=[{"subnet_id": subnet.id, "ip_address": "10.0.0.77"}]
        )


def test_floating_ip_sits_on_the_vip_port(sim):
    sim.control.seed(
        {
            "loadbalancers": [
                _entry(floating_ip={"network_id": "public", "address": "172.24.4.50"}),
                _entry(id=OTHER_ID, name="any-fip", floating_ip={"floating_network_id": "public"}),
            ]
        }
    )
    conn = sim.connect()
    public = conn.network.find_network("public", ignore_missing=False)
    for lb_id in (LB_ID, OTHER_ID):
        lb = conn.load_balancer.get_load_balancer(lb_id)
        [fip] = list(conn.network.ips(port_id=lb.vip_port_id))
        assert fip.fixed_ip_address == lb.vip_address and fip.floating_network_id == public.id
        assert fip.status == "ACTIVE" and fip.router_id
    [fixed] = list(conn.network.ips(port_id=conn.load_balancer.get_load_balancer(LB_ID).vip_port_id))
    assert fixed.floating_ip_address == "172.24.4.50"


def test_seeded_load_balancer_takes_listeners_like_any_other(sim):
    sim.control.seed({"loadbalancers": [_entry()]})
    conn = sim.connect()
    listener = conn.load_balancer.create_listener(loadbalancer_id=LB_ID, protocol="TCP", protocol_port=80)
    assert conn.load_balancer.get_load_balancer(LB_ID).provisioning_status == "PENDING_UPDATE"
    assert wait_active(conn, LB_ID).provisioning_status == "ACTIVE"
    assert [item.id for item in conn.load_balancer.listeners()] == [listener.id]
    assert conn.load_balancer.get_listener(listener.id).load_balancers == [{"id": LB_ID}]
    conn.load_balancer.delete_load_balancer(LB_ID, cascade=True)
    conn.load_balancer.wait_for_delete(conn.load_balancer.get_load_balancer(LB_ID), interval=0.05, wait=20)
    assert list(conn.network.ports(device_owner="Octavia")) == []  # the VIP port went with it


def test_flavor_and_project_are_resolved_by_name(sim):
    sim.control.seed({"loadbalancers": [_entry(flavor_id="ha", project="demo")]})
    conn = sim.connect()
    lb = conn.load_balancer.get_load_balancer(LB_ID)
    assert lb.flavor_id == conn.load_balancer.find_flavor("ha", ignore_missing=False).id
    assert lb.project_id == "demo-project"
    roles = sorted(amp.role for amp in conn.load_balancer.amphorae(loadbalancer_id=LB_ID))
    assert roles == ["BACKUP", "MASTER"]  # the ha flavor's active/standby topology


BAD_ENTRIES = [
    pytest.param(
        _entry(id="shared-lb"),
        "seed: loadbalancers[0].id: 'shared-lb' must be a UUID",
        id="id-not-uuid",
    ),
    pytest.param(_entry(name=None), "seed: loadbalancers[0].name: missing; it is required", id="no-name"),
    pytest.param(
        _entry(vip_subnet_id="nodes"),
        "seed: loadbalancers[0].vip_subnet_id: 'nodes' is not a defined subnet",
        id="unknown-subnet",
    ),
    pytest.param(
        _entry(vip_address="10.9.9.9"),
        "seed: loadbalancers[0].vip_address: '10.9.9.9' is not in subnet 'private-subnet' (10.0.0.0/24)",
        id="vip-outside-subnet",
    ),
    pytest.param(
        _entry(vip_address="ten"),
        "seed: loadbalancers[0].vip_address: 'ten' must be an IP address",
        id="bad-ip",
    ),
    pytest.param(
        _entry(vip_subnet="private-subnet"),
        "seed: loadbalancers[0]: unknown field(s) ['vip_subnet']",
        id="unknown-field",
    ),
    pytest.param(
        _entry(tags="by-hand"), "seed: loadbalancers[0].tags: 'by-hand' must be a list", id="tags-not-list"
    ),
    pytest.param(
        _entry(provider="ovn"), "seed: loadbalancers[0].provider: 'ovn' must be one of amphora", id="provider"
    ),
    pytest.param(
        _entry(flavor_id="huge"),
        "seed: loadbalancers[0].flavor_id: 'huge' is not a defined flavor",
        id="flavor",
    ),
    pytest.param(
        _entry(floating_ip={"network_id": "private"}),
        "seed: loadbalancers[0].floating_ip.network_id: 'private' is not an external network",
        id="fip-not-external",
    ),
    pytest.param(
        _entry(floating_ip={"address": "172.24.4.9"}),
        "seed: loadbalancers[0].floating_ip.network_id: missing",
        id="fip-no-network",
    ),
    pytest.param(
        _entry(floating_ip={"network_id": "public", "address": "10.0.0.9"}),
        "seed: loadbalancers[0].floating_ip: Bad floatingip request: IP address 10.0.0.9 is not a valid IP",
        id="fip-address-off-network",
    ),
]


@pytest.mark.parametrize(("entry", "message"), BAD_ENTRIES)
def test_bad_entry_is_refused_naming_field_and_value_and_leaves_nothing(sim, entry, message):
    with pytest.raises(SimControlError, match="400") as caught:
        sim.control.seed({"loadbalancers": [entry]})
    assert message in caught.value.args[0].replace('\\"', '"')
    _assert_nothing_seeded(sim)


def test_duplicate_ids_and_a_non_list_section_are_refused(sim):
    with pytest.raises(SimControlError) as caught:
        sim.control.seed({"loadbalancers": [_entry(), _entry(name="again")]})
    assert f"seed: loadbalancers[1].id: '{LB_ID}' is already used by loadbalancers[0]" in str(caught.value)
    with pytest.raises(SimControlError) as caught:
        sim.control.seed({"loadbalancers": {"id": LB_ID}})
    assert "seed: loadbalancers: must be a list of load balancers, got dict" in str(caught.value)
    sim.control.seed({"loadbalancers": [_entry()]})
    with pytest.raises(SimControlError) as caught:  # a second seed may not reuse the id either
        sim.control.seed({"loadbalancers": [_entry(name="again")]})
    assert f"seed: loadbalancers[0].id: '{LB_ID}' is already load balancer 'shared-by-hand'" in str(
        caught.value
    )


def test_floating_ip_without_a_router_path_undoes_the_load_balancer(sim):
    """Seed order matters: a floating IP needs a router from the VIP subnet to its network."""
    isolated = {
        "networks": [
            {
                "name": "island",
                "subnets": [{"name": "island-subnet", "ip_version": 4, "cidr": "10.77.0.0/24"}],
            }
        ],
        "loadbalancers": [_entry(vip_subnet_id="island-subnet", floating_ip={"network_id": "public"})],
    }
    with pytest.raises(SimControlError) as caught:
        sim.control.seed(isolated)
    assert "seed: loadbalancers[0].floating_ip: External network" in str(caught.value)
    assert "is not reachable from subnet" in str(caught.value)
    _assert_nothing_seeded(sim)


def test_yaml_seed_file_with_a_load_balancer(start_openstack_sim, tmp_path):
    path = tmp_path / "seed.yaml"
    path.write_text(
        f"""
loadbalancers:
  - id: {LB_ID}
    name: from-yaml
    vip_subnet_id: private-subnet
    vip_address: 10.0.0.40
    floating_ip: {{network_id: public, address: 172.24.4.40}}
"""
    )
    handle = start_openstack_sim(SimConfig(seed={**DEFAULT_SEED, **load_seed_file(path)}))
    conn = handle.connect()
    lb = conn.load_balancer.get_load_balancer(LB_ID)
    assert (lb.name, lb.vip_address, lb.provisioning_status) == ("from-yaml", "10.0.0.40", "ACTIVE")
    assert [f.floating_ip_address for f in conn.network.ips(port_id=lb.vip_port_id)] == ["172.24.4.40"]


def test_cli_refuses_a_seed_file_with_a_bad_load_balancer(tmp_path):
    path = tmp_path / "seed.yaml"
    path.write_text(
        "projects: [{id: admin-project, name: admin}]\n"
        f"loadbalancers: [{{id: {LB_ID}, name: x, vip_subnet_id: nowhere}}]\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "octavia_lb", "sim", "openstack", "--port", "0", "--seed-file", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "seed: loadbalancers[0].vip_subnet_id: 'nowhere' is not a defined subnet" in done.stderr


def _assert_nothing_seeded(sim) -> None:
    state = sim.control.state()
    assert state["load-balancer"]["loadbalancers"] == []
    assert [p for p in state["network"]["ports"] if p["device_owner"] == "Octavia"] == []
    assert state["network"]["floatingips"] == []
