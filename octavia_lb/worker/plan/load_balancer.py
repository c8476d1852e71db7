"""The planner: pure functions that compare the desired graph (`want_*`) with what Octavia has (`os_*`) and
return the next step. No I/O.

Octavia makes a load balancer immutable (PENDING_UPDATE) after every write to it or its children, so a
reconcile applies one Octavia step, then comes back later; the order below is what makes every step legal:

    1. sharing checks (limits, internal bans, port collisions) — fail before touching anything
    2. tag the shared load balancer with this Service (reserves the slot)
    3. delete this Service's listeners that are no longer wanted, or whose protocol changed (frees the port)
    4. create missing listeners (with their pool, members and monitor nested, as Octavia allows)
    5. update listeners in place; replace, create or update pools; one batch member PUT per pool whose
       member set differs; create, replace, update or delete monitors

With cloud.conf `provider-requires-serial-api-calls` (`want.serial`) nothing is nested: a listener is
created bare, its pool without members or monitor, then each member is created (POST) and each stale one
deleted (DELETE) in a step of its own, as OCCM's serial mode does; members match on address and port.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from octavia_lb.common import naming
from octavia_lb.common.model import (
    DesiredService,
    WantListener,
    WantLoadBalancer,
    WantMember,
    WantMonitor,
    WantPool,
)
from octavia_lb.worker.cloud.observed import ListenerState, Observed, OsListener, OsLoadBalancer, PoolState
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
    OctaviaStep,
    ReplaceMembers,
    UpdateListener,
    UpdateLoadBalancer,
    UpdateMonitor,
    UpdatePool,
)

Step = OctaviaStep  # what the load balancer planners return

# Listener protocols that share one L4 port space in Octavia (HTTP, HTTPS, TERMINATED_HTTPS ride on TCP).
_L4 = {"HTTP": "TCP", "HTTPS": "TCP", "TERMINATED_HTTPS": "TCP", "TCP": "TCP", "UDP": "UDP", "SCTP": "SCTP"}


class PlanError(ValueError):
    """The desired state cannot be applied to this load balancer; the message is OCCM's."""


@dataclass(frozen=True)
class Sharing:
    """How this Service relates to the load balancer it uses."""

    owner: bool
    max_shared: int
    tags_supported: bool


def sharing_of(want: DesiredService, os_state: Observed, max_shared: int, tags_supported: bool) -> Sharing:
    owner = os_state.lb.name in (want.lb_name, want.legacy_name)
    return Sharing(owner=owner, max_shared=max_shared, tags_supported=tags_supported)


def check_sharing(want: DesiredService, os_state: Observed, sharing: Sharing) -> None:
    """OCCM's checks for a Service that joins a load balancer by id, re-done against Octavia's state."""
    if sharing.owner:
        return
    lb = os_state.lb
    if not sharing.tags_supported:
        raise PlanError(
            "shared load balancer is only supported with the tag feature in the cloud load balancer service"
        )
    if want.internal:
        raise PlanError("internal Service cannot share a load balancer")
    sharers = [t for t in lb.tags if t.startswith(naming.LB_PREFIX)]
    if want.lb_name not in lb.tags and len(sharers) + 1 > sharing.max_shared:
        raise PlanError(f"load balancer {lb.id} already shared with {len(sharers)} Services")


def check_ports(want: DesiredService, os_state: Observed, sharing: Sharing) -> None:
    """A port used by another Service's listener cannot be taken (`the listener port <p> already exists`)."""
    for state in os_state.listeners:
        theirs = state.listener
        if is_ours(theirs, want.lb_name, sharing.owner):
            continue
        for listener in want.listeners:
            if listener.port == theirs.port and _L4.get(listener.protocol) == _L4.get(theirs.protocol):
                raise PlanError(f"the listener port {listener.port} already exists")


def is_ours(listener: OsListener, lb_name: str, owner: bool) -> bool:
    """Tagged with this Service, or untagged on the Service's own load balancer (old OCCM listeners)."""
    if listener.tags:
        return lb_name in listener.tags
    return owner or listener.name.endswith(f"_{lb_name}")


