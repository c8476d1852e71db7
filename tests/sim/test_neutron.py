"""Neutron through openstacksdk: networks, subnets, ports with IPAM, tags, filters, pagination, quotas."""

from __future__ import annotations

import pytest
from openstack import exceptions as sdk_exc

from tests.sim.helpers import net_url, raw


def test_seeded_networks_and_external_filter(conn):
    external = [n.name for n in conn.network.networks(is_router_external=True)]
    assert external == ["public"]
    public = conn.network.find_network("public", ignore_missing=False)
    subnets = {s.name: s for s in conn.network.subnets(network_id=public.id)}
    assert {s.ip_version for s in subnets.values()} == {4, 6}
    assert subnets["public-subnet"].tags == ["ipv4", "public"]


def test_network_and_subnet_crud(conn):
    net = conn.network.create_network(name="n1")
    assert net.status == "ACTIVE" and net.is_admin_state_up and net.subnet_ids == []
    sub = conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="192.168.10.0/24", name="s1")
    assert sub.gateway_ip == "192.168.10.1"
    assert sub.allocation_pools == [{"start": "192.168.10.2", "end": "192.168.10.254"}]
    v6 = conn.network.create_subnet(network_id=net.id, ip_version=6, cidr="fd00:1::/64")
    assert v6.gateway_ip == "fd00:1::1"
    assert conn.network.get_network(net.id).subnet_ids == [sub.id, v6.id]
    assert conn.network.update_subnet(sub, name="renamed").name == "renamed"
    conn.network.delete_subnet(v6)
    conn.network.delete_network(net)
    with pytest.raises(sdk_exc.NotFoundException, match=f"Network {net.id} could not be found"):
        conn.network.get_network(net.id)
    assert conn.network.find_subnet(sub.id) is None


def test_overlapping_subnet_and_ip_version_mismatch_are_400(conn):
    net = conn.network.create_network(name="n1")
    conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="192.168.10.0/24")
    with pytest.raises(sdk_exc.BadRequestException, match="overlaps with another subnet"):
        conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="192.168.10.128/25")
    with pytest.raises(sdk_exc.BadRequestException, match="does not match ip_version"):
        conn.network.create_subnet(network_id=net.id, ip_version=6, cidr="192.168.11.0/24")


def test_ports_get_fixed_ips_and_duplicates_conflict(conn):
    net = conn.network.create_network(name="n1")
    sub = conn.network.create_subnet(
        network_id=net.id,
        ip_version=4,
        cidr="192.168.20.0/29",
        allocation_pools=[{"start": "192.168.20.2", "end": "192.168.20.3"}],
    )
    first = conn.network.create_port(network_id=net.id)
    assert first.fixed_ips == [{"subnet_id": sub.id, "ip_address": "192.168.20.2"}]
    assert first.mac_address.startswith("fa:16:3e:") and first.status == "DOWN"
    with pytest.raises(sdk_exc.ConflictException, match="already allocated"):
        conn.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "192.168.20.2"}])
    conn.network.create_port(network_id=net.id)
    with pytest.raises(sdk_exc.ConflictException, match="No more IP addresses available"):
        conn.network.create_port(network_id=net.id)
    with pytest.raises(sdk_exc.ConflictException, match="ports still in use"):
        conn.network.delete_network(net)
    with pytest.raises(sdk_exc.ConflictException, match="IP allocation from this subnet"):
        conn.network.delete_subnet(sub)
    conn.network.delete_port(first)
    again = conn.network.create_port(network_id=net.id)
    assert again.fixed_ips[0]["ip_address"] == "192.168.20.2"


def test_port_filters_and_fields(conn, sim):
    net = conn.network.find_network("private", ignore_missing=False)
    port = conn.network.create_port(
        network_id=net.id, name="p1", device_id="vm-1", device_owner="compute:nova"
    )
    assert [p.id for p in conn.network.ports(device_id="vm-1")] == [port.id]
    body = raw(conn, "GET", net_url(sim.url, "/ports"), device_id="vm-1", fields="name").json()
    assert body["ports"] == [{"name": "p1"}]


