"""The floating IP of a load balancer's VIP port (occm-semantics §5.6), and its release on cleanup.

Neutron calls do not depend on Octavia's provisioning state, so these run in the same reconcile as an
Octavia step. Only floating IPs whose description carries OCCM's mark are ever deleted.
"""

from __future__ import annotations

import logging

from octavia_lb.common import naming
from octavia_lb.common.model import DesiredService, WantFloatingIP
from octavia_lb.common.subnets import parse_name_pattern, parse_tag_filter
from octavia_lb.worker.cloud.errors import PermanentError, ReconcileError
from octavia_lb.worker.cloud.gateway import Gateway
from octavia_lb.worker.cloud.observed import Observed, OsFloatingIP, OsLoadBalancer
from octavia_lb.worker.plan.load_balancer import PlanError

log = logging.getLogger(__name__)


def ensure_floating_ip(gateway: Gateway, want: DesiredService, os_state: Observed, owner: bool) -> str:
    """Make the VIP port's floating IP match the wish; returns the address of its IPv4 VIP as the Service
    shows it (FIP, else the VIP), or the IPv6 VIP of a load balancer that gets no floating IP.

    A floating IP maps to IPv4 only; on a dual-stack VIP port Neutron attaches it to the port's one IPv4
    address, which may be an additional VIP (an IPv6-first Service)."""
    lb, fip = os_state.lb, os_state.floating_ip
    v4 = lb.vip_of("IPv4")
    if is_ipv6(lb.vip_address) and (want.floating_ip is None or v4 is None):
        return lb.vip_address  # OCCM decides by the VIP it got, not by spec.ipFamilies: no FIP for IPv6
    assert v4 is not None  # the primary VIP is IPv4, or an IPv4 additional VIP exists
    if want.floating_ip is None:
        if fip is not None and owner:
            release(gateway, fip, keep=want.keep_floatingip, who=want.key)
        return v4
    if fip is not None:
        return fip.address
    if not owner:
        raise PlanError(
            f"cannot attach a floating IP to a load balancer for a shared Service {want.key}, only "
            "owner Service can do that"
        )
    return _attach(gateway, want.floating_ip, lb, v4, want.key)


def is_ipv6(address: str | None) -> bool:
    return bool(address) and ":" in str(address)


def shown_addresses(want: DesiredService, lb: OsLoadBalancer, address: str) -> list[str]:
    """The Service's addresses in its `ipFamilies` order: `address` (from ensure_floating_ip) for the VIP
    it stands for, the load balancer's VIP for the other family (a single-stack Service: [address])."""
    if not want.also_serves:
        return [address]
    by_family = {family: lb.vip_of(family) for family in ("IPv4", "IPv6")}
    no_fip = is_ipv6(lb.vip_address) and (want.floating_ip is None or by_family["IPv4"] is None)
    by_family["IPv6" if no_fip else "IPv4"] = address
    order = [want.ip_family, *(f for f in ("IPv4", "IPv6") if f != want.ip_family)]
    return [found for family in order if (found := by_family[family])]


def release(gateway: Gateway, fip: OsFloatingIP, keep: bool, who: str) -> None:
    """Delete a floating IP we created (unless kept); detach one we did not create."""
    if naming.is_our_fip(fip.description) and not keep:
        log.info("%s: delete floating IP %s", who, fip.address)
        try:
            gateway.delete_floating_ip(fip.id)
        except ReconcileError as exc:  # OCCM's wording, Neutron's reason kept
            raise type(exc)(
                f"failed to delete floating IP {fip.address} for loadbalancer VIP port {fip.port_id}: "
                f"{exc.message}"
            ) from exc
    elif fip.port_id:
        log.info("%s: detach floating IP %s", who, fip.address)
        gateway.attach_floating_ip(fip.id, None)


def _attach(gateway: Gateway, wish: WantFloatingIP, lb: OsLoadBalancer, v4: str, who: str) -> str:
    if wish.address:
        found = gateway.floating_ips(floating_ip_address=wish.address)
        if found:
            existing = found[0]
            if existing.port_id and existing.port_id != lb.vip_port_id:
                raise PlanError(f"floating IP {wish.address} is not available")
            log.info("%s: attach floating IP %s to %s", who, existing.address, lb.vip_port_id)
            gateway.attach_floating_ip(existing.id, lb.vip_port_id)
            return existing.address
    if not wish.network_id:  # forced internal (no floating network): serve the VIP, create nothing
        return v4
    body = {
        "floating_network_id": wish.network_id,
        "port_id": lb.vip_port_id,
        "description": wish.description,
    }
    if wish.address:
        body["floating_ip_address"] = wish.address
    last: ReconcileError = PermanentError("no subnet to create the floating IP in")
    for subnet in _subnets(gateway, wish):
        try:
            created = gateway.create_floating_ip({**body, **({"subnet_id": subnet} if subnet else {})})
        except ReconcileError as exc:
            last = exc
            continue
        log.info("%s: created floating IP %s", who, created.address)
        return created.address
    raise type(last)(f"error creating LB floatingip: {last.message}") from last


def _subnets(gateway: Gateway, wish: WantFloatingIP) -> list[str]:
    """Subnets to try in order: the given id, those matching the name/tag spec, or "" (Neutron's choice)."""
    spec = wish.subnet
    if spec.subnet_id:
        network = gateway.subnet_network(spec.subnet_id)
        if network is None:
            raise PermanentError(f'failed to find subnet "{spec.subnet_id}"')
        if network != wish.network_id:
            raise PermanentError(
                f'floating IP subnet "{spec.subnet_id}" doesn\'t belong to the network "{network}"'
            )
        return [spec.subnet_id]
    if wish.address or not (spec.pattern or spec.tags):
        return [""]
    tags = parse_tag_filter(spec.tags) if spec.tags else None
    listed = gateway.subnets(wish.network_id, tags.neutron_filter() if tags else {})
    if not listed:
        raise PermanentError(f"could not find subnets for network {wish.network_id}")
    pattern = parse_name_pattern(spec.pattern) if spec.pattern else None
    chosen = [sid for sid, name in listed if pattern is None or pattern.matches(name)]
    if not chosen:
        raise PermanentError(f"no subnet matching {_spec_text(wish)} found for network {wish.network_id}")
    return chosen


def _spec_text(wish: WantFloatingIP) -> str:
    parts = []
    if wish.subnet.pattern:
        parts.append(f'pattern: "{wish.subnet.pattern}"')
    if wish.subnet.tags:
        parts.append(f'tags: "{wish.subnet.tags}"')
    return ", ".join(parts)
