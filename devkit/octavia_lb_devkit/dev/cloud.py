"""The simulated cloud the examples run against: seed data, the three nodes, cloud.conf and clouds.yaml.

The networks and subnets are seeded with the very ids that `examples/cloud.conf` names, so the
`[LoadBalancer]` and `[LoadBalancerClass ...]` sections of the examples work unchanged against the simulator:

| cloud.conf key                         | simulator object                       | CIDR             |
|----------------------------------------|----------------------------------------|------------------|
| floating-network-id / -subnet-id       | `ext-net` / `ext-subnet` (external)    | 122.112.219.0/24 |
| class internetFacing                   | `internet` / `internet-subnet` (ext.)  | 198.51.100.0/24  |
| class dmz (`dmz-*`, tags dmz, public)  | `dmz-1` on `ext-net`                   | 203.0.113.0/24   |
| subnet-id (VIP and members)            | `k8s-nodes-subnet`                     | 10.0.1.0/24      |

One load balancer exists before the cluster does, as if made by hand in the cloud: `shared-by-hand`, with
the id that `examples/good/shared-pair.yaml` names in `loadbalancer.openstack.org/load-balancer-id`, its
VIP on the node subnet and a floating IP from `ext-net`. Services attach to it by id and get its floating IP;
since its name does not start with `kube_service_`, the controller never deletes it.

| load balancer    | id                                   | VIP         | floating IP      |
|------------------|--------------------------------------|-------------|------------------|
| `shared-by-hand` | 2b224530-9414-4302-8163-5abebdcdc84f | 10.0.1.50   | 122.112.219.50   |

Each node has a Neutron port (device_id = the server id in its providerID) holding its InternalIP, so VIP
subnet autodetection from nodes works too. Routers connect the node subnet to both external networks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from octavia_lb_devkit.sim.server import cloud_conf_global, clouds_yaml

EXT_NETWORK = "a57af0a0-da92-49be-a98a-345ceca004b3"
EXT_SUBNET = "a02eb6c3-fc69-46ae-a3fe-fb43c1563cbc"
INTERNET_NETWORK = "c57af0a0-da92-49be-a98a-345ceca004b3"
INTERNET_SUBNET = "f90d2440-d3c6-417a-a696-04e55eeb9279"
NODE_SUBNET = "fa6a4e6c-6ae4-4dde-ae86-3e2f452c1f03"
SHARED_LB_ID = "2b224530-9414-4302-8163-5abebdcdc84f"  # examples/good/shared-pair.yaml
SHARED_LB_NAME = "shared-by-hand"
SHARED_LB_VIP = "10.0.1.50"  # clear of the node addresses (.11-.13) and the second router (.254)
SHARED_LB_FIP = "122.112.219.50"
CLOUD_NAME = "local"
_SERVER_NAMESPACE = uuid.UUID("6f1d3c1e-8a57-4d55-9d0e-6c2f0f1b7a10")  # stable server ids across runs


@dataclass(frozen=True)
class DevNode:
    name: str
    internal_ip: str
    labels: tuple[tuple[str, str], ...]

    @property
    def server_id(self) -> str:
        return str(uuid.uuid5(_SERVER_NAMESPACE, self.name))

    @property
    def provider_id(self) -> str:
        return f"openstack:///{self.server_id}"


# examples/good/internal.yaml selects env=production, region=default: two nodes match, one does not.
NODES = (
    DevNode("node-1", "10.0.1.11", (("env", "production"), ("region", "default"))),
    DevNode("node-2", "10.0.1.12", (("env", "production"), ("region", "default"))),
    DevNode("node-3", "10.0.1.13", (("env", "staging"), ("region", "default"))),
)


def seed_document() -> dict[str, Any]:
    """What `POST /_sim/seed` adds to the simulator's default seed."""
    return {
        "networks": [
            {
                "id": EXT_NETWORK,
                "name": "ext-net",
                "router:external": True,
                "project": "admin",
                "subnets": [
                    _subnet(EXT_SUBNET, "ext-subnet", "122.112.219.0/24", ["public"]),
                    _subnet(None, "dmz-1", "203.0.113.0/24", ["dmz", "public"]),
                ],
            },
            {
                "id": INTERNET_NETWORK,
                "name": "internet",
                "router:external": True,
                "project": "admin",
                "subnets": [_subnet(INTERNET_SUBNET, "internet-subnet", "198.51.100.0/24", ["public"])],
            },
            {
                "name": "k8s-nodes",
                "project": "admin",
                "subnets": [_subnet(NODE_SUBNET, "k8s-nodes-subnet", "10.0.1.0/24", ["k8s"])],
            },
        ],
        "routers": [
            {
                "name": "k8s-router",
                "project": "admin",
                "external_network": "ext-net",
                "interfaces": ["k8s-nodes-subnet"],
            }
        ],
        "loadbalancers": [shared_load_balancer()],  # after the router: its floating IP needs the path
    }


def shared_load_balancer() -> dict[str, Any]:
    """The load balancer made outside the cluster that examples/good/shared-pair.yaml attaches to."""
    return {
        "id": SHARED_LB_ID,
        "name": SHARED_LB_NAME,
        "description": "created by hand, outside the cluster; shared by Services that name its id",
        "vip_subnet_id": NODE_SUBNET,
        "vip_address": SHARED_LB_VIP,
        "tags": ["by-hand"],
        "floating_ip": {"network_id": EXT_NETWORK, "address": SHARED_LB_FIP},
    }


def _subnet(ident: str | None, name: str, cidr: str, tags: list[str]) -> dict[str, Any]:
    subnet: dict[str, Any] = {"name": name, "ip_version": 4, "cidr": cidr, "tags": tags}
    if ident:
        subnet["id"] = ident
    return subnet


def load_balancer_sections() -> str:
    """`[LoadBalancer]` and the classes of examples/cloud.conf, pointing at the seeded objects."""
    return f"""
[LoadBalancer]
floating-network-id = "{EXT_NETWORK}"
floating-subnet-id = "{EXT_SUBNET}"
subnet-id = "{NODE_SUBNET}"
lb-provider = amphora
lb-method = ROUND_ROBIN
create-monitor = false
monitor-delay = 5s
monitor-timeout = 3s
monitor-max-retries = 1
monitor-max-retries-down = 3
max-shared-lb = 2

[LoadBalancerClass "internetFacing"]
floating-network-id = "{INTERNET_NETWORK}"
floating-subnet-id = "{INTERNET_SUBNET}"

[LoadBalancerClass "dmz"]
floating-subnet = "dmz-*"
floating-subnet-tags = "&dmz,public"
"""


def write_cloud_files(cloud_conf: Path, clouds_file: Path, sim_url: str) -> None:
    """`.dev/cloud.conf` (the simulator's [Global] plus the examples' sections) and `.dev/clouds.yaml`."""
    cloud_conf.write_text(
        "; written by `octavia-lb dev up`: the OpenStack simulator's admin user and the examples' settings\n"
        + cloud_conf_global(sim_url)
        + load_balancer_sections()
    )
    cloud_conf.chmod(0o600)
    admin = clouds_yaml(sim_url)["clouds"]["sim"]
    clouds_file.write_text(yaml.safe_dump({"clouds": {CLOUD_NAME: admin}}, sort_keys=False))
    clouds_file.chmod(0o600)
