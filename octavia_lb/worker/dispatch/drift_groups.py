"""The security-group half of the drift check (cloud.conf `manage-security-groups = true`).

The worker (`reconcile.security_group`) reads, per Service, the member subnets, the group by name and the
ports of every member node, then the ports holding the group. Here one bulk view serves every Service: all
security groups of the project (their rules come embedded), all ports, and each member subnet's CIDR once
per resync. The decision is the worker's own planner (`plan.security_group.group_steps`) run on that view,
so the resync finds exactly what the worker would change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from octavia_lb.common.model import DesiredService, NodeView
from octavia_lb.worker.cloud.gateway import Gateway
from octavia_lb.worker.cloud.observed import OsPort, OsSecurityGroup
from octavia_lb.worker.plan import security_group as plan
from octavia_lb.worker.plan.security_group import GroupSeen, Place
from octavia_lb.worker.plan.steps import (
    CreateSecurityGroup,
    CreateSecurityGroupRule,
    DeleteSecurityGroupRule,
    NeutronStep,
    SetPortSecurityGroups,
)


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
    """What the worker's security group planner would change for this Service, or None."""
    cidrs: list[str] = []
    for subnet in plan.member_subnets(want, vip_subnet_id):
        cidr = view.cidr(subnet) if subnet else None
        if cidr is None:
            return f"member subnet {subnet!r} not found"
        cidrs.append(cidr)
    place = Place(vip_subnet_id, provider, source_ranges)
    wish = plan.group_wish(service, "", want, nodes, cidrs, place)  # the description is not compared
    found = view.groups.get(wish.name, [])
    group = found[0] if found else None  # as `find_security_group`: the first of that name
    seen = GroupSeen(
        group,
        {server: view.ports_of_server.get(server, []) for server in wish.servers},
        view.ports_with_group.get(group.id, []) if group is not None else [],
    )
    steps = plan.group_steps(wish, seen)
    return _reason(wish.name, group, steps) if steps else None


def _reason(name: str, group: OsSecurityGroup | None, steps: list[NeutronStep]) -> str:
    if group is None or isinstance(steps[0], CreateSecurityGroup):
        return f"security group {name} missing"
    create = sum(isinstance(s, CreateSecurityGroupRule) for s in steps)
    delete = sum(isinstance(s, DeleteSecurityGroupRule) for s in steps)
    if create or delete:
        return f"security group {name}: {create} rules to add, {delete} to remove"
    port = next(s for s in steps if isinstance(s, SetPortSecurityGroups))
    where = "missing on" if group.id in port.groups else "still on"
    return f"security group {name} {where} port {port.port_id}"