def next_step(want: DesiredService, os_state: Observed, sharing: Sharing) -> Step | None:
    """The next Octavia write that moves `os_state` towards `want`, or None when they agree."""
    check_sharing(want, os_state, sharing)
    check_ports(want, os_state, sharing)
    lb = os_state.lb
    if sharing.tags_supported and want.lb_name not in lb.tags:
        tags = [*lb.tags, want.lb_name]
        return UpdateLoadBalancer(lb.id, {"tags": tags}, describe=f"tag load balancer {lb.id} with {tags}")
    ours = [s for s in os_state.listeners if is_ours(s.listener, want.lb_name, sharing.owner)]
    wanted = {listener.key: listener for listener in want.listeners}
    for state in ours:
        if state.listener.key not in wanted:
            return _delete_listener(state)
    for orphan in os_state.orphan_pools:
        if orphan.pool.name.endswith(f"_{want.lb_name}"):
            return DeletePool(orphan.pool.id, describe=f"delete pool {orphan.pool.name} without listener")
    existing = {state.listener.key: state for state in ours}
    for listener in want.listeners:
        if listener.key not in existing:
            return CreateListener(
                listener_body(listener, lb.id, serial=want.serial),
                describe=f"create listener {listener.name} {listener.protocol}:{listener.port}",
            )
    for listener in want.listeners:
        step = _converge_listener(listener, existing[listener.key], want.serial)
        if step is not None:
            return step
    return None


def _delete_listener(state: ListenerState) -> Step:
    # Deleting a pool takes its members and monitor with it, so the pool goes first and the listener
    # after, one step each.
    if state.pool is not None:
        return DeletePool(
            state.pool.pool.id,
            describe=f"delete pool {state.pool.pool.name} of unwanted listener {state.listener.name}",
        )
    return DeleteListener(
        state.listener.id,
        describe=f"delete listener {state.listener.name} {state.listener.protocol}:{state.listener.port}",
    )


def _converge_listener(want: WantListener, state: ListenerState, serial: bool = False) -> Step | None:
    os_listener = state.listener
    changes = listener_changes(want, os_listener)
    if changes:
        return UpdateListener(
            os_listener.id,
            changes,
            describe=f"update listener {os_listener.name}: {_diff_text(changes, os_listener)}",
        )
    if state.pool is None:
        return CreatePool(
            pool_body(want.pool, listener_id=os_listener.id, serial=serial),
            describe=f"create pool {want.pool.name}",
        )
    return _converge_pool(want.pool, state.pool, serial)


def listener_changes(want: WantListener, os_listener: OsListener) -> dict[str, Any]:
    """The PUT body that makes `os_listener` match `want`, empty when nothing differs."""
    changes: dict[str, Any] = {}
    if os_listener.name != want.name:
        changes["name"] = want.name
    if os_listener.connection_limit != want.connection_limit:
        changes["connection_limit"] = want.connection_limit
    if want.timeouts is not None and os_listener.timeouts != want.timeouts:
        changes.update(zip(_TIMEOUTS, want.timeouts, strict=True))
    if want.allowed_cidrs and set(os_listener.allowed_cidrs) != set(want.allowed_cidrs):
        changes["allowed_cidrs"] = list(want.allowed_cidrs)
    if tuple(sorted(want.insert_headers)) != os_listener.insert_headers and want.protocol in (
        "HTTP",
        "TERMINATED_HTTPS",
    ):
        changes["insert_headers"] = dict(want.insert_headers)
    if want.tls_container_ref and os_listener.tls_container_ref != want.tls_container_ref:
        changes["default_tls_container_ref"] = want.tls_container_ref
    if want.tags and not set(want.tags) <= set(os_listener.tags):
        changes["tags"] = sorted(set(os_listener.tags) | set(want.tags))
    return changes


_TIMEOUTS = ("timeout_client_data", "timeout_member_connect", "timeout_member_data", "timeout_tcp_inspect")


def _diff_text(changes: dict[str, Any], current: Any) -> str:
    old = {
        "timeout_client_data": 0,
        "timeout_member_connect": 1,
        "timeout_member_data": 2,
        "timeout_tcp_inspect": 3,
    }

    def before(key: str) -> Any:
        if key in old:
            return current.timeouts[old[key]]
        attr = {"default_tls_container_ref": "tls_container_ref"}.get(key, key)
        return getattr(current, attr, "?")

    return ", ".join(f"{k} {before(k)!r} => {v!r}" for k, v in changes.items())


