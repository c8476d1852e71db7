"""The planner, table-driven: desired graph + observed Octavia state → the next step (or an error)."""

from __future__ import annotations

import dataclasses

import pytest

from octavia_lb.common.model import DesiredService
from octavia_lb.worker.cloud.observed import (
    ListenerId,
    ListenerState,
    LoadBalancerId,
    MonitorId,
    Observed,
    OsListener,
    OsLoadBalancer,
    OsMember,
    OsMonitor,
    OsPool,
    PoolId,
    PoolState,
)
from octavia_lb.worker.plan.load_balancer import (
    PlanError,
    Sharing,
    deletes_load_balancer,
    next_cleanup_step,
    next_step,
)
from tests.unit_model.helpers import build, nodes, service

NAME = "kube_service_kubernetes_shop_web"
OWNER = Sharing(owner=True, max_shared=2, tags_supported=True)
GUEST = Sharing(owner=False, max_shared=2, tags_supported=True)


def in_sync(want: DesiredService, lb_name: str = NAME, tags: tuple[str, ...] = (NAME,)) -> Observed:
    """The Octavia state that exactly matches `want`."""
    listeners = []
    for i, wl in enumerate(want.listeners):
        wp = wl.pool
        members = tuple(
            OsMember(f"m{i}{j}", m.name, m.address, m.protocol_port, m.subnet_id, m.monitor_port)
            for j, m in enumerate(wp.members)
        )
        monitor = None
        if wp.monitor is not None:
            wm = wp.monitor
            monitor = OsMonitor(
                MonitorId(f"hm{i}"),
                wm.name,
                wm.type,
                wm.delay,
                wm.timeout,
                wm.max_retries,
                wm.max_retries_down,
                wm.http_method,
                wm.url_path,
                wm.expected_codes,
            )
        pool = OsPool(
            PoolId(f"p{i}"),
            wp.name,
            wp.protocol,
            wp.lb_algorithm,
            wp.session_persistence,
            (f"l{i}",),
            tuple(m.id for m in members),
            monitor.id if monitor else None,
        )
        listener = OsListener(
            ListenerId(f"l{i}"),
            wl.name,
            wl.protocol,
            wl.port,
            wl.connection_limit,
            wl.timeouts or (50000, 5000, 50000, 0),
            wl.allowed_cidrs,
            wl.insert_headers,
            wl.tls_container_ref,
            wl.tags,
            pool.id,
        )
        listeners.append(ListenerState(listener, PoolState(pool, members, monitor)))
    lb = OsLoadBalancer(LoadBalancerId("lb"), lb_name, "ACTIVE", "10.0.0.9", "vip-port", "vip-subnet", tags)
    return Observed(lb, tuple(listeners), (), None)


def two_ports(**annotations: str) -> DesiredService:
    return build(
        service(annotations, ports=[{"port": 80, "nodePort": 30080}, {"port": 443, "nodePort": 30443}]),
        nodes("n1=10.0.0.1", "n2=10.0.0.2"),
    )


def replace_listener(state: Observed, index: int, **changes) -> Observed:
    ls = list(state.listeners)
    ls[index] = dataclasses.replace(ls[index], listener=dataclasses.replace(ls[index].listener, **changes))
    return dataclasses.replace(state, listeners=tuple(ls))


def replace_pool_state(state: Observed, index: int, **changes) -> Observed:
    ls = list(state.listeners)
    ls[index] = dataclasses.replace(ls[index], pool=dataclasses.replace(ls[index].pool, **changes))
    return dataclasses.replace(state, listeners=tuple(ls))


def with_extra_listener(state: Observed, port: int) -> Observed:
    """`state` plus one of this Service's listeners (without pool) on `port`."""
    extra = dataclasses.replace(state.listeners[0].listener, id=ListenerId("lx"), port=port)
    return dataclasses.replace(state, listeners=(*state.listeners, ListenerState(extra, None)))


def test_in_sync_needs_nothing() -> None:
    want = two_ports(**{"enable-health-monitor": "true"})
    assert next_step(want, in_sync(want), OWNER) is None


CASES = [
    (
        "port-added",
        lambda w: dataclasses.replace(in_sync(w), listeners=in_sync(w).listeners[:1]),
        "create_listener",
    ),
    ("port-removed", lambda w: with_extra_listener(in_sync(w), 8080), "delete_listener"),
    ("limit-changed", lambda w: replace_listener(in_sync(w), 0, connection_limit=5), "update_listener"),
    ("timeouts-changed", lambda w: replace_listener(in_sync(w), 1, timeouts=(1, 2, 3, 4)), "update_listener"),
    (
        "cidrs-changed",
        lambda w: replace_listener(in_sync(w), 0, allowed_cidrs=("10.0.0.0/8",)),
        "update_listener",
    ),
    (
        "pool-missing",
        lambda w: dataclasses.replace(
            in_sync(w),
            listeners=(dataclasses.replace(in_sync(w).listeners[0], pool=None), in_sync(w).listeners[1]),
        ),
        "create_pool",
    ),
    (
        "node-added",
        lambda w: replace_pool_state(in_sync(w), 0, members=in_sync(w).listeners[0].pool.members[:1]),
        "replace_members",
    ),
    ("untagged-lb", lambda w: in_sync(w, tags=()), "update_load_balancer"),
]


