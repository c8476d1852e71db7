"""The pure half of `octavia-lb plan`: run the worker's own planner to the end on an in-memory state.

The worker makes one Octavia write per run and observes the result in the next. The preview does the same
without a cloud: `simulate(state, step)` is what the state looks like once Octavia has applied `step`, and
`converge(want, state, sharing)` asks `plan.next_step` again on that state until it returns None, giving
every step the worker would take, in order. A step this module cannot simulate ends the list with a
note to re-plan after it. A new load balancer starts from `create_step(want)`, the worker's own create.

Each step becomes `Change`s (one per Octavia object it creates, updates or deletes, update fields as
old → new), which `plan_output` prints. No I/O here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from octavia_lb.common.model import DesiredService
from octavia_lb.worker.cloud.observed import (
    ACTIVE,
    ListenerId,
    ListenerState,
    LoadBalancerId,
    Observed,
    OsListener,
    OsLoadBalancer,
    OsMember,
    OsMonitor,
    OsPool,
    PoolState,
)
from octavia_lb.worker.plan.load_balancer import Sharing, next_step
from octavia_lb.worker.plan.steps import (
    CreateListener,
    CreateLoadBalancer,
    CreateMember,
    CreateMonitor,
    CreatePool,
    DeleteListener,
    DeleteMember,
    DeleteMonitor,
    DeletePool,
    ReplaceMembers,
    Step,
    UpdateListener,
    UpdateLoadBalancer,
    UpdateMonitor,
    UpdatePool,
)

NEW_LB_ID = LoadBalancerId("(new load balancer)")
VIP_PORT = "(VIP port of the new load balancer)"
# ":" marks an IPv6 address for the worker's checks (`is_ipv6`, `vip_of`)
_PLACEHOLDER_VIP = {"IPv4": "(new IPv4 VIP)", "IPv6": "(new IPv6 VIP ::)"}
MAX_STEPS = 500  # far above any real plan (serial mode: one per member); a loop guard, not a limit


@dataclass(frozen=True)
class Change:
    """One object the worker would create, update or delete, within write number `step` of the plan.

    `fields`: for create, the request body (nested children are Changes of their own); for update,
    {field: {"old": value, "new": value}}; for delete, what identifies the object.
    """

    step: int
    action: str  # create | update | delete
    kind: str  # loadbalancer | listener | pool | member | members | healthmonitor | floatingip | …
    name: str
    call: str  # the Gateway method the worker calls for this step
    fields: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Converged:
    """The steps from a state to `want`, the state they lead to, and why the list ended early, if it did."""

    steps: tuple[Step, ...]
    changes: tuple[Change, ...]
    state: Observed
    stopped: str = ""


# ---- the planner, iterated ------------------------------------------------------------------------
def converge(want: DesiredService, state: Observed, sharing: Sharing, first: int = 1) -> Converged:
    """Every step `next_step` takes from `state`; PlanError propagates, as in the worker."""
    steps: list[Step] = []
    changes: list[Change] = []
    while len(steps) < MAX_STEPS:
        step = next_step(want, state, sharing)
        if step is None:
            return Converged(tuple(steps), tuple(changes), state)
        changes.extend(changes_of(step, state, first + len(steps)))
        steps.append(step)
        after = simulate(state, step)
        if after is None:
            return Converged(tuple(steps), tuple(changes), state, f"{step.call} is not simulated: re-plan")
        state = after
    return Converged(tuple(steps), tuple(changes), state, f"stopped after {MAX_STEPS} steps: re-plan")


# ---- what a step does to the state ----------------------------------------------------------------
def simulate(state: Observed, step: Step) -> Observed | None:
    """The state once Octavia has applied `step`; None for a step this function does not model."""
    match step:
        case CreateLoadBalancer():
            return created_load_balancer(step.body)
        case UpdateLoadBalancer():
            return _update_load_balancer(state, step.body)
        case CreateListener():
            return _create_listener(state, step.body)
        case UpdateListener():
            return _update_listener(state, step.listener_id, step.body)
        case DeleteListener():
            return _delete_listener(state, step.listener_id)
        case CreatePool():
            return _create_pool(state, step.body)
        case UpdatePool():
            return _update_pool(state, step.pool_id, step.body)
        case DeletePool():
            return _delete_pool(state, step.pool_id)
        case ReplaceMembers():
            return _replace_members(state, step.pool_id, step.members)
        case CreateMember():
            return _create_member(state, step.pool_id, step.body)
        case DeleteMember():
            return _delete_member(state, step.pool_id, step.member_id)
        case CreateMonitor():
            return _create_monitor(state, step.body)
        case UpdateMonitor():
            return _update_monitor(state, step.monitor_id, step.body)
        case DeleteMonitor():
            return _delete_monitor(state, step.monitor_id)
        case _:  # the whole load balancer deleted, or a Neutron write: not part of the tree modelled here
            return None


def created_load_balancer(body: dict[str, Any]) -> Observed:
    """The tree Octavia builds from a fully populated create (or a bare one), ACTIVE."""
    lb = OsLoadBalancer(
        id=NEW_LB_ID,
        name=body.get("name") or "",
        provisioning_status=ACTIVE,
        vip_address=body.get("vip_address") or "",
        vip_port_id=body.get("vip_port_id") or "",
        vip_subnet_id=body.get("vip_subnet_id") or "",
        tags=tuple(body.get("tags") or ()),
    )
    state = Observed(lb, (), (), None)
    for listener in body.get("listeners") or ():
        state = _create_listener(state, listener)
    return state


def new_vip(lb: OsLoadBalancer, want: DesiredService) -> OsLoadBalancer:
    """The created load balancer as the create's answer shows it: a VIP port and an address of each family
    it serves (placeholders: Octavia picks them), which is what the floating IP planner looks at."""
    primary = want.load_balancer.vip_address or _PLACEHOLDER_VIP[want.ip_family]
    extra = tuple(
        (subnet, _PLACEHOLDER_VIP[family])
        for subnet, family in zip(want.load_balancer.additional_vip_subnets, want.also_serves, strict=False)
    )
    return dataclasses.replace(
        lb,
        vip_port_id=want.load_balancer.vip_port_id or VIP_PORT,
        vip_address=primary,
        additional_vips=extra,
    )


def _update_load_balancer(state: Observed, body: dict[str, Any]) -> Observed:
    lb = state.lb
    lb = dataclasses.replace(lb, name=body.get("name", lb.name), tags=tuple(body.get("tags", lb.tags)))
    return dataclasses.replace(state, lb=lb)


def _new_id(kind: str, name: str) -> str:
    """A made-up id for a created object: names are unique on one load balancer, so these are too."""
    return f"(new {kind} {name})"


def _member(body: dict[str, Any]) -> OsMember:
    return OsMember.from_api({**body, "id": _new_id("member", f"{body['address']}:{body['protocol_port']}")})


def _monitor(body: dict[str, Any]) -> OsMonitor:
    return OsMonitor.from_api({**body, "id": _new_id("healthmonitor", body["name"])})


def _pool_state(body: dict[str, Any], listener_id: str | None) -> PoolState:
    pool_id = _new_id("pool", body["name"])
    members = tuple(_member(m) for m in body.get("members") or ())
    monitor = None
    if body.get("healthmonitor"):
        monitor = _monitor(body["healthmonitor"])
    pool = OsPool.from_api(
        {
            **body,
            "id": pool_id,
            "listeners": [{"id": listener_id}] if listener_id else [],
            "members": [{"id": m.id} for m in members],
            "healthmonitor_id": monitor.id if monitor else None,
        }
    )
    return PoolState(pool, members, monitor)


def _create_listener(state: Observed, body: dict[str, Any]) -> Observed:
    listener_id = _new_id("listener", body["name"])
    pool = _pool_state(body["default_pool"], listener_id) if body.get("default_pool") else None
    listener = OsListener.from_api(
        {**body, "id": listener_id, "default_pool_id": pool.pool.id if pool else None}
    )
    return dataclasses.replace(state, listeners=(*state.listeners, ListenerState(listener, pool)))


def listener_api(listener: OsListener) -> dict[str, Any]:
    """An observed listener in Octavia's field names (the names update bodies use)."""
    timeouts = dict(
        zip(
            ("timeout_client_data", "timeout_member_connect", "timeout_member_data", "timeout_tcp_inspect"),
            listener.timeouts,
            strict=True,
        )
    )
    return {
        "name": listener.name,
        "protocol": listener.protocol,
        "protocol_port": listener.port,
        "connection_limit": listener.connection_limit,
        **timeouts,
        "allowed_cidrs": list(listener.allowed_cidrs),
        "insert_headers": dict(listener.insert_headers),
        "default_tls_container_ref": listener.tls_container_ref,
        "tags": list(listener.tags),
        "default_pool_id": listener.default_pool_id,
    }


