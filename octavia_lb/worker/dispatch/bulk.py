"""The whole cloud in a few paginated lists, for the resync's drift check.

A per-Service reconcile of a settled Service reads its load balancer, listeners, pools, members (per pool),
monitors and floating IP: about 7 requests per Service. A resync instead lists every load balancer,
listener and pool of the project (Octavia pages of 1000) and every floating IP (Neutron), then assembles
each load balancer's `Observed` tree, exactly the shape the worker's `observe` builds, so the planner
compares the same thing.

Members and monitors come from `ChildCache`: Octavia has no project-wide member list (only
`GET /pools/{id}/members`), and a pool's listing carries its member ids and monitor id. Octavia marks the
load balancer PENDING_UPDATE on every write to any of its children, which sets the load balancer's
`updated_at`. So the members and monitor read at an earlier resync stand while the pool lists the same
member ids and monitor id and the load balancer the same `updated_at`; only pools that changed (or were
never read) cost a request, and when many monitors are unknown (a new leader) one bulk monitor list
replaces the single reads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from octavia_lb.worker.cloud.gateway import Gateway
from octavia_lb.worker.cloud.observed import (
    ListenerState,
    Observed,
    OsFloatingIP,
    OsListener,
    OsLoadBalancer,
    OsMember,
    OsMonitor,
    OsPool,
    PoolState,
)

log = logging.getLogger(__name__)

# An entry is cached only when its load balancer's last write is this old: Octavia's timestamps have
# one-second resolution, so a second write within the same second would not change `updated_at`.
SETTLED_SECONDS = 3.0


def _lb_of(body: dict[str, Any]) -> str:
    refs = body.get("loadbalancers") or ()
    return refs[0]["id"] if refs else ""


def _age(stamp: str | None, now: datetime) -> float:
    """Seconds since an Octavia timestamp (naive UTC ISO); 0 when absent or unreadable."""
    if not stamp:
        return 0.0
    try:
        when = datetime.fromisoformat(stamp.rstrip("Z")).replace(tzinfo=UTC)
    except ValueError:
        return 0.0
    return (now - when).total_seconds()


@dataclass
class ChildCache:
    """Members and monitor per pool, valid while the pool's member ids and monitor id and the load
    balancer's updated_at are unchanged."""

    entries: dict[str, tuple[frozenset[str], str, tuple[OsMember, ...]]] = field(default_factory=dict)
    monitors: dict[str, tuple[str, str, OsMonitor]] = field(default_factory=dict)

    def get(self, pool: OsPool, lb_stamp: str | None) -> tuple[OsMember, ...] | None:
        entry = self.entries.get(pool.id)
        if entry is None or not lb_stamp:
            return None
        ids, stamp, members = entry
        return members if ids == pool.member_ids and stamp == lb_stamp else None

    def put(self, pool: OsPool, lb_stamp: str | None, members: tuple[OsMember, ...], settled: bool) -> None:
        if lb_stamp and settled and {m.id for m in members} == pool.member_ids:
            self.entries[pool.id] = (pool.member_ids, lb_stamp, members)
        else:
            self.entries.pop(pool.id, None)

    def monitor(self, pool: OsPool, lb_stamp: str | None) -> OsMonitor | None:
        entry = self.monitors.get(pool.id)
        if entry is None or not lb_stamp:
            return None
        monitor_id, stamp, monitor = entry
        return monitor if monitor_id == pool.monitor_id and stamp == lb_stamp else None

    def put_monitor(self, pool: OsPool, lb_stamp: str | None, monitor: OsMonitor, settled: bool) -> None:
        if lb_stamp and settled and monitor.id == pool.monitor_id:
            self.monitors[pool.id] = (monitor.id, lb_stamp, monitor)
        else:
            self.monitors.pop(pool.id, None)

    def keep_only(self, pool_ids: Iterable[str]) -> None:
        """Forget pools that no longer exist (bounded memory)."""
        alive = set(pool_ids)
        for table in (self.entries, self.monitors):
            for pool_id in [p for p in table if p not in alive]:
                del table[pool_id]