def test_tags_subresource_and_tag_filters(conn):
    net = conn.network.create_network(name="tagged")
    net.set_tags(conn.network, ["red", "blue", "green"])
    assert conn.network.get_network(net.id).tags == ["blue", "green", "red"]
    net.add_tag(conn.network, "yellow")
    net.check_tag(conn.network, "yellow")
    net.remove_tag(conn.network, "red")
    with pytest.raises(sdk_exc.NotFoundException):
        net.check_tag(conn.network, "red")
    other = conn.network.create_network(name="plain")
    other.set_tags(conn.network, ["green"])

    def names(**filters):
        return sorted(n.name for n in conn.network.networks(**filters) if n.name in ("tagged", "plain"))

    assert names(tags="blue,green") == ["tagged"]
    assert names(any_tags="blue,green") == ["plain", "tagged"]
    assert names(not_tags="blue,green") == ["plain"]
    assert names(not_any_tags="yellow") == ["plain"]
    net.remove_all_tags(conn.network)
    assert conn.network.get_network(net.id).tags == []


def test_pagination_follows_next_links(conn, sim):
    ids = [conn.network.create_network(name=f"page-{i}").id for i in range(7)]
    seen = [n.id for n in conn.network.networks(limit=3) if n.name.startswith("page-")]
    assert seen == ids
    first = raw(conn, "GET", net_url(sim.url, "/networks"), limit=2).json()
    assert len(first["networks"]) == 2
    assert [link["rel"] for link in first["networks_links"]] == ["next"]
    assert first["networks_links"][0]["href"].startswith(net_url(sim.url, "/networks?"))


def test_sorting(conn):
    for name in ("b-net", "a-net", "c-net"):
        conn.network.create_network(name=name)
    names = [
        n.name for n in conn.network.networks(sort_key="name", sort_dir="desc") if n.name.endswith("-net")
    ]
    assert names == ["c-net", "b-net", "a-net"]


@pytest.mark.parametrize(
    "path, params, status, kind, message",
    [
        (
            "/networks",
            {"colour": "red"},
            400,
            "HTTPBadRequest",
            "[colour] is invalid attribute for filtering",
        ),
        (
            "/networks",
            {"marker": "nope"},
            400,
            "HTTPBadRequest",
            "Supplied pagination marker 'nope' is not valid.",
        ),
        (
            "/networks/does-not-exist",
            {},
            404,
            "NetworkNotFound",
            "Network does-not-exist could not be found.",
        ),
    ],
    ids=["unknown-filter", "bad-marker", "missing-network"],
)
def test_error_bodies(conn, sim, path, params, status, kind, message):
    response = raw(conn, "GET", net_url(sim.url, path), **params)
    assert response.status_code == status
    error = response.json()["NeutronError"]
    assert (error["type"], error["message"]) == (kind, message)


@pytest.mark.parametrize(
    "body, message",
    [
        (
            {"subnet": {"ip_version": 4, "cidr": "10.9.0.0/24"}},
            "Invalid input for network_id. Reason: Mandatory",
        ),
        (
            {"subnet": {"network_id": "xyz", "ip_version": 4, "cidr": "10.9.0.0/24"}},
            "'xyz' is not a valid UUID",
        ),
        (
            {
                "subnet": {
                    "network_id": "7f0d3f5e-0000-4000-8000-000000000000",
                    "ip_version": 5,
                    "cidr": "10.9.0.0/24",
                }
            },
            "Invalid input for ip_version",
        ),
        (
            {"subnet": {"network_id": "7f0d3f5e-0000-4000-8000-000000000000", "ip_version": 4, "bogus": 1}},
            "Unrecognized attribute(s) 'bogus'",
        ),
    ],
    ids=["missing-field", "bad-uuid", "out-of-range", "unknown-attribute"],
)
def test_bad_subnet_requests_are_400(conn, sim, body, message):
    response = raw(conn, "POST", net_url(sim.url, "/subnets"), body)
    assert response.status_code == 400
    assert message in response.json()["NeutronError"]["message"]