def _map_listeners(state: Observed, fn: Any) -> Observed:
    return dataclasses.replace(state, listeners=tuple(s for s in map(fn, state.listeners) if s is not None))


def _update_listener(state: Observed, listener_id: str, body: dict[str, Any]) -> Observed:
    def apply(s: ListenerState) -> ListenerState:
        if s.listener.id != listener_id:
            return s
        merged = {**listener_api(s.listener), **body, "id": s.listener.id}
        return ListenerState(OsListener.from_api(merged), s.pool)

    return _map_listeners(state, apply)


def _delete_listener(state: Observed, listener_id: str) -> Observed:
    return _map_listeners(state, lambda s: None if s.listener.id == listener_id else s)


def _create_pool(state: Observed, body: dict[str, Any]) -> Observed:
    listener_id = body.get("listener_id")
    pool = _pool_state(body, listener_id)

    def apply(s: ListenerState) -> ListenerState:
        if s.listener.id != listener_id:
            return s
        return ListenerState(dataclasses.replace(s.listener, default_pool_id=pool.pool.id), pool)

    return _map_listeners(state, apply)


def _map_pools(state: Observed, pool_id: str, fn: Any) -> Observed:
    """Apply `fn` to the PoolState with `pool_id` (None deletes it), wherever it hangs."""

    def on_listener(s: ListenerState) -> ListenerState:
        if s.pool is None or s.pool.pool.id != pool_id:
            return s
        pool = fn(s.pool)
        listener = s.listener if pool else dataclasses.replace(s.listener, default_pool_id=None)
        return ListenerState(listener, pool)

    orphans = tuple(
        p for p in (fn(o) if o.pool.id == pool_id else o for o in state.orphan_pools) if p is not None
    )
    return dataclasses.replace(_map_listeners(state, on_listener), orphan_pools=orphans)


