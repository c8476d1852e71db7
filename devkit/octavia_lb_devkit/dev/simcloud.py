"""Prepares a freshly started OpenStack simulator for the examples: seed, node ports, a second router.

The seed goes through the simulator's control API; the rest goes through the real Neutron API with
openstacksdk, as an operator would do it (the seed format has no ports, and a second router interface on
the node subnet needs a port of its own because the first router holds the gateway address).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from octavia_lb_devkit.dev.cloud import INTERNET_NETWORK, NODE_SUBNET, NODES, seed_document
from octavia_lb_devkit.sim.server import clouds_yaml

SECOND_ROUTER_IP = "10.0.1.254"


class SimSetupError(RuntimeError):
    """The simulator refused part of the set-up; the message quotes its answer."""


def prepare(sim_url: str) -> None:
    seed(sim_url)
    conn = connect(sim_url)
    try:
        add_node_ports(conn)
        add_internet_router(conn)
    finally:
        conn.close()


def seed(sim_url: str) -> None:
    request = urllib.request.Request(
        f"{sim_url}/_sim/seed",
        data=json.dumps(seed_document()).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10):
            return
    except urllib.error.HTTPError as exc:
        raise SimSetupError(f"POST {sim_url}/_sim/seed: HTTP {exc.code}: {exc.read()[:500]!r}") from exc


def connect(sim_url: str) -> Any:
    import openstack

    cloud = clouds_yaml(sim_url)["clouds"]["sim"]
    return openstack.connect(load_yaml_config=False, load_envvars=False, **cloud)


def add_node_ports(conn: Any) -> None:
    """One port per node on the node subnet, owned by its server, holding its InternalIP."""
    subnet = conn.network.get_subnet(NODE_SUBNET)
    for node in NODES:
        conn.network.create_port(
            name=f"{node.name}-port",
            network_id=subnet.network_id,
            device_id=node.server_id,
            device_owner="compute:nova",
            fixed_ips=[{"subnet_id": NODE_SUBNET, "ip_address": node.internal_ip}],
        )


def add_internet_router(conn: Any) -> None:
    """A router from the node subnet to the `internet` network (class internetFacing's floating IPs)."""
    subnet = conn.network.get_subnet(NODE_SUBNET)
    router = conn.network.create_router(
        name="internet-router", external_gateway_info={"network_id": INTERNET_NETWORK}
    )
    port = conn.network.create_port(
        name="internet-router-port",
        network_id=subnet.network_id,
        fixed_ips=[{"subnet_id": NODE_SUBNET, "ip_address": SECOND_ROUTER_IP}],
    )
    conn.network.add_interface_to_router(router, port_id=port.id)