def _converge_pool(want: WantPool, state: PoolState, serial: bool = False) -> Step | None:
    pool = state.pool
    if pool.protocol != want.protocol:
        return DeletePool(
            pool.id, describe=f"replace pool {pool.name}: protocol {pool.protocol} => {want.protocol}"
        )
    changes: dict[str, Any] = {}
    if pool.name != want.name:
        changes["name"] = want.name
    if pool.lb_algorithm != want.lb_algorithm:
        changes["lb_algorithm"] = want.lb_algorithm
    if pool.session_persistence != want.session_persistence:
        changes["session_persistence"] = (
            {"type": want.session_persistence} if want.session_persistence else None
        )
    if changes:
        return UpdatePool(pool.id, changes, describe=f"update pool {pool.name}: {changes}")
    if serial:
        step = _serial_member_step(want, state)
        if step is not None:
            return step
    elif {m.key for m in state.members} != {m.key for m in want.members}:
        return ReplaceMembers(
            pool.id,
            [member_body(m) for m in want.members],
            describe=f"set members of {pool.name}: {len(state.members)} => {len(want.members)}",
        )
    return _converge_monitor(want, state)


def _serial_member_step(want: WantPool, state: PoolState) -> Step | None:
    """One member write: missing members are created first (in node order), then stale ones deleted, so
    the pool never shrinks before it has grown. Like OCCM, a member matches on (address, port) alone."""
    pool = state.pool
    have = {(m.address, m.protocol_port) for m in state.members}
    for member in want.members:
        if (member.address, member.protocol_port) not in have:
            return CreateMember(
                pool.id, member_body(member), describe=f"add member {member.name} to {pool.name}"
            )
    wanted = {(m.address, m.protocol_port) for m in want.members}
    for os_member in state.members:
        # an id-less member is the memo's record of a batch PUT made before a switch to serial mode:
        # it cannot be deleted by id, and the next full read (a new convergence) supplies the id
        if (os_member.address, os_member.protocol_port) not in wanted and os_member.id:
            return DeleteMember(
                pool.id,
                os_member.id,
                describe=f"remove member {os_member.name or os_member.address}:{os_member.protocol_port} "
                f"from {pool.name}",
            )
    return None


def _converge_monitor(want: WantPool, state: PoolState) -> Step | None:
    have, wish = state.monitor, want.monitor
    if have is None and wish is None:
        return None
    if wish is None:
        assert have is not None
        return DeleteMonitor(have.id, describe=f"delete monitor {have.name}")
    if have is None:
        return CreateMonitor(
            {**monitor_body(wish), "pool_id": state.pool.id},
            describe=f"create {wish.type} monitor {wish.name}",
        )
    if have.type != wish.type:
        return DeleteMonitor(
            have.id, describe=f"replace monitor {have.name}: type {have.type} => {wish.type}"
        )
    changes = {k: v for k, v in monitor_body(wish).items() if k not in ("type",) and getattr(have, k) != v}
    if changes:
        return UpdateMonitor(have.id, changes, describe=f"update monitor {have.name}: {changes}")
    return None


# ---- request bodies -------------------------------------------------------------------------------
def member_body(member: WantMember) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": member.name,
        "address": member.address,
        "protocol_port": member.protocol_port,
    }
    if member.subnet_id:
        body["subnet_id"] = member.subnet_id
    if member.monitor_port:
        body["monitor_port"] = member.monitor_port
    return body


def monitor_body(monitor: WantMonitor) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": monitor.name,
        "type": monitor.type,
        "delay": monitor.delay,
        "timeout": monitor.timeout,
        "max_retries": monitor.max_retries,
        "max_retries_down": monitor.max_retries_down,
    }
    if monitor.type == "HTTP":
        body.update(
            http_method=monitor.http_method, url_path=monitor.url_path, expected_codes=monitor.expected_codes
        )
    return body


def pool_body(pool: WantPool, listener_id: str | None = None, serial: bool = False) -> dict[str, Any]:
    """The pool create; `serial` leaves members and monitor to steps of their own."""
    body: dict[str, Any] = {
        "name": pool.name,
        "protocol": pool.protocol,
        "lb_algorithm": pool.lb_algorithm,
    }
    if not serial:
        body["members"] = [member_body(m) for m in pool.members]
    if listener_id:
        body["listener_id"] = listener_id
    if pool.session_persistence:
        body["session_persistence"] = {"type": pool.session_persistence}
    if pool.monitor is not None and not serial:
        body["healthmonitor"] = monitor_body(pool.monitor)
    return body