def _update_pool(state: Observed, pool_id: str, body: dict[str, Any]) -> Observed:
    def apply(p: PoolState) -> PoolState:
        persistence = body.get("session_persistence", {"type": p.pool.session_persistence})
        pool = dataclasses.replace(
            p.pool,
            name=body.get("name", p.pool.name),
            lb_algorithm=body.get("lb_algorithm", p.pool.lb_algorithm),
            session_persistence=(persistence or {}).get("type"),
        )
        return dataclasses.replace(p, pool=pool)

    return _map_pools(state, pool_id, apply)


def _delete_pool(state: Observed, pool_id: str) -> Observed:
    return _map_pools(state, pool_id, lambda p: None)


def _with_members(p: PoolState, members: tuple[OsMember, ...]) -> PoolState:
    pool = dataclasses.replace(p.pool, member_ids=frozenset(m.id for m in members))
    return PoolState(pool, members, p.monitor)


def _replace_members(state: Observed, pool_id: str, bodies: list[dict[str, Any]]) -> Observed:
    members = tuple(_member(m) for m in bodies)
    return _map_pools(state, pool_id, lambda p: _with_members(p, members))


def _create_member(state: Observed, pool_id: str, body: dict[str, Any]) -> Observed:
    member = _member(body)
    return _map_pools(state, pool_id, lambda p: _with_members(p, (*p.members, member)))


def _delete_member(state: Observed, pool_id: str, member_id: str) -> Observed:
    return _map_pools(
        state, pool_id, lambda p: _with_members(p, tuple(m for m in p.members if m.id != member_id))
    )


def _with_monitor(p: PoolState, monitor: OsMonitor | None) -> PoolState:
    pool = dataclasses.replace(p.pool, monitor_id=monitor.id if monitor else None)
    return PoolState(pool, p.members, monitor)


def _create_monitor(state: Observed, body: dict[str, Any]) -> Observed:
    monitor = _monitor(body)
    return _map_pools(state, body["pool_id"], lambda p: _with_monitor(p, monitor))


def _monitor_pool(state: Observed, monitor_id: str) -> str | None:
    pools = [s.pool for s in state.listeners if s.pool is not None] + list(state.orphan_pools)
    return next((p.pool.id for p in pools if p.monitor is not None and p.monitor.id == monitor_id), None)


def _update_monitor(state: Observed, monitor_id: str, body: dict[str, Any]) -> Observed | None:
    pool_id = _monitor_pool(state, monitor_id)
    if pool_id is None:
        return None
    return _map_pools(state, pool_id, lambda p: _with_monitor(p, dataclasses.replace(p.monitor, **body)))


def _delete_monitor(state: Observed, monitor_id: str) -> Observed | None:
    pool_id = _monitor_pool(state, monitor_id)
    return None if pool_id is None else _map_pools(state, pool_id, lambda p: _with_monitor(p, None))