@pytest.mark.parametrize(("case", "make", "call"), CASES, ids=[c[0] for c in CASES])
def test_drift_gives_one_step(case, make, call) -> None:
    want = two_ports()
    step = next_step(want, make(want), OWNER)
    assert step is not None and step.call == call


def test_member_update_is_one_batch_with_every_member() -> None:
    want = two_ports()
    state = replace_pool_state(in_sync(want), 0, members=())
    step = next_step(want, state, OWNER)
    assert step is not None and step.call == "replace_members"
    pool_id, members = step.args
    assert pool_id == "p0" and [m["address"] for m in members] == ["10.0.0.1", "10.0.0.2"]


def test_member_subnet_change_alone_is_not_resent() -> None:
    want = two_ports()
    state = in_sync(want)
    moved = tuple(dataclasses.replace(m, subnet_id="other") for m in state.listeners[0].pool.members)
    assert next_step(want, replace_pool_state(state, 0, members=moved), OWNER) is None


def test_protocol_change_deletes_old_listener_first() -> None:
    old = in_sync(two_ports())
    want = two_ports(**{"x-forwarded-for": "true"})
    step = next_step(want, old, OWNER)
    assert (
        step is not None and step.call == "delete_pool"
    )  # pool, then listener, then create: port freed first


def test_pool_protocol_change_replaces_pool() -> None:
    old = in_sync(two_ports())
    want = two_ports(**{"proxy-protocol": "true"})
    step = next_step(want, old, OWNER)
    assert step is not None and (step.call, step.args) == ("delete_pool", ("p0",))


def test_lb_method_change_updates_pool() -> None:
    old = in_sync(two_ports())
    step = next_step(two_ports(**{"lb-method": "SOURCE_IP"}), old, OWNER)
    assert step is not None and step.call == "update_pool" and step.args[1] == {"lb_algorithm": "SOURCE_IP"}


@pytest.mark.parametrize(
    ("before", "after", "call"),
    [
        ({}, {"enable-health-monitor": "true"}, "create_monitor"),
        ({"enable-health-monitor": "true"}, {}, "delete_monitor"),
        (
            {"enable-health-monitor": "true"},
            {"enable-health-monitor": "true", "health-monitor-delay": "9"},
            "update_monitor",
        ),
    ],
)
def test_monitor_changes(before, after, call) -> None:
    step = next_step(two_ports(**after), in_sync(two_ports(**before)), OWNER)
    assert step is not None and step.call == call


# ---- sharing ------------------------------------------------------------------------------------
OTHER = "kube_service_kubernetes_shop_owner"


def test_guest_tags_lb_first() -> None:
    want = two_ports()
    state = dataclasses.replace(in_sync(want, lb_name=OTHER, tags=(OTHER,)), listeners=())
    step = next_step(want, state, GUEST)
    assert step is not None and step.call == "update_load_balancer"
    assert step.args[1] == {"tags": [OTHER, NAME]}


def test_guest_over_limit() -> None:
    want = two_ports()
    state = dataclasses.replace(
        in_sync(want, lb_name=OTHER, tags=(OTHER, "kube_service_x_y_z")), listeners=()
    )
    with pytest.raises(PlanError, match=r"load balancer lb already shared with 2 Services"):
        next_step(want, state, GUEST)


def test_guest_port_collision() -> None:
    theirs = in_sync(build(service(ports=[{"port": 80, "nodePort": 31000}])), lb_name=OTHER, tags=(OTHER,))
    foreign = replace_listener(theirs, 0, tags=(OTHER,))
    with pytest.raises(PlanError, match=r"^the listener port 80 already exists$"):
        next_step(two_ports(), foreign, GUEST)


def test_internal_guest_refused() -> None:
    want = build(service({"service.beta.kubernetes.io/openstack-internal-load-balancer": "true"}))
    with pytest.raises(PlanError, match=r"internal Service cannot share a load balancer"):
        next_step(want, in_sync(want, lb_name=OTHER), GUEST)


def test_no_tags_no_sharing() -> None:
    want = two_ports()
    with pytest.raises(PlanError, match=r"only supported with the tag feature"):
        next_step(want, in_sync(want, lb_name=OTHER), dataclasses.replace(GUEST, tags_supported=False))


# ---- cleanup ------------------------------------------------------------------------------------
def test_cleanup_deletes_lb_only_when_last_cluster_service() -> None:
    want = two_ports()
    assert deletes_load_balancer(NAME, in_sync(want, tags=(NAME,)).lb)
    assert not deletes_load_balancer(NAME, in_sync(want, tags=(NAME, OTHER)).lb)
    assert not deletes_load_balancer(NAME, in_sync(want, lb_name="made-by-hand", tags=(NAME,)).lb)


def test_cleanup_of_guest_removes_own_listeners_then_tag() -> None:
    want = two_ports()
    state = in_sync(want, lb_name=OTHER, tags=(OTHER, NAME))
    step = next_cleanup_step(NAME, state, owner=False)
    assert step is not None and step.call == "delete_pool"
    bare = dataclasses.replace(state, listeners=())
    step = next_cleanup_step(NAME, bare, owner=False)
    assert step is not None and step.args[1] == {"tags": [OTHER]}
    assert (
        next_cleanup_step(
            NAME, dataclasses.replace(bare, lb=dataclasses.replace(bare.lb, tags=(OTHER,))), owner=False
        )
        is None
    )
