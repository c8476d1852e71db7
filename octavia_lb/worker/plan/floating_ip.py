"""The floating IP of a load balancer's VIP port (occm-semantics §5.6), planned without I/O.

The planner works in stages because what must be read depends on what it decided so far (a Service that
keeps its floating IP must not cost a subnet lookup):

    decide(want, lb, on_port, owner)          the floating IP on the VIP port is enough to keep or release
      → FipDecision(address, step) or (wish set) a floating IP has to be found or made:
    reuse_step(wish, lb, by_address)          the one named by spec.loadBalancerIP, if it exists
    subnet_lookup(wish) → SubnetLookup        which subnet read the create needs
    create_step(wish, lb, subnets)            the create, trying each chosen subnet in turn

`reconcile.floating_ip` does the reads between the stages and runs the steps. Only floating IPs whose
description carries OCCM's mark are ever deleted (`release_step`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from octavia_lb.common import naming
from octavia_lb.common.model import DesiredService, WantFloatingIP
from octavia_lb.common.subnets import parse_name_pattern, parse_tag_filter
from octavia_lb.worker.cloud.errors import PermanentError
from octavia_lb.worker.cloud.observed import OsFloatingIP, OsLoadBalancer
from octavia_lb.worker.plan.load_balancer import PlanError
from octavia_lb.worker.plan.steps import AttachFloatingIp, CreateFloatingIp, DeleteFloatingIp

ReleaseStep = DeleteFloatingIp | AttachFloatingIp


@dataclass(frozen=True)
class FipDecision:
    """What the VIP port's floating IP alone decides.

    `address`: what the Service shows for its IPv4 VIP (its floating IP, else the VIP), or the IPv6 VIP of a
    load balancer that gets no floating IP. `step`: the write to make (a release), if any. `wish`: set when
    a floating IP must be attached; the address is then the attached one's, or `address` when none is
    found and none can be created (no floating network)."""

    address: str
    step: ReleaseStep | None = None
    wish: WantFloatingIP | None = None


def decide(
    want: DesiredService, lb: OsLoadBalancer, on_port: OsFloatingIP | None, owner: bool
) -> FipDecision:
    """A floating IP maps to IPv4 only; on a dual-stack VIP port Neutron attaches it to the port's one IPv4
    address, which may be an additional VIP (an IPv6-first Service)."""
    v4 = lb.vip_of("IPv4")
    if is_ipv6(lb.vip_address) and (want.floating_ip is None or v4 is None):
        return FipDecision(lb.vip_address)  # OCCM decides by the VIP it got, not by spec.ipFamilies
    assert v4 is not None  # the primary VIP is IPv4, or an IPv4 additional VIP exists
    if want.floating_ip is None:
        if on_port is not None and owner:
            return FipDecision(v4, release_step(on_port, keep=want.keep_floatingip))
        return FipDecision(v4)
    if on_port is not None:
        return FipDecision(on_port.address)
    if not owner:
        raise PlanError(
            f"cannot attach a floating IP to a load balancer for a shared Service {want.key}, only "
            "owner Service can do that"
        )
    if not want.floating_ip.address and not want.floating_ip.network_id:
        return FipDecision(v4)  # forced internal (no floating network): serve the VIP, create nothing
    return FipDecision(v4, wish=want.floating_ip)


def release_step(fip: OsFloatingIP, keep: bool) -> ReleaseStep | None:
    """Delete a floating IP we created (unless kept); detach one we did not create."""
    if naming.is_our_fip(fip.description) and not keep:
        return DeleteFloatingIp(fip.id, describe=f"delete floating IP {fip.address}")
    if fip.port_id:
        return AttachFloatingIp(fip.id, None, describe=f"detach floating IP {fip.address}")
    return None


def reuse_step(
    wish: WantFloatingIP, lb: OsLoadBalancer, by_address: OsFloatingIP | None
) -> AttachFloatingIp | None:
    """Attach the existing floating IP of spec.loadBalancerIP (`by_address`); None when there is none."""
    if by_address is None:
        return None
    if by_address.port_id and by_address.port_id != lb.vip_port_id:
        raise PlanError(f"floating IP {wish.address} is not available")
    return AttachFloatingIp(
        by_address.id,
        lb.vip_port_id,
        describe=f"attach floating IP {by_address.address} to {lb.vip_port_id}",
    )


class SubnetLookup(Enum):
    """The read the create needs: none, the network of the given subnet id, or the network's subnets."""

    NONE = "none"
    NETWORK_OF_SUBNET = "network-of-subnet"
    LIST = "list"