def listener_body(listener: WantListener, lb_id: str | None = None, serial: bool = False) -> dict[str, Any]:
    """The listener create; `serial` leaves its pool to a step of its own."""
    body: dict[str, Any] = {
        "name": listener.name,
        "protocol": listener.protocol,
        "protocol_port": listener.port,
        "connection_limit": listener.connection_limit,
    }
    if not serial:
        body["default_pool"] = pool_body(listener.pool)
    if lb_id:
        body["loadbalancer_id"] = lb_id
    if listener.tags:
        body["tags"] = list(listener.tags)
    if listener.timeouts is not None:
        body.update(zip(_TIMEOUTS, listener.timeouts, strict=True))
    if listener.allowed_cidrs:
        body["allowed_cidrs"] = list(listener.allowed_cidrs)
    if listener.insert_headers:
        body["insert_headers"] = dict(listener.insert_headers)
    if listener.tls_container_ref:
        body["default_tls_container_ref"] = listener.tls_container_ref
    return body


def create_step(want: DesiredService) -> CreateLoadBalancer:
    """The create: fully populated, or (serial API mode) the bare load balancer, whose listeners, pools and
    members the converge loop then adds one by one."""
    body = load_balancer_body(want)
    if want.serial:
        body.pop("listeners")
    return CreateLoadBalancer(body, describe=f"create load balancer {want.lb_name}")


def load_balancer_body(want: DesiredService) -> dict[str, Any]:
    """The fully populated create: the load balancer with every listener, pool, member and monitor."""
    lb: WantLoadBalancer = want.load_balancer
    body: dict[str, Any] = {
        "name": lb.name,
        "description": lb.description,
        "provider": lb.provider,
        "listeners": [listener_body(listener) for listener in want.listeners],
    }
    optional = {
        "tags": list(lb.tags),
        "flavor_id": lb.flavor_id,
        "availability_zone": lb.availability_zone,
        "vip_port_id": lb.vip_port_id,
        "vip_subnet_id": lb.vip_subnet_id,
        "vip_network_id": lb.vip_network_id,
        "vip_address": lb.vip_address,
        # a dual-stack Service's second family (Octavia 2.26): one more address on the same VIP port
        "additional_vips": [{"subnet_id": subnet} for subnet in lb.additional_vip_subnets],
    }
    body.update({k: v for k, v in optional.items() if v})
    return body


# ---- cleanup --------------------------------------------------------------------------------------
def deletes_load_balancer(lb_name: str, lb: OsLoadBalancer) -> bool:
    """OCCM's needDeleteLB: named `kube_service_…` and carrying no other Service's tag. A legacy-named
    (`a<uid>`) load balancer stays, as in OCCM: only this Service's listeners and tag leave it."""
    others = [t for t in lb.tags if t.startswith(naming.LB_PREFIX) and t != lb_name]
    return naming.is_kube_lb_name(lb.name) and not others


def next_teardown_step(os_state: Observed) -> Step | None:
    """`cascade-delete = false`: the whole load balancer goes, so every child goes first, whoever made it
    (Octavia refuses a plain delete while any is left): pools, then listeners, then pools without one."""
    if os_state.listeners:
        return _delete_listener(os_state.listeners[0])
    if os_state.orphan_pools:
        orphan = os_state.orphan_pools[0].pool
        return DeletePool(orphan.id, describe=f"delete pool {orphan.name}")
    return None


def next_cleanup_step(lb_name: str, os_state: Observed, owner: bool) -> Step | None:
    """When the load balancer stays (shared or not ours): remove this Service's listeners, then its tag."""
    for state in os_state.listeners:
        if is_ours(state.listener, lb_name, owner):
            return _delete_listener(state)
    if lb_name in os_state.lb.tags:
        tags = [t for t in os_state.lb.tags if t != lb_name]
        return UpdateLoadBalancer(
            os_state.lb.id, {"tags": tags}, describe=f"untag load balancer {os_state.lb.id}: {lb_name}"
        )
    return None
