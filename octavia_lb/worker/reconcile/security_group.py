"""The security group's I/O half (cloud.conf `manage-security-groups`): read what `plan.security_group` needs,
plan, run the steps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from octavia_lb.common.model import DesiredService, NodeView
from octavia_lb.worker.cloud.errors import PermanentError, ReconcileError
from octavia_lb.worker.cloud.gateway import Gateway
from octavia_lb.worker.plan import security_group as plan
from octavia_lb.worker.plan.security_group import GroupSeen, Place
from octavia_lb.worker.plan.steps import CreateSecurityGroup
from octavia_lb.worker.reconcile.apply import run_step


@contextmanager
def _explained(prefix: str) -> Iterator[None]:
    """Re-raise a failed call with `prefix` in front of its message (and its kind kept, for the retry)."""
    try:
        yield
    except ReconcileError as exc:
        raise type(exc)(f"{prefix}: {exc.message}") from exc


class SecurityGroups:
    """One Service's security group, brought in step or removed."""

    def __init__(self, gateway: Gateway, service: Mapping[str, Any], cluster: str) -> None:
        meta = service["metadata"]
        self.gateway = gateway
        self.service = service
        self.cluster = cluster
        self.key = f"{meta['namespace']}/{meta['name']}"
        self.name = plan.group_name(service)

    def ensure(self, want: DesiredService, nodes: Sequence[NodeView], place: Place) -> None:
        with _explained(f"failed when reconciling security groups for LB service {self.key}"):
            cidrs = [self._cidr(subnet) for subnet in plan.member_subnets(want, place.vip_subnet_id)]
            wish = plan.group_wish(self.service, self.cluster, want, nodes, cidrs, place)
            group = self.gateway.find_security_group(self.name)
            seen = GroupSeen(
                group,
                {server: self.gateway.ports(device_id=server) for server in wish.servers},
                self.gateway.ports(security_groups=[group.id]) if group is not None else (),
            )
            steps = plan.group_steps(wish, seen)
            if steps and isinstance(steps[0], CreateSecurityGroup):
                # a new group carries Neutron's default rules and is on no port yet: plan the rest on it
                seen = dataclasses.replace(seen, group=run_step(self.gateway, steps[0], self.key))
                steps = plan.group_steps(wish, seen)
            for step in steps:
                run_step(self.gateway, step, self.key)

    def _cidr(self, subnet: str) -> str:
        cidr = self.gateway.subnet_cidr(subnet) if subnet else None
        if cidr is None:
            raise PermanentError(f"cannot find the member subnet {subnet!r} to open the NodePorts from")
        return cidr

    def delete(self) -> None:
        """Off every port, then gone; nothing to do when it does not exist."""
        with _explained(f"failed to delete security group {self.name}"):
            group = self.gateway.find_security_group(self.name)
            if group is None:
                return
            for step in plan.removal_steps(group, self.gateway.ports(security_groups=[group.id])):
                run_step(self.gateway, step, self.key)
