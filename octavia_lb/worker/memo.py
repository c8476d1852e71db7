"""A memo of the members and monitors read (or just written) during one multi-step convergence, in Redis.

A convergence takes one Octavia write per run, and re-reading every pool's members and monitor on each
run costs more requests than the writes. Between the runs of one convergence the memo keeps, per pool,
the members and monitor last seen. A pool's entry is reused only while the pool still lists the same
member ids and the same monitor id (any other writer changes those, or goes through a pool we refetch);
the pool our own write just changed is stored as that write set it, which is what Octavia accepted, as
OCCM also assumes. The memo lives for `TTL_SECONDS` and is dropped when a run finds nothing to do, so
periodic resyncs always read everything.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from octavia_lb.worker.observed import MonitorId, Observed, OsMember, OsMonitor, OsPool, PoolState
from octavia_lb.worker.plan import Step

TTL_SECONDS = 120
Entry = tuple[frozenset[str] | None, tuple[OsMember, ...], OsMonitor | None]  # None ids: trust once


def _key(prefix: str, lb_id: str) -> str:
    return f"{prefix}memo:{lb_id}"


def load(client: Any, prefix: str, lb_id: str) -> dict[str, Entry]:
    raw = client.get(_key(prefix, lb_id))
    if raw is None:
        return {}
    entries: dict[str, Entry] = {}
    for pool_id, item in json.loads(raw).items():
        ids = frozenset(item["ids"]) if item["ids"] is not None else None
        monitor = (
            OsMonitor(**{**item["monitor"], "id": MonitorId(item["monitor"]["id"])})
            if item["monitor"]
            else None
        )
        entries[pool_id] = (ids, tuple(OsMember(**m) for m in item["members"]), monitor)
    return entries


def save_after(client: Any, prefix: str, os_state: Observed, step: Step) -> None:
    """Remember every pool as observed, and the pool `step` writes members to as the step sets them."""
    pools = [s.pool for s in os_state.listeners if s.pool is not None] + list(os_state.orphan_pools)
    data: dict[str, Any] = {}
    for state in pools:
        data[state.pool.id] = _entry(state)
    if step.call == "replace_members":
        pool_id, members = step.args
        data[pool_id] = {
            "ids": None,
            "monitor": data.get(pool_id, {}).get("monitor"),
            "members": [_expected(m) for m in members],
        }
    touched = _strings(step.args) - {step.args[0]} if step.call == "replace_members" else _strings(step.args)
    for pool_id in [p for p in data if p in touched]:
        del data[pool_id]  # changed by the step in ways we do not model: read it again
    client.set(_key(prefix, os_state.lb.id), json.dumps(data), ex=TTL_SECONDS)


def fits(entry: Entry, pool: OsPool) -> bool:
    """An entry stands for `pool` while the pool names the same monitor and (unless trusted once) members."""
    ids, _members, monitor = entry
    same_monitor = (monitor.id if monitor else None) == pool.monitor_id
    return same_monitor and (ids is None or ids == pool.member_ids)


def drop(client: Any, prefix: str, lb_id: str) -> None:
    client.delete(_key(prefix, lb_id))


def _entry(state: PoolState) -> dict[str, Any]:
    return {
        "ids": sorted(state.pool.member_ids),
        "members": [dataclasses.asdict(m) for m in state.members],
        "monitor": dataclasses.asdict(state.monitor) if state.monitor else None,
    }


def _expected(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "",
        "name": body["name"],
        "address": body["address"],
        "protocol_port": body["protocol_port"],
        "subnet_id": body.get("subnet_id"),
        "monitor_port": body.get("monitor_port"),
    }


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()
