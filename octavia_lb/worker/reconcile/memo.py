"""A memo of what one multi-step convergence has read (or just written), kept in Redis between its runs.

A convergence makes one Octavia write per run, and reading the whole tree again on every run would cost
more requests than the writes. Between the runs of one convergence the memo keeps, per pool, the members
and monitor last seen; an entry stands for its pool only while the pool still lists the same member ids
and monitor id (another writer changes those). After a member-only write (the batch member PUT, what node
churn causes), the listener and pool lists are kept too, while the load balancer still lists the same
pools. The written members are remembered as written, which is what Octavia accepted, as OCCM also
assumes. The memo lives `TTL_SECONDS` and is dropped when a run finds nothing to do, so every new
convergence and every periodic resync starts from a full read.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from octavia_lb.worker.cloud.observed import (
    ListenerId,
    MonitorId,
    Observed,
    OsListener,
    OsMember,
    OsMonitor,
    OsPool,
    PoolId,
    PoolState,
)
from octavia_lb.worker.plan.steps import OctaviaStep, ReplaceMembers

TTL_SECONDS = 120
Entry = tuple[frozenset[str] | None, tuple[OsMember, ...], OsMonitor | None]  # None ids: trust once


@dataclass(frozen=True)
class Memo:
    pools: Mapping[str, Entry] = field(default_factory=dict)
    listeners: tuple[OsListener, ...] | None = None  # the shallow lists, kept after member-only writes
    pool_list: tuple[OsPool, ...] | None = None

    def lists_for(self, pool_ids: frozenset[str]) -> tuple[tuple[OsListener, ...], tuple[OsPool, ...]] | None:
        """The remembered listener and pool lists, if the load balancer still has exactly those pools."""
        if self.listeners is None or self.pool_list is None:
            return None
        return (self.listeners, self.pool_list) if {p.id for p in self.pool_list} == pool_ids else None


EMPTY = Memo()


def fits(entry: Entry, pool: OsPool) -> bool:
    """An entry stands for `pool` while the pool names the same monitor and (unless trusted once) members."""
    ids, _members, monitor = entry
    same_monitor = (monitor.id if monitor else None) == pool.monitor_id
    return same_monitor and (ids is None or ids == pool.member_ids)


def _key(prefix: str, lb_id: str) -> str:
    return f"{prefix}memo:{lb_id}"


def load(client: Any, prefix: str, lb_id: str) -> Memo:
    raw = client.get(_key(prefix, lb_id))
    if raw is None:
        return EMPTY
    data = json.loads(raw)
    pools = {pool_id: _entry_from(item) for pool_id, item in data["pools"].items()}
    if data.get("listeners") is None:
        return Memo(pools)
    return Memo(
        pools,
        tuple(_listener_from(li) for li in data["listeners"]),
        tuple(_pool_from(p) for p in data["pool_list"]),
    )


def save_after(client: Any, prefix: str, os_state: Observed, step: OctaviaStep) -> None:
    """Remember what `os_state` showed, with the effect of `step` where it is modelled, else forgotten."""
    states = [s.pool for s in os_state.listeners if s.pool is not None] + list(os_state.orphan_pools)
    pools: dict[str, Any] = {state.pool.id: _entry_to(state) for state in states}
    data: dict[str, Any] = {"pools": pools, "listeners": None, "pool_list": None}
    if isinstance(step, ReplaceMembers):
        pool_id, members = step.pool_id, step.members
        pools[pool_id] = {
            "ids": None,
            "monitor": pools.get(pool_id, {}).get("monitor"),
            "members": [_expected(m) for m in members],
        }
        data["listeners"] = [_listener_to(s.listener) for s in os_state.listeners]
        data["pool_list"] = [_pool_to(s.pool) for s in states]
    else:
        touched = set(_strings(step.args))
        for known_id, entry in list(pools.items()):
            monitor_id = (entry.get("monitor") or {}).get("id")
            if known_id in touched or monitor_id in touched:
                del pools[known_id]  # changed by the step (pool or its monitor): read it again
    client.set(_key(prefix, os_state.lb.id), json.dumps(data), ex=TTL_SECONDS)


def drop(client: Any, prefix: str, lb_id: str) -> None:
    client.delete(_key(prefix, lb_id))


# ---- JSON shapes --------------------------------------------------------------------------------
def _entry_to(state: PoolState) -> dict[str, Any]:
    return {
        "ids": sorted(state.pool.member_ids),
        "members": [dataclasses.asdict(m) for m in state.members],
        "monitor": dataclasses.asdict(state.monitor) if state.monitor else None,
    }


def _entry_from(item: dict[str, Any]) -> Entry:
    ids = frozenset(item["ids"]) if item["ids"] is not None else None
    raw = item["monitor"]
    monitor = OsMonitor(**{**raw, "id": MonitorId(raw["id"])}) if raw else None
    return ids, tuple(OsMember(**m) for m in item["members"]), monitor


def _expected(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "",
        "name": body["name"],
        "address": body["address"],
        "protocol_port": body["protocol_port"],
        "subnet_id": body.get("subnet_id"),
        "monitor_port": body.get("monitor_port"),
    }


def _listener_to(listener: OsListener) -> dict[str, Any]:
    return dataclasses.asdict(listener)


def _listener_from(raw: dict[str, Any]) -> OsListener:
    return OsListener(
        id=ListenerId(raw["id"]),
        name=raw["name"],
        protocol=raw["protocol"],
        port=raw["port"],
        connection_limit=raw["connection_limit"],
        timeouts=tuple(raw["timeouts"]),
        allowed_cidrs=tuple(raw["allowed_cidrs"]),
        insert_headers=tuple((k, v) for k, v in raw["insert_headers"]),
        tls_container_ref=raw["tls_container_ref"],
        tags=tuple(raw["tags"]),
        default_pool_id=PoolId(raw["default_pool_id"]) if raw["default_pool_id"] else None,
    )


def _pool_to(pool: OsPool) -> dict[str, Any]:
    return {**dataclasses.asdict(pool), "member_ids": sorted(pool.member_ids)}


def _pool_from(raw: dict[str, Any]) -> OsPool:
    return OsPool(
        id=PoolId(raw["id"]),
        name=raw["name"],
        protocol=raw["protocol"],
        lb_algorithm=raw["lb_algorithm"],
        session_persistence=raw["session_persistence"],
        listener_ids=tuple(raw["listener_ids"]),
        member_ids=frozenset(raw["member_ids"]),
        monitor_id=MonitorId(raw["monitor_id"]) if raw["monitor_id"] else None,
    )


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()
