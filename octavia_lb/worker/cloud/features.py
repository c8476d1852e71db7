"""Per-process OpenStack facts: the gateway (one connection per worker process), and the cloud lookups the
model needs when cloud.conf and the annotations leave them open (VIP subnet and floating network
autodetection, occm-semantics §3.3).
"""

from __future__ import annotations

import os
import threading
import time

from octavia_lb.common.model import Discovered, NodeView
from octavia_lb.common.options import ServiceOptions
from octavia_lb.worker.cloud.errors import PermanentError
from octavia_lb.worker.cloud.gateway import Gateway, connect
from octavia_lb.worker.cloud.observed import server_id
from octavia_lb.worker.context import CloudContext

# The external network rarely changes; looking it up on every reconcile would double the Neutron traffic.
EXTERNAL_NETWORK_TTL = 300.0

_lock = threading.Lock()
_gateways: dict[tuple[int, int], Gateway] = {}
_external: dict[int, tuple[float, str]] = {}


def gateway_for(context: CloudContext) -> Gateway:
    """The gateway of this process for this context's cloud config (prefork children get their own)."""
    config = context.cloud_config
    key = (os.getpid(), id(config))
    with _lock:
        gateway = _gateways.get(key)
        if gateway is None:
            gateway = _gateways[key] = Gateway(connect(config), provider=config.load_balancer.lb_provider)
        return gateway


def external_network(gateway: Gateway) -> str:
    key = id(gateway)
    now = time.monotonic()
    cached = _external.get(key)
    if cached is not None and now - cached[0] < EXTERNAL_NETWORK_TTL:
        return cached[1]
    network = gateway.external_network()
    _external[key] = (now, network)
    return network


def discover(
    gateway: Gateway, options: ServiceOptions, nodes: list[NodeView], key: str, existing_vip_subnet: str = ""
) -> Discovered:
    """Fill in the VIP subnet (from the first node's port) and the floating network, when not configured."""
    subnet = existing_vip_subnet
    if not (subnet or options.subnet_id or options.network_id or options.port_id) and nodes:
        node = nodes[0]
        address, server = node.address(options.address_family), server_id(node.provider_id)
        if address and server:
            subnet = gateway.subnet_of_address(server, address)
        if not subnet:
            raise PermanentError(
                f"failed to get subnet to create load balancer for service {key}: no port of node "
                f"{node.name} (providerID {node.provider_id!r}) holds address {address}; set "
                "subnet-id in cloud.conf or the loadbalancer.openstack.org/subnet-id annotation"
            )
    floating = search = ""
    if not options.internal and not options.floating_network_id:
        # a Neutron error propagates (retry) instead of quietly making the load balancer internal
        floating = external_network(gateway)
        if not floating:
            search = "no router:external network with an IPv4 subnet is visible to this project"
    return Discovered(vip_subnet_id=subnet, floating_network_id=floating, floating_network_search=search)
