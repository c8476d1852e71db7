"""The deployer's I/O half: observe one load balancer tree through the gateway, and run a planned step.

Observation is as cheap as Octavia allows: one list of listeners and one of pools per load balancer
(filtered by `loadbalancer_id`), members only for pools that have some, monitors only where a pool
names one.
"""

from __future__ import annotations

import logging
from typing import assert_never, overload

from octavia_lb.worker.cloud.errors import PermanentError, ReconcileError
from octavia_lb.worker.cloud.gateway import Gateway
from octavia_lb.worker.cloud.observed import (
    ListenerState,
    Observed,
    OsFloatingIP,
    OsLoadBalancer,
    OsSecurityGroup,
    PoolState,
)
from octavia_lb.worker.plan.steps import (
    AttachFloatingIp,
    CreateFloatingIp,
    CreateListener,
    CreateLoadBalancer,
    CreateMember,
    CreateMonitor,
    CreatePool,
    CreateSecurityGroup,
    CreateSecurityGroupRule,
    DeleteFloatingIp,
    DeleteListener,
    DeleteLoadBalancer,
    DeleteMember,
    DeleteMonitor,
    DeletePool,
    DeleteSecurityGroup,
    DeleteSecurityGroupRule,
    ReplaceMembers,
    SetPortSecurityGroups,
    Step,
    UpdateListener,
    UpdateLoadBalancer,
    UpdateMonitor,
    UpdatePool,
)
from octavia_lb.worker.reconcile.memo import EMPTY, Memo, fits

log = logging.getLogger(__name__)


def observe(gateway: Gateway, lb: OsLoadBalancer, with_fip: bool = True, memo: Memo = EMPTY) -> Observed:
    """The whole tree of `lb` plus the floating IP on its VIP port. What `memo` still vouches for (see
    memo.py) stands in for reading it again."""
    lists = memo.lists_for(lb.pool_ids)
    os_listeners, os_pools = lists if lists is not None else (None, gateway.list_pools(lb))
    pools = {}
    for pool in os_pools:
        remembered = memo.pools.get(pool.id)
        if remembered is not None and fits(remembered, pool):
            members, monitor = remembered[1], remembered[2]
        else:
            members = tuple(gateway.list_members(pool.id)) if pool.member_ids else ()
            monitor = gateway.get_monitor(pool.monitor_id) if pool.monitor_id else None
        pools[pool.id] = PoolState(pool, members, monitor)
    listeners = []
    for listener in os_listeners if os_listeners is not None else gateway.list_listeners(lb.id):
        state = pools.pop(listener.default_pool_id, None) if listener.default_pool_id else None
        listeners.append(ListenerState(listener, state))
    fips = gateway.floating_ips(port_id=lb.vip_port_id) if with_fip and lb.vip_port_id else []
    return Observed(
        lb=lb,
        listeners=tuple(listeners),
        orphan_pools=tuple(pools.values()),
        floating_ip=fips[0] if fips else None,
    )


Created = OsLoadBalancer | OsFloatingIP | OsSecurityGroup | None


@overload
def run_step(gateway: Gateway, step: CreateLoadBalancer, who: str) -> OsLoadBalancer: ...
@overload
def run_step(gateway: Gateway, step: CreateFloatingIp, who: str) -> OsFloatingIP: ...
@overload
def run_step(gateway: Gateway, step: CreateSecurityGroup, who: str) -> OsSecurityGroup: ...
@overload
def run_step(gateway: Gateway, step: Step, who: str) -> Created: ...
def run_step(gateway: Gateway, step: Step, who: str) -> Created:
    """Apply one planned write (logged with its description); a create returns what it made. After an
    Octavia step the caller requeues, since the load balancer is now PENDING_UPDATE."""
    log.info("%s: %s", who, step.describe)
    match step:
        case CreateLoadBalancer():
            return gateway.create_load_balancer(step.body)
        case UpdateLoadBalancer():
            gateway.update_load_balancer(step.lb_id, step.body)
        case DeleteLoadBalancer():
            gateway.delete_load_balancer(step.lb_id, step.cascade)
        case CreateListener():
            gateway.create_listener(step.body)
        case UpdateListener():
            gateway.update_listener(step.listener_id, step.body)
        case DeleteListener():
            gateway.delete_listener(step.listener_id)
        case CreatePool():
            gateway.create_pool(step.body)
        case UpdatePool():
            gateway.update_pool(step.pool_id, step.body)
        case DeletePool():
            gateway.delete_pool(step.pool_id)
        case ReplaceMembers():
            gateway.replace_members(step.pool_id, step.members)
        case CreateMember():
            gateway.create_member(step.pool_id, step.body)
        case DeleteMember():
            gateway.delete_member(step.pool_id, step.member_id)
        case CreateMonitor():
            gateway.create_monitor(step.body)
        case UpdateMonitor():
            gateway.update_monitor(step.monitor_id, step.body)
        case DeleteMonitor():
            gateway.delete_monitor(step.monitor_id)
        case CreateFloatingIp():
            return _create_floating_ip(gateway, step)
        case AttachFloatingIp():
            gateway.attach_floating_ip(step.fip_id, step.port_id)
        case DeleteFloatingIp():
            gateway.delete_floating_ip(step.fip_id)
        case CreateSecurityGroup():
            return gateway.create_security_group(step.name, step.description)
        case DeleteSecurityGroup():
            gateway.delete_security_group(step.group_id)
        case CreateSecurityGroupRule():
            gateway.create_security_group_rule(step.body)
        case DeleteSecurityGroupRule():
            gateway.delete_security_group_rule(step.rule_id)
        case SetPortSecurityGroups():
            gateway.set_port_security_groups(step.port_id, step.groups)
        case _:
            assert_never(step)
    return None


def _create_floating_ip(gateway: Gateway, step: CreateFloatingIp) -> OsFloatingIP:
    """The first attempt Neutron accepts (a subnet may be full); the last refusal when none is."""
    last: ReconcileError = PermanentError("no subnet to create the floating IP in")
    for body in step.attempts:
        try:
            return gateway.create_floating_ip(body)
        except ReconcileError as exc:
            last = exc
    raise type(last)(f"error creating LB floatingip: {last.message}") from last