def subnet_lookup(wish: WantFloatingIP) -> SubnetLookup:
    spec = wish.subnet
    if not wish.network_id:
        return SubnetLookup.NONE  # nothing is created (create_step), so nothing to choose from
    if spec.subnet_id:
        return SubnetLookup.NETWORK_OF_SUBNET
    if wish.address or not (spec.pattern or spec.tags):
        return SubnetLookup.NONE
    return SubnetLookup.LIST


def tag_filter(wish: WantFloatingIP) -> dict[str, str]:
    """The Neutron filter of the `LIST` read."""
    return parse_tag_filter(wish.subnet.tags).neutron_filter() if wish.subnet.tags else {}


def choose_subnets(
    wish: WantFloatingIP, network_of_subnet: str | None = None, listed: Sequence[tuple[str, str]] = ()
) -> list[str]:
    """Subnets to try in order: the given id, those matching the name/tag spec, or "" (Neutron's choice).
    `network_of_subnet` answers NETWORK_OF_SUBNET (None: no such subnet), `listed` (id, name) answers LIST."""
    spec = wish.subnet
    lookup = subnet_lookup(wish)
    if lookup is SubnetLookup.NETWORK_OF_SUBNET:
        if network_of_subnet is None:
            raise PermanentError(f'failed to find subnet "{spec.subnet_id}"')
        if network_of_subnet != wish.network_id:
            raise PermanentError(
                f'floating IP subnet "{spec.subnet_id}" doesn\'t belong to the network "{network_of_subnet}"'
            )
        return [spec.subnet_id]
    if lookup is SubnetLookup.NONE:
        return [""]
    if not listed:
        raise PermanentError(f"could not find subnets for network {wish.network_id}")
    pattern = parse_name_pattern(spec.pattern) if spec.pattern else None
    chosen = [sid for sid, name in listed if pattern is None or pattern.matches(name)]
    if not chosen:
        raise PermanentError(f"no subnet matching {_spec_text(wish)} found for network {wish.network_id}")
    return chosen


def create_step(wish: WantFloatingIP, lb: OsLoadBalancer, subnets: Sequence[str]) -> CreateFloatingIp | None:
    """A new floating IP on the VIP port, tried in each of `subnets` ("" lets Neutron choose); None without
    a floating network (forced internal: the VIP is served, nothing is created)."""
    if not wish.network_id:
        return None
    body: dict[str, str] = {
        "floating_network_id": wish.network_id,
        "port_id": lb.vip_port_id,
        "description": wish.description,
    }
    if wish.address:
        body["floating_ip_address"] = wish.address
    attempts = tuple({**body, **({"subnet_id": subnet} if subnet else {})} for subnet in subnets)
    return CreateFloatingIp(
        attempts, describe=f"create floating IP on {wish.network_id} for {lb.vip_port_id}"
    )


def is_ipv6(address: str | None) -> bool:
    return bool(address) and ":" in str(address)


def shown_addresses(want: DesiredService, lb: OsLoadBalancer, address: str) -> list[str]:
    """The Service's addresses in its `ipFamilies` order: `address` (the floating IP planner's) for the VIP
    it stands for, the load balancer's VIP for the other family (a single-stack Service: [address])."""
    if not want.also_serves:
        return [address]
    by_family = {family: lb.vip_of(family) for family in ("IPv4", "IPv6")}
    no_fip = is_ipv6(lb.vip_address) and (want.floating_ip is None or by_family["IPv4"] is None)
    by_family["IPv6" if no_fip else "IPv4"] = address
    order = [want.ip_family, *(f for f in ("IPv4", "IPv6") if f != want.ip_family)]
    return [found for family in order if (found := by_family[family])]


def _spec_text(wish: WantFloatingIP) -> str:
    parts = []
    if wish.subnet.pattern:
        parts.append(f'pattern: "{wish.subnet.pattern}"')
    if wish.subnet.tags:
        parts.append(f'tags: "{wish.subnet.tags}"')
    return ", ".join(parts)
