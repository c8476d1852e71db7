"""Shared load balancers through `load-balancer-id`: attach, change port, collide, delete the owner first."""

from __future__ import annotations

from tests.reconcile.conftest import ports

A = "loadbalancer.openstack.org/"


def test_shared_walk(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.61")
    env.create_service("owner", ports(80))
    env.drive("owner")
    [lb] = env.lbs()
    owner_name = lb["name"]
    owner_ip = env.service("owner").status.load_balancer.ingress[0].ip

    # attach: B gets its own listener on A's load balancer, the LB is tagged with B, same address
    env.create_service("guest", ports(8080), {A + "load-balancer-id": lb["id"]})
    env.drive("guest")
    [lb] = env.lbs()
    guest_name = owner_name.removesuffix("_owner") + "_guest"
    assert sorted(lb["tags"]) == sorted([owner_name, guest_name])
    assert sorted((li["protocol_port"], tuple(li["tags"])) for li in env.octavia("listeners")) == [
        (80, (owner_name,)),
        (8080, (guest_name,)),
    ]
    assert env.service("guest").status.load_balancer.ingress[0].ip == owner_ip

    # change port: only the guest's listener moves
    env.set_ports("guest", ports(9090))
    env.drive("guest")
    assert sorted(li["protocol_port"] for li in env.octavia("listeners")) == [80, 9090]

    # collide: a third Service may not take port 80, and is not counted as a sharer (limit 2 reached anyway)
    env.create_service("third", ports(80), {A + "load-balancer-id": lb["id"]})
    error = env.drive_error("third")
    assert "already shared with 2 Services" in str(error)
    env.reconcile_conf_append("max-shared-lb = 3\n")
    error = env.drive_error("third")
    assert str(error).endswith("the listener port 80 already exists")
    assert guest_name in env.lbs()[0]["tags"] and len(env.lbs()[0]["tags"]) == 2
    env.delete_service("third")
    env.drive("third")

    # delete the owner first: the LB stays (still named after A), A's listener goes, A's tag goes
    env.delete_service("owner")
    env.drive("owner")
    [lb] = env.lbs()
    assert lb["name"] == owner_name
    assert lb["tags"] == [guest_name]
    assert [li["protocol_port"] for li in env.octavia("listeners")] == [9090]
    assert len(env.fips()) == 1

    # the last cluster Service leaves: the LB is deleted
    env.delete_service("guest")
    env.drive("guest")
    assert env.lbs() == []


def test_load_balancer_made_outside_the_cluster_is_never_deleted(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.62")
    conn = env.sim.connect()
    lb = conn.load_balancer.create_load_balancer(name="hand-made", vip_subnet_id=env.ids.private_subnet)
    conn.load_balancer.wait_for_load_balancer(lb.id, interval=0.2, wait=30)
    conn.network.create_ip(floating_network_id=env.ids.public_network, port_id=lb.vip_port_id)
    env.create_service("guest", ports(80), {A + "load-balancer-id": lb.id})
    env.drive("guest")
    assert [li["protocol_port"] for li in env.octavia("listeners")] == [80]
    env.delete_service("guest")
    env.drive("guest")
    [kept] = env.lbs()
    assert (kept["id"], kept["tags"], env.octavia("listeners")) == (lb.id, [], [])
