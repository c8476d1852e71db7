"""The Neutron security group of a Service's NodePorts (cloud.conf `manage-security-groups = true`).

As OCCM does (occm-semantics §5.7): one group per Service, `lb-sg-<uid>-<ns>-<name>`, holding exactly one
ingress rule per NodePort (and the health-check NodePort) from the member subnet's CIDR (each family's, for
a dual-stack Service), or from each source range on `ovn`, whose load balancers do not filter by listener
CIDR; every other rule, the defaults Neutron adds to a new group included, is deleted. The group is put on
the Neutron port of every member node (the server's port with port security on that holds the member
address) and taken off ports of nodes that left. When the Service goes, the group is taken off every port
and deleted.

Planned without I/O, in two stages because the CIDRs of the member subnets must be read first:

    member_subnets(want, vip_subnet_id)          the subnets whose CIDRs to read
    group_wish(service, want, nodes, cidrs, …)   → GroupWish: name, rules, ports' holders
    group_steps(wish, GroupSeen)                 the writes: the group itself (alone: its id is needed
                                                 next), else rules to create/delete, ports to put it on/take
                                                 it off
    removal_steps(group, ports_with_group)       off every port, then the group deleted

`reconcile.security_group` reads and runs the steps; every step is idempotent, so a run that fails
half-way is finished by the next. The resync's drift check plans on its bulk view with the same functions.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from octavia_lb.common import naming
from octavia_lb.common.model import OVN, DesiredService, NodeView
from octavia_lb.worker.cloud.observed import OsPort, OsSecurityGroup, OsSecurityRule, server_id
from octavia_lb.worker.plan.steps import (
    CreateSecurityGroup,
    CreateSecurityGroupRule,
    DeleteSecurityGroup,
    DeleteSecurityGroupRule,
    NeutronStep,
    SetPortSecurityGroups,
)


@dataclass(frozen=True, order=True)
class Rule:
    """What OCCM compares rules on: direction, protocol (any case), ethertype, remote prefix, port range."""

    protocol: str
    port: int
    remote_ip_prefix: str
    ethertype: str
    direction: str = "ingress"

    def body(self, group_id: str) -> dict[str, Any]:
        return {
            "security_group_id": group_id,
            "direction": self.direction,
            "protocol": self.protocol,
            "ethertype": self.ethertype,
            "port_range_min": self.port,
            "port_range_max": self.port,
            "remote_ip_prefix": self.remote_ip_prefix,
        }


def ethertype(cidr: str) -> str:
    return "IPv6" if ipaddress.ip_network(cidr, strict=False).version == 6 else "IPv4"


def wanted_rules(
    node_ports: Iterable[tuple[str, int]], sources: Iterable[str], health_port: int = 0, member_cidr: str = ""
) -> frozenset[Rule]:
    """One ingress rule per (protocol, NodePort) and source CIDR, plus TCP to the health-check NodePort from
    the member subnet (as OCCM: the health checks come from the load balancer, whatever the sources).

    NodePort 0 (allocateLoadBalancerNodePorts: false) opens nothing.
    """
    ports = {(protocol.lower(), port) for protocol, port in node_ports if port}
    rules = {Rule(protocol, port, cidr, ethertype(cidr)) for protocol, port in ports for cidr in sources}
    if health_port and member_cidr:
        rules.add(Rule("tcp", health_port, member_cidr, ethertype(member_cidr)))
    return frozenset(rules)


def rule_of(observed: OsSecurityRule) -> Rule | None:
    """The comparable form of a Neutron rule, or None for one we would never create (always deleted)."""
    low, high = observed.port_range_min, observed.port_range_max
    if (
        observed.protocol is None
        or observed.remote_ip_prefix is None
        or observed.remote_group_id
        or low is None
        or low != high
    ):
        return None
    return Rule(
        observed.protocol.lower(), low, observed.remote_ip_prefix, observed.ethertype, observed.direction
    )


def rule_changes(wanted: frozenset[Rule], observed: Sequence[OsSecurityRule]) -> tuple[list[Rule], list[str]]:
    """(rules to create, ids of rules to delete)."""
    have: dict[Rule, str] = {}
    stale: list[str] = []
    for rule in observed:
        key = rule_of(rule)
        if key is None or key not in wanted or key in have:
            stale.append(rule.id)
        else:
            have[key] = rule.id
    return sorted(wanted - set(have)), stale


def member_ports(ports: Sequence[OsPort], address: str, subnet_id: str | None) -> list[OsPort]:
    """A node's ports that carry its member address (on the member subnet, when one is set) and can hold
    a security group (port security on)."""
    return [
        port
        for port in ports
        if port.port_security_enabled
        and any(ip == address and (not subnet_id or subnet == subnet_id) for subnet, ip in port.addresses)
    ]


# ---- the wish ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Place:
    """The load balancer's VIP subnet and provider, and the Service's source ranges."""

    vip_subnet_id: str
    provider: str
    source_ranges: Sequence[str]


@dataclass(frozen=True)
class Holder:
    """A member address on a node: the node's ports holding it (on `subnet_id`) must carry the group."""

    server_id: str
    address: str
    subnet_id: str