@dataclass
class Snapshot:
    """Every load balancer of the project with its children, indexed for the drift check."""

    gateway: Gateway
    cache: ChildCache
    lbs: dict[str, OsLoadBalancer]
    stamps: dict[str, str | None]
    by_name: dict[str, list[OsLoadBalancer]]
    listeners: dict[str, list[OsListener]]
    pools: dict[str, list[OsPool]]
    fips: dict[str, OsFloatingIP]
    now: datetime
    monitors: dict[str, OsMonitor] | None = None  # the bulk monitor list, when `prefetch` took it

    def prefetch(self, lb_ids: Iterable[str]) -> None:
        """One paginated monitor list instead of single reads, when more monitors of these load balancers
        are unknown than that list has pages (a new leader's first resync)."""
        unknown = 0
        for lb_id in lb_ids:
            stamp = self.stamps.get(lb_id)
            for pool in self.pools.get(lb_id, ()):
                if pool.monitor_id and self.cache.monitor(pool, stamp) is None:
                    unknown += 1
        total = sum(1 for group in self.pools.values() for pool in group if pool.monitor_id)
        if unknown > total // 1000 + 1:
            bodies = self.gateway.list_all("healthmonitors")
            self.monitors = {m.id: m for m in map(OsMonitor.from_api, bodies)}

    def find_by_name(self, name: str) -> list[OsLoadBalancer]:
        """As `Gateway.find_load_balancers`: deleted or being deleted ones do not count."""
        found = self.by_name.get(name, [])
        return [lb for lb in found if lb.provisioning_status not in ("DELETED", "PENDING_DELETE")]

    def _monitor(self, pool: OsPool, stamp: str | None, settled: bool) -> OsMonitor | None:
        monitor = self.cache.monitor(pool, stamp)
        if monitor is not None or pool.monitor_id is None:
            return monitor
        if self.monitors is not None:
            monitor = self.monitors.get(pool.monitor_id)
        else:
            monitor = self.gateway.get_monitor(pool.monitor_id)
        if monitor is not None:
            self.cache.put_monitor(pool, stamp, monitor, settled)
        return monitor

    def observed(self, lb: OsLoadBalancer) -> Observed:
        """The tree of `lb` as `apply.observe` reads it, floating IP included; members read if needed."""
        stamp = self.stamps.get(lb.id)
        settled = lb.provisioning_status == "ACTIVE" and _age(stamp, self.now) >= SETTLED_SECONDS
        pools: dict[str, PoolState] = {}
        for pool in self.pools.get(lb.id, ()):
            members: tuple[OsMember, ...] = ()
            if pool.member_ids:
                cached = self.cache.get(pool, stamp)
                if cached is None:
                    cached = tuple(self.gateway.list_members(pool.id))
                    self.cache.put(pool, stamp, cached, settled)
                members = cached
            monitor = self._monitor(pool, stamp, settled) if pool.monitor_id else None
            pools[pool.id] = PoolState(pool, members, monitor)
        listeners = []
        for listener in self.listeners.get(lb.id, ()):
            state = pools.pop(listener.default_pool_id, None) if listener.default_pool_id else None
            listeners.append(ListenerState(listener, state))
        return Observed(
            lb=lb,
            listeners=tuple(listeners),
            orphan_pools=tuple(pools.values()),
            floating_ip=self.fips.get(lb.vip_port_id) if lb.vip_port_id else None,
        )


def take_snapshot(gateway: Gateway, cache: ChildCache, with_fips: bool = True) -> Snapshot:
    """Three Octavia lists (paginated) and one Neutron list; members and monitors come later, per pool,
    where the cache cannot vouch for them (`Snapshot.prefetch`, `Snapshot.observed`)."""
    now = datetime.now(UTC)
    lbs: dict[str, OsLoadBalancer] = {}
    stamps: dict[str, str | None] = {}
    by_name: dict[str, list[OsLoadBalancer]] = {}
    for body in gateway.list_all("loadbalancers"):
        lb = OsLoadBalancer.from_api(body)
        lbs[lb.id] = lb
        stamps[lb.id] = body.get("updated_at") or body.get("created_at")
        by_name.setdefault(lb.name, []).append(lb)
    listeners: dict[str, list[OsListener]] = {}
    for body in gateway.list_all("listeners"):
        listeners.setdefault(_lb_of(body), []).append(OsListener.from_api(body))
    pools: dict[str, list[OsPool]] = {}
    for body in gateway.list_all("pools"):
        pools.setdefault(_lb_of(body), []).append(OsPool.from_api(body))
    fips: dict[str, OsFloatingIP] = {}
    if with_fips:
        for fip in map(OsFloatingIP.from_api, gateway.neutron_list("floatingips", "floatingips")):
            if fip.port_id:
                fips.setdefault(fip.port_id, fip)
    cache.keep_only(p.id for group in pools.values() for p in group)
    return Snapshot(gateway, cache, lbs, stamps, by_name, listeners, pools, fips, now)
