"""The local stack's simulated cloud, prepared on a fresh simulator exactly as `dev up` does it.

No cluster needed: `simcloud.prepare` seeds the examples' networks, the shared load balancer made by hand
and the node ports, all through the simulator's APIs; then openstacksdk must see the load balancer that
examples/good/shared-pair.yaml names, with its VIP on the node subnet and its floating IP on ext-net.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from octavia_lb_devkit.dev.cloud import (
    EXT_NETWORK,
    NODE_SUBNET,
    NODES,
    SHARED_LB_FIP,
    SHARED_LB_ID,
    SHARED_LB_NAME,
    SHARED_LB_VIP,
)
from octavia_lb_devkit.dev.simcloud import prepare
from octavia_lb_devkit.sim.state import SimConfig

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LB_ID_KEY = "loadbalancer.openstack.org/load-balancer-id"


def test_shared_pair_names_the_seeded_load_balancer() -> None:
    docs = list(yaml.safe_load_all((EXAMPLES / "good" / "shared-pair.yaml").read_text()))
    assert {doc["metadata"]["annotations"][LB_ID_KEY] for doc in docs} == {SHARED_LB_ID}


def test_prepared_cloud_holds_the_shared_load_balancer_made_by_hand(start_openstack_sim) -> None:
    handle = start_openstack_sim(SimConfig())
    prepare(handle.url)
    conn = handle.connect()
    lb = conn.load_balancer.get_load_balancer(SHARED_LB_ID)
    assert (lb.name, lb.provisioning_status, lb.operating_status) == (SHARED_LB_NAME, "ACTIVE", "ONLINE")
    assert not lb.name.startswith("kube_service_")  # made outside the cluster: not ours to delete
    assert (lb.vip_subnet_id, lb.vip_address) == (NODE_SUBNET, SHARED_LB_VIP)
    [fip] = list(conn.network.ips(port_id=lb.vip_port_id))
    assert (fip.floating_ip_address, fip.floating_network_id) == (SHARED_LB_FIP, EXT_NETWORK)
    assert fip.fixed_ip_address == SHARED_LB_VIP and fip.status == "ACTIVE"
    node_ips = sorted(
        port.fixed_ips[0]["ip_address"] for port in conn.network.ports(device_owner="compute:nova")
    )
    assert node_ips == sorted(node.internal_ip for node in NODES)  # the VIP took none of theirs