@dataclass(frozen=True)
class GroupWish:
    name: str
    description: str
    rules: frozenset[Rule]
    holders: tuple[Holder, ...]

    @property
    def servers(self) -> list[str]:
        """The servers whose ports are read, each once, in node order."""
        return list(dict.fromkeys(h.server_id for h in self.holders))


def group_name(service: Mapping[str, Any]) -> str:
    meta = service.get("metadata") or {}
    return naming.security_group_name(meta.get("uid", ""), meta.get("namespace", ""), meta.get("name", ""))


def member_subnets(want: DesiredService, vip_subnet_id: str) -> list[str]:
    """The member subnet (the VIP subnet when members name none), then a dual-stack Service's other one:
    the NodePorts open from each one's CIDR."""
    members = [m for listener in want.listeners for m in listener.pool.members]
    first = next((m.subnet_id for m in members if m.subnet_id), None) or vip_subnet_id
    return list(dict.fromkeys([first, *(m.subnet_id for m in members if m.subnet_id)]))


def group_wish(
    service: Mapping[str, Any],
    cluster: str,
    want: DesiredService,
    nodes: Sequence[NodeView],
    cidrs: Sequence[str],
    place: Place,
) -> GroupWish:
    """The group this Service wants; `cidrs` are those of `member_subnets(want, place.vip_subnet_id)`."""
    meta = service.get("metadata") or {}
    spec = service.get("spec") or {}
    node_ports = [(p.get("protocol") or "TCP", int(p.get("nodePort") or 0)) for p in spec.get("ports") or ()]
    # OCCM opens spec.healthCheckNodePort whenever it is set, whatever the monitor type
    health_port = int(spec.get("healthCheckNodePort") or 0)
    sources = list(place.source_ranges) if place.provider == OVN and place.source_ranges else list(cidrs)
    rules = frozenset[Rule]().union(*(wanted_rules(node_ports, sources, health_port, c) for c in cidrs))
    default_subnet = member_subnets(want, place.vip_subnet_id)[0]
    on = {m.address: m.subnet_id or default_subnet for li in want.listeners for m in li.pool.members}
    holders = tuple(
        Holder(server, address, on[address])
        for node in nodes
        if (server := server_id(node.provider_id))
        for _, address in node.addresses
        if address in on  # by address: serial-mode member names differ
    )
    return GroupWish(
        group_name(service),
        naming.security_group_description(cluster, meta.get("namespace", ""), meta.get("name", "")),
        rules,
        holders,
    )


# ---- the steps -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupSeen:
    """The group of the wish's name (None: missing), the ports of each holder's server, and the ports that
    carry the group now."""

    group: OsSecurityGroup | None
    server_ports: Mapping[str, Sequence[OsPort]] = field(default_factory=dict)
    ports_with_group: Sequence[OsPort] = ()


def group_steps(wish: GroupWish, seen: GroupSeen) -> list[NeutronStep]:
    """The writes that make `seen` match `wish`. A missing group is created alone: the rest names its id,
    so plan again with the group the create returns (it comes with Neutron's default rules)."""
    group = seen.group
    if group is None:
        return [
            CreateSecurityGroup(wish.name, wish.description, describe=f"create security group {wish.name}")
        ]
    create, delete = rule_changes(wish.rules, group.rules)
    steps: list[NeutronStep] = [
        CreateSecurityGroupRule(
            rule.body(group.id), describe=f"open {rule.protocol} {rule.port} from {rule.remote_ip_prefix}"
        )
        for rule in create
    ]
    steps += [DeleteSecurityGroupRule(rule_id, describe=f"delete rule {rule_id}") for rule_id in delete]
    wanted: set[str] = set()
    for holder in wish.holders:
        for port in member_ports(
            seen.server_ports.get(holder.server_id, ()), holder.address, holder.subnet_id
        ):
            if group.id not in port.security_groups and port.id not in wanted:
                steps.append(
                    SetPortSecurityGroups(
                        port.id,
                        [*port.security_groups, group.id],
                        describe=f"put security group {group.name} on port {port.id}",
                    )
                )
            wanted.add(port.id)
    steps += [_detach(port, group) for port in seen.ports_with_group if port.id not in wanted]
    return steps


def removal_steps(group: OsSecurityGroup, ports_with_group: Sequence[OsPort]) -> list[NeutronStep]:
    """Off every port, then gone (Neutron refuses to delete a group still in use)."""
    steps: list[NeutronStep] = [_detach(port, group) for port in ports_with_group]
    steps.append(DeleteSecurityGroup(group.id, describe=f"delete security group {group.name}"))
    return steps


def _detach(port: OsPort, group: OsSecurityGroup) -> SetPortSecurityGroups:
    # its node left, or no longer holds the member address
    return SetPortSecurityGroups(
        port.id,
        [g for g in port.security_groups if g != group.id],
        describe=f"take security group {group.name} off port {port.id}",
    )