def test_quota_exceeded_is_409_over_quota(conn, sim):
    project = conn.session.get_project_id()
    conn.network.update_quota(project, networks=3)
    assert conn.network.get_quota(project).networks == 3
    conn.network.create_network(name="q1")  # public + private are already in the admin project
    response = raw(conn, "POST", net_url(sim.url, "/networks"), {"network": {"name": "q2"}})
    assert response.status_code == 409
    assert response.json()["NeutronError"] == {
        "type": "OverQuota",
        "message": "Quota exceeded for resources: ['network'].",
        "detail": "",
    }
    conn.network.delete_quota(project)
    conn.network.create_network(name="q2")


def test_members_cannot_change_quotas_or_create_external_networks(sim):
    demo = sim.connect("sim-demo")
    with pytest.raises(sdk_exc.ForbiddenException):
        demo.network.update_quota(demo.session.get_project_id(), networks=1)
    with pytest.raises(sdk_exc.ForbiddenException):
        demo.network.create_network(name="ext", is_router_external=True)
    assert demo.network.find_network("public") is not None  # external networks are visible to everyone
    assert demo.network.find_network("private") is None  # another project's network is not


def test_security_groups_and_rules(conn):
    group = conn.network.create_security_group(name="web")
    http_in = {
        "security_group_id": group.id,
        "direction": "ingress",
        "protocol": "tcp",
        "port_range_min": 80,
        "port_range_max": 80,
        "remote_ip_prefix": "0.0.0.0/0",
    }
    rule = conn.network.create_security_group_rule(**http_in)
    assert rule.ether_type == "IPv4"
    with pytest.raises(sdk_exc.ConflictException, match="already exists"):
        conn.network.create_security_group_rule(**http_in)  # the same rule again
    rules = conn.network.get_security_group(group.id).security_group_rules
    # Neutron gives every new group an egress rule per ethertype
    assert sorted((r["direction"], r["ethertype"]) for r in rules if r["id"] != rule.id) == [
        ("egress", "IPv4"),
        ("egress", "IPv6"),
    ]
    assert rule.id in [r["id"] for r in rules]
    port = conn.network.create_port(
        network_id=conn.network.find_network("private").id, security_group_ids=[group.id]
    )
    assert [p.id for p in conn.network.ports(security_groups=[group.id])] == [port.id]
    with pytest.raises(sdk_exc.ConflictException, match="in use"):
        conn.network.delete_security_group(group)
    with pytest.raises(sdk_exc.NotFoundException):
        conn.network.update_port(port, security_groups=[group.id, "8b7a6a8e-0000-4000-8000-000000000000"])
    closed = conn.network.create_port(
        network_id=conn.network.find_network("private").id, port_security_enabled=False
    )
    with pytest.raises(sdk_exc.ConflictException, match="port security is disabled"):
        conn.network.update_port(closed, security_groups=[group.id])
    conn.network.delete_port(closed)
    conn.network.delete_port(port)
    conn.network.delete_security_group(group)
    assert any(g.name == "default" for g in conn.network.security_groups())


def test_extensions(conn):
    assert conn.network.find_extension("external-net") is not None
    assert conn.network.find_extension("standard-attr-tag") is not None
    assert conn.network.find_extension("dns-integration") is None


def test_ports_filter_by_fixed_ip(conn):
    net = conn.network.find_network("private", ignore_missing=False)
    port = conn.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "10.0.0.77"}])
    conn.network.create_port(network_id=net.id)
    found = list(conn.network.ports(fixed_ips=["ip_address=10.0.0.77"]))
    assert [p.id for p in found] == [port.id]
    subnet = port.fixed_ips[0]["subnet_id"]
    assert len(list(conn.network.ports(fixed_ips=[f"subnet_id={subnet}", "ip_address_substr=.77"]))) == 1
