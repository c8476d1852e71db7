"""The security-group half of the drift check (cloud.conf `manage-security-groups = true`).

`SecurityGroups.ensure` reads, per Service, the member subnet, the group by name and the ports of every
member node, then the ports holding the group. Here one bulk view serves every Service: all security groups
of the project (their rules come embedded), all ports, and each member subnet's CIDR once per resync. The
comparison uses the worker's own pure helpers (`wanted_rules`, `rule_changes`, `member_ports`) and follows
`ensure` step by step (keep the two in step), so it finds exactly what `ensure` would change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from octavia_lb.common import naming
from octavia_lb.common.model import OVN, DesiredService, NodeView
from octavia_lb.worker.cloud.gateway import Gateway
from octavia_lb.worker.cloud.observed import OsPort, OsSecurityGroup, server_id
from octavia_lb.worker.plan.security_group import member_ports, rule_changes, wanted_rules


@dataclass
class GroupView:
    """Every security group (by name) and port (by server and by group) of the project."""

    gateway: Gateway
    groups: dict[str, list[OsSecurityGroup]]
    ports_of_server: dict[str, list[OsPort]]
    ports_with_group: dict[str, list[OsPort]]
    cidrs: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def take(cls, gateway: Gateway) -> GroupView:
        groups: dict[str, list[OsSecurityGroup]] = {}
        for body in gateway.neutron_list("security-groups", "security_groups"):
            group = OsSecurityGroup.from_api(body)
            groups.setdefault(group.name, []).append(group)
        by_server: dict[str, list[OsPort]] = {}
        by_group: dict[str, list[OsPort]] = {}
        for port in map(OsPort.from_api, gateway.neutron_list("ports", "ports")):
            by_server.setdefault(port.device_id, []).append(port)
            for group_id in port.security_groups:
                by_group.setdefault(group_id, []).append(port)
        return cls(gateway, groups, by_server, by_group)

    def cidr(self, subnet_id: str) -> str | None:
        if subnet_id not in self.cidrs:
            self.cidrs[subnet_id] = self.gateway.subnet_cidr(subnet_id)
        return self.cidrs[subnet_id]


def group_drift(
    service: Mapping[str, Any],
    want: DesiredService,
    nodes: Sequence[NodeView],
    view: GroupView,
    vip_subnet_id: str,
    provider: str,
    source_ranges: Sequence[str],
) -> str | None:
    """What `SecurityGroups.ensure` would change for this Service, or None."""
    meta = service.get("metadata") or {}
    name = naming.security_group_name(meta.get("uid", ""), meta.get("namespace", ""), meta.get("name", ""))
    members = [m for listener in want.listeners for m in listener.pool.members]
    subnet_id = next((m.subnet_id for m in members if m.subnet_id), None) or vip_subnet_id
    # a dual-stack Service's members sit on a subnet of each family: the NodePorts open from both
    subnets = list(dict.fromkeys([subnet_id, *(m.subnet_id for m in members if m.subnet_id)]))
    cidrs: list[str] = []
    for subnet in subnets:
        cidr = view.cidr(subnet) if subnet else None
        if cidr is None:
            return f"member subnet {subnet!r} not found"
        cidrs.append(cidr)
    found = view.groups.get(name, [])
    if not found:
        return f"security group {name} missing"
    group = found[0]  # as `find_security_group`: the first of that name
    spec = service.get("spec") or {}
    node_ports = [(p.get("protocol") or "TCP", int(p.get("nodePort") or 0)) for p in spec.get("ports") or ()]
    health_port = int(spec.get("healthCheckNodePort") or 0)
    sources = list(source_ranges) if provider == OVN and source_ranges else cidrs
    wanted_set = frozenset().union(*(wanted_rules(node_ports, sources, health_port, c) for c in cidrs))
    create, delete = rule_changes(wanted_set, group.rules)
    if create or delete:
        return f"security group {name}: {len(create)} rules to add, {len(delete)} to remove"
    on = {m.address: m.subnet_id or subnet_id for m in members}
    wanted: set[str] = set()
    for node in nodes:
        server = server_id(node.provider_id)
        for _, address in node.addresses:
            if address not in on or not server:
                continue
            for port in member_ports(view.ports_of_server.get(server, []), address, on[address]):
                wanted.add(port.id)
                if group.id not in port.security_groups:
                    return f"security group {name} missing on port {port.id}"
    for port in view.ports_with_group.get(group.id, []):
        if port.id not in wanted:
            return f"security group {name} still on port {port.id}"
    return None
