"""The writes a planner can ask for: one frozen dataclass per cloud write, run by `reconcile.apply.run_step`.

Each step names its Gateway method (`call`, for logs, the memo and the preview) and carries that method's
arguments as typed fields, so the executor's `match` is checked by mypy against the Gateway's signatures
and a planner cannot build a call the Gateway does not have. `describe` is the human text that is logged
and shown as the Service's progress. Pure data: nothing here talks to a cloud.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from octavia_lb.worker.cloud.observed import (
    FloatingIpId,
    ListenerId,
    LoadBalancerId,
    MonitorId,
    PoolId,
)


@dataclass(frozen=True)
class _Write:
    call: ClassVar[str]
    describe: str = field(default="", kw_only=True, compare=False)

    @property
    def args(self) -> tuple[Any, ...]:
        """The Gateway method's positional arguments, in its order (the fields' order)."""
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "describe")


# ---- Octavia ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CreateLoadBalancer(_Write):
    call: ClassVar[str] = "create_load_balancer"
    body: dict[str, Any]


@dataclass(frozen=True)
class UpdateLoadBalancer(_Write):
    call: ClassVar[str] = "update_load_balancer"
    lb_id: LoadBalancerId
    body: dict[str, Any]


@dataclass(frozen=True)
class DeleteLoadBalancer(_Write):
    call: ClassVar[str] = "delete_load_balancer"
    lb_id: LoadBalancerId
    cascade: bool


@dataclass(frozen=True)
class CreateListener(_Write):
    call: ClassVar[str] = "create_listener"
    body: dict[str, Any]


@dataclass(frozen=True)
class UpdateListener(_Write):
    call: ClassVar[str] = "update_listener"
    listener_id: ListenerId
    body: dict[str, Any]


@dataclass(frozen=True)
class DeleteListener(_Write):
    call: ClassVar[str] = "delete_listener"
    listener_id: ListenerId


@dataclass(frozen=True)
class CreatePool(_Write):
    call: ClassVar[str] = "create_pool"
    body: dict[str, Any]


@dataclass(frozen=True)
class UpdatePool(_Write):
    call: ClassVar[str] = "update_pool"
    pool_id: PoolId
    body: dict[str, Any]


@dataclass(frozen=True)
class DeletePool(_Write):
    call: ClassVar[str] = "delete_pool"
    pool_id: PoolId


@dataclass(frozen=True)
class ReplaceMembers(_Write):
    """The batch member update: one PUT sets the pool's whole member list."""

    call: ClassVar[str] = "replace_members"
    pool_id: PoolId
    members: list[dict[str, Any]]


@dataclass(frozen=True)
class CreateMember(_Write):
    call: ClassVar[str] = "create_member"
    pool_id: PoolId
    body: dict[str, Any]


@dataclass(frozen=True)
class DeleteMember(_Write):
    call: ClassVar[str] = "delete_member"
    pool_id: PoolId
    member_id: str


@dataclass(frozen=True)
class CreateMonitor(_Write):
    call: ClassVar[str] = "create_monitor"
    body: dict[str, Any]


@dataclass(frozen=True)
class UpdateMonitor(_Write):
    call: ClassVar[str] = "update_monitor"
    monitor_id: MonitorId
    body: dict[str, Any]


@dataclass(frozen=True)
class DeleteMonitor(_Write):
    call: ClassVar[str] = "delete_monitor"
    monitor_id: MonitorId


# ---- Neutron: floating IPs ----------------------------------------------------------------------
@dataclass(frozen=True)
class CreateFloatingIp(_Write):
    """Create a floating IP from the first of `attempts` Neutron accepts (OCCM tries each matching subnet
    in turn: one may be full). `args` is the first attempt, which is what a preview shows."""

    call: ClassVar[str] = "create_floating_ip"
    attempts: tuple[dict[str, Any], ...]

    @property
    def args(self) -> tuple[Any, ...]:
        return (self.attempts[0],)


@dataclass(frozen=True)
class AttachFloatingIp(_Write):
    """Point a floating IP at a port, or (`port_id` None) detach it."""

    call: ClassVar[str] = "attach_floating_ip"
    fip_id: FloatingIpId
    port_id: str | None


@dataclass(frozen=True)
class DeleteFloatingIp(_Write):
    call: ClassVar[str] = "delete_floating_ip"
    fip_id: FloatingIpId


# ---- Neutron: security groups -------------------------------------------------------------------
@dataclass(frozen=True)
class CreateSecurityGroup(_Write):
    call: ClassVar[str] = "create_security_group"
    name: str
    description: str


@dataclass(frozen=True)
class DeleteSecurityGroup(_Write):
    call: ClassVar[str] = "delete_security_group"
    group_id: str


@dataclass(frozen=True)
class CreateSecurityGroupRule(_Write):
    call: ClassVar[str] = "create_security_group_rule"
    body: dict[str, Any]


@dataclass(frozen=True)
class DeleteSecurityGroupRule(_Write):
    call: ClassVar[str] = "delete_security_group_rule"
    rule_id: str


@dataclass(frozen=True)
class SetPortSecurityGroups(_Write):
    call: ClassVar[str] = "set_port_security_groups"
    port_id: str
    groups: list[str]


OctaviaStep = (
    CreateLoadBalancer
    | UpdateLoadBalancer
    | DeleteLoadBalancer
    | CreateListener
    | UpdateListener
    | DeleteListener
    | CreatePool
    | UpdatePool
    | DeletePool
    | ReplaceMembers
    | CreateMember
    | DeleteMember
    | CreateMonitor
    | UpdateMonitor
    | DeleteMonitor
)
NeutronStep = (
    CreateFloatingIp
    | AttachFloatingIp
    | DeleteFloatingIp
    | CreateSecurityGroup
    | DeleteSecurityGroup
    | CreateSecurityGroupRule
    | DeleteSecurityGroupRule
    | SetPortSecurityGroups
)
Step = OctaviaStep | NeutronStep
