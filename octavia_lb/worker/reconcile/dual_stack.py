"""The cloud lookups of a dual-stack Service (two `spec.ipFamilies`): which subnet of the VIP network can
carry its second family's VIP, and which subnet that family's members are on.

Octavia (2.26+) puts additional VIPs on the primary VIP's port, one per subnet, every subnet on the VIP
network, and only when it creates the load balancer (a PUT cannot add one). So an existing load balancer
answers for itself: its additional VIPs are what can be served. The answer goes to the pure builder as
`Discovered.additional_vips`, or, when a family cannot be served, as `Discovered.dual_stack_missing`.
"""

from __future__ import annotations

from octavia_lb.common.config import CloudConfig
from octavia_lb.common.model import AdditionalVip, Discovered
from octavia_lb.common.options import ServiceOptions
from octavia_lb.worker.cloud.gateway import Gateway
from octavia_lb.worker.cloud.observed import OsLoadBalancer

VERSION = {"IPv4": 4, "IPv6": 6}
FAMILY = {4: "IPv4", 6: "IPv6"}


def family_of(address: str) -> str:
    return "IPv6" if ":" in address else "IPv4"


class _Subnets:
    """The two Neutron lookups, each made once per reconcile (members usually share the VIP subnet)."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self._placement: dict[str, tuple[str, int] | None] = {}
        self._family: dict[tuple[str, int], list[str]] = {}

    def placement(self, subnet_id: str) -> tuple[str, int] | None:
        if subnet_id not in self._placement:
            self._placement[subnet_id] = self.gateway.subnet_placement(subnet_id)
        return self._placement[subnet_id]

    def of_family(self, network_id: str, version: int) -> list[str]:
        if (network_id, version) not in self._family:
            self._family[network_id, version] = self.gateway.family_subnets(network_id, version)
        return self._family[network_id, version]


def discover(
    gateway: Gateway, options: ServiceOptions, config: CloudConfig, vip_subnet: str, lb: OsLoadBalancer | None
) -> Discovered:
    """The dual-stack part of `Discovered` (empty for everything else)."""
    families, lb_conf = options.ip_families, config.load_balancer
    if len(families) < 2 or lb_conf.provider_requires_serial_api_calls:
        return Discovered()
    if not gateway.features().additional_vips:
        return Discovered()  # no lookup: the builder says why by itself
    vip_subnet = options.subnet_id or vip_subnet  # the builder's choice (`_vip_subnet`)
    subnets = _Subnets(gateway)
    found, missing = additional_vips(subnets, options, vip_subnet, lb)
    if not found:
        return Discovered(dual_stack_missing=missing)
    members = options.member_subnet_id or lb_conf.subnet_id or vip_subnet  # the builder's `_member_subnet`
    return Discovered(additional_vips=found, member_subnets=member_subnets(subnets, families, members))


def additional_vips(
    gateway: _Subnets, options: ServiceOptions, vip_subnet: str, lb: OsLoadBalancer | None
) -> tuple[tuple[AdditionalVip, ...], str]:
    """(the additional VIPs to build with, why a family is left out or "")."""
    families = options.ip_families
    if lb is not None:
        return _of_load_balancer(gateway, families, lb)
    if options.port_id:
        # Octavia uses a given port as it is; its other fixed IPs become the additional VIPs, read once the
        # load balancer exists
        return (), f"the VIP port {options.port_id} (port-id) has no address of the other family"
    if vip_subnet:
        placed = gateway.placement(vip_subnet)
        if placed is None:
            return (), ""  # Octavia itself rejects the create and says so
        network, primary = placed[0], FAMILY[placed[1]]
    elif options.network_id:  # Octavia picks the VIP subnet, an IPv4 one when there is one
        network = options.network_id
        primary = "IPv4" if gateway.of_family(network, 4) else "IPv6"
    else:
        return (), ""
    found: list[AdditionalVip] = []
    for family in families:
        if family == primary:
            continue
        candidates = gateway.of_family(network, VERSION[family])
        if not candidates:
            return (), f"the VIP network {network} has no {family} subnet"
        found.append(AdditionalVip(family, candidates[0]))
    return tuple(found), ""


def _of_load_balancer(
    gateway: _Subnets, families: tuple[str, ...], lb: OsLoadBalancer
) -> tuple[tuple[AdditionalVip, ...], str]:
    primary = family_of(lb.vip_address) if lb.vip_address else families[0]
    found: list[AdditionalVip] = []
    for family in families:
        if family == primary:
            continue
        subnet = next((s for s, ip in lb.additional_vips if family_of(ip) == family), None)
        if subnet is None:
            # say the cause: a network without that family, or a load balancer made before (single-stack)
            placed = gateway.placement(lb.vip_subnet_id) if lb.vip_subnet_id else None
            if placed is not None and not gateway.of_family(placed[0], VERSION[family]):
                return (), f"the VIP network {placed[0]} has no {family} subnet"
            return (), (
                f"load balancer {lb.id} has no {family} VIP, and Octavia adds VIPs only when it creates a "
                "load balancer; delete and recreate the Service to serve both families"
            )
        found.append(AdditionalVip(family, subnet))
    return tuple(found), ""


def member_subnets(
    gateway: _Subnets, families: tuple[str, ...], members: str
) -> tuple[tuple[str, str | None], ...]:
    """Each family's member subnet: `members` (member-subnet-id, else cloud.conf subnet-id, else the VIP
    subnet, as OCCM) for its own family, the first subnet of the other family on its network, or None."""
    placed = gateway.placement(members) if members else None
    if placed is None:
        return ()
    network, version = placed
    found: list[tuple[str, str | None]] = []
    for family in families:
        if VERSION[family] == version:
            found.append((family, members))
        else:
            candidates = gateway.of_family(network, VERSION[family])
            found.append((family, candidates[0] if candidates else None))
    return tuple(found)
