"""The deployer's I/O half: observe one load balancer tree through the gateway, and run a planned step.

Observation is as cheap as Octavia allows: one list of listeners and one of pools per load balancer
(filtered by `loadbalancer_id`), members only for pools that have some, monitors only where a pool
names one.
"""

from __future__ import annotations

import logging

from octavia_lb.worker.cloud.gateway import Gateway
from octavia_lb.worker.cloud.observed import ListenerState, Observed, OsLoadBalancer, PoolState
from octavia_lb.worker.plan.load_balancer import Step
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


def run_step(gateway: Gateway, step: Step, who: str) -> None:
    """Apply one planned write; the caller requeues, since the load balancer is now PENDING_UPDATE."""
    log.info("%s: %s", who, step.describe)
    getattr(gateway, step.call)(*step.args)