# ---- a step as changes ----------------------------------------------------------------------------
def changes_of(step: Step, state: Observed, number: int) -> list[Change]:
    """The objects `step` creates, updates or deletes, with old values read from `state`."""
    made = _Made(number, step.call)
    match step:
        case CreateLoadBalancer():
            made.add("create", "loadbalancer", step.body["name"], _without(step.body, "listeners"))
            for listener_body in step.body.get("listeners") or ():
                made.listener_tree(listener_body)
        case CreateListener():
            made.listener_tree(step.body)
        case CreatePool():
            made.pool_tree(step.body)
        case CreateMember():
            made.add("create", "member", step.body["name"], {**step.body, "pool_id": step.pool_id})
        case CreateMonitor():
            made.add("create", "healthmonitor", step.body["name"], step.body)
        case UpdateLoadBalancer():
            made.update("loadbalancer", state.lb.name or state.lb.id, _lb_api(state.lb), step.body)
        case UpdateListener():
            listener = _listener(state, step.listener_id)
            made.update("listener", listener.name, listener_api(listener), step.body)
        case UpdatePool():
            pool = _pool(state, step.pool_id).pool
            old: dict[str, Any] = {"name": pool.name, "lb_algorithm": pool.lb_algorithm}
            old["session_persistence"] = (
                {"type": pool.session_persistence} if pool.session_persistence else None
            )
            made.update("pool", pool.name, old, step.body)
        case UpdateMonitor():
            monitor = next(
                m for p in _pools(state) if (m := p.monitor) is not None and m.id == step.monitor_id
            )
            made.update("healthmonitor", monitor.name, dataclasses.asdict(monitor), step.body)
        case ReplaceMembers():
            pool_state = _pool(state, step.pool_id)
            old_members = [_member_text(m.name, m.address, m.protocol_port) for m in pool_state.members]
            new_members = [_member_text(m["name"], m["address"], m["protocol_port"]) for m in step.members]
            made.add(
                "update",
                "members",
                pool_state.pool.name,
                {"members": {"old": old_members, "new": new_members}},
            )
        case DeleteListener():
            listener = _listener(state, step.listener_id)
            made.add("delete", "listener", listener.name, {"id": listener.id, "protocol_port": listener.port})
        case DeletePool():
            pool_state = _pool(state, step.pool_id)
            deleted = {"id": pool_state.pool.id, "members": len(pool_state.members)}
            made.add("delete", "pool", pool_state.pool.name, deleted)
        case DeleteMonitor():
            made.add(
                "delete", "healthmonitor", _monitor_name(state, step.monitor_id), {"id": step.monitor_id}
            )
        case DeleteMember():
            member = next((m for m in _pool(state, step.pool_id).members if m.id == step.member_id), None)
            name = (member.name or member.address) if member else step.member_id
            made.add("delete", "member", name, {"id": step.member_id, "pool_id": step.pool_id})
        case _:  # the whole load balancer, or a Neutron write (the live plan names those from its reads)
            args, call = step.args, step.call
            if call.startswith("delete_"):
                made.add("delete", call.removeprefix("delete_"), str(args[0]), {"id": args[0]})
            else:
                made.add("update", call, str(args[0]) if args else "", {"args": list(args)})
    return made.changes


class _Made:
    def __init__(self, number: int, call: str) -> None:
        self.number, self.call = number, call
        self.changes: list[Change] = []

    def add(self, action: str, kind: str, name: str, fields: dict[str, Any]) -> None:
        self.changes.append(Change(self.number, action, kind, name, self.call, fields))

    def update(self, kind: str, name: str, old: dict[str, Any], body: dict[str, Any]) -> None:
        fields = {key: {"old": old.get(key), "new": value} for key, value in body.items()}
        self.add("update", kind, name, fields)

    def listener_tree(self, body: dict[str, Any]) -> None:
        self.add("create", "listener", body["name"], _without(body, "default_pool"))
        if body.get("default_pool"):
            self.pool_tree(body["default_pool"])

    def pool_tree(self, body: dict[str, Any]) -> None:
        self.add("create", "pool", body["name"], _without(body, "members", "healthmonitor"))
        for member in body.get("members") or ():
            self.add("create", "member", member["name"], member)
        if body.get("healthmonitor"):
            self.add("create", "healthmonitor", body["healthmonitor"]["name"], body["healthmonitor"])


def _monitor_name(state: Observed, monitor_id: str) -> str:
    found = [p.monitor.name for p in _pools(state) if p.monitor is not None and p.monitor.id == monitor_id]
    return found[0] if found else monitor_id


def _pools(state: Observed) -> list[PoolState]:
    return [s.pool for s in state.listeners if s.pool is not None] + list(state.orphan_pools)


def _pool(state: Observed, pool_id: str) -> PoolState:
    return next(p for p in _pools(state) if p.pool.id == pool_id)


def _listener(state: Observed, listener_id: str) -> OsListener:
    return next(s.listener for s in state.listeners if s.listener.id == ListenerId(listener_id))


def _lb_api(lb: OsLoadBalancer) -> dict[str, Any]:
    return {"name": lb.name, "tags": list(lb.tags)}


def _member_text(name: str, address: str, port: int) -> str:
    return f"{name} {address}:{port}"


def _without(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in keys}
