"""cloud.conf `provider-requires-serial-api-calls`: the builder's serial members and the planner's one-call
steps (bare listener and pool creates, one POST or DELETE per member), next to batch mode, unchanged."""

from __future__ import annotations

import dataclasses

import pytest

from octavia_lb.common.model import DesiredService, NodeView
from octavia_lb.worker.cloud.observed import Observed, OsMember
from octavia_lb.worker.plan.load_balancer import Step, next_step
from tests.unit_model.helpers import build, nodes, service
from tests.unit_model.test_plan import OWNER, in_sync, replace_pool_state

SERIAL = "provider-requires-serial-api-calls = true\n"
TWO_PORTS = [{"port": 80, "nodePort": 30080}, {"port": 443, "nodePort": 30443}]


def two_ports(serial: bool, node_list: list[NodeView] | None = None, **annotations: str) -> DesiredService:
    return build(
        service(annotations, ports=TWO_PORTS),
        node_list if node_list is not None else nodes("n1=10.0.0.1", "n2=10.0.0.2"),
        conf=SERIAL if serial else "",
    )


def members_of(want: DesiredService, index: int = 0) -> list[tuple]:
    pool = want.listeners[index].pool
    return [(m.name, m.address, m.protocol_port, m.subnet_id, m.monitor_port) for m in pool.members]


def apply_member_step(state: Observed, step: Step) -> Observed:
    """What Octavia does for one serial member step, so a test can follow the planner to convergence."""
    for index, ls in enumerate(state.listeners):
        assert ls.pool is not None
        if ls.pool.pool.id != step.args[0]:
            continue
        if step.call == "create_member":
            body = step.args[1]
            new = OsMember(
                f"new-{body['name']}", body["name"], body["address"], body["protocol_port"], None, None
            )
            return replace_pool_state(state, index, members=(*ls.pool.members, new))
        kept = tuple(m for m in ls.pool.members if m.id != step.args[1])
        return replace_pool_state(state, index, members=kept)
    raise AssertionError(f"no pool {step.args[0]}")


def converge_members(want: DesiredService, state: Observed) -> list[Step]:
    steps = []
    while (step := next_step(want, state, OWNER)) is not None:
        assert step.call in ("create_member", "delete_member"), step
        steps.append(step)
        state = apply_member_step(state, step)
        assert len(steps) <= 10, "the planner does not converge"
    return steps


# ---- builder -------------------------------------------------------------------------------------
def test_serial_members_are_named_after_node_address_and_port_without_subnet_or_monitor_port() -> None:
    want = build(
        service(
            {"enable-health-monitor": "true"},
            ports=TWO_PORTS,
            externalTrafficPolicy="Local",
            healthCheckNodePort=32000,
        ),
        nodes("n1=10.0.0.1", "n2=10.0.0.2"),
        conf=SERIAL,
    )
    assert want.serial
    assert members_of(want, 1) == [
        ("member_n1_10.0.0.1_30443", "10.0.0.1", 30443, None, None),
        ("member_n2_10.0.0.2_30443", "10.0.0.2", 30443, None, None),
    ]
    assert want.listeners[1].pool.monitor is not None, "the monitor stays; only its member port is dropped"


def test_batch_members_keep_node_names_subnet_and_family() -> None:
    want = two_ports(serial=False)
    assert not want.serial
    assert members_of(want)[0] == ("n1", "10.0.0.1", 30080, "vip-subnet", None)


@pytest.mark.parametrize(
    ("addresses", "expected"),
    [
        ((("ExternalIP", "203.0.113.5"), ("InternalIP", "10.0.0.1")), "10.0.0.1"),
        ((("InternalIP", "fd00::1"), ("InternalIP", "10.0.0.1")), "fd00::1"),
        ((("Hostname", "n1"), ("ExternalIP", "203.0.113.5")), "n1"),
        ((), None),
    ],
    ids=["internal-before-external", "first-internal-any-family", "first-of-any-type", "no-address"],
)
def test_serial_address_choice(addresses, expected) -> None:
    want = build(service(ports=TWO_PORTS), [NodeView("n1", addresses)], conf=SERIAL)
    got = [m[1] for m in members_of(want)]
    assert got == ([expected] if expected else [])


def test_serial_address_ignores_the_service_ip_family() -> None:
    dual = nodes("n1=10.0.0.1,fd00::1")
    serial = build(service(ports=TWO_PORTS, ipFamilies=["IPv6"]), dual, conf=SERIAL)
    batch = build(service(ports=TWO_PORTS, ipFamilies=["IPv6"]), dual)
    assert (members_of(serial)[0][1], members_of(batch)[0][1]) == ("10.0.0.1", "fd00::1")


def test_serial_members_follow_the_node_selector() -> None:
    want = build(
        service({"node-selector": "zone=a"}, ports=TWO_PORTS),
        nodes("n1=10.0.0.1;zone=a", "n2=10.0.0.2;zone=b"),
        conf=SERIAL,
    )
    assert [m[0] for m in members_of(want)] == ["member_n1_10.0.0.1_30080"]


# ---- planner: members ----------------------------------------------------------------------------
def test_in_sync_needs_nothing() -> None:
    want = two_ports(serial=True, **{"enable-health-monitor": "true"})
    assert next_step(want, in_sync(want), OWNER) is None


def test_missing_members_are_created_one_step_each() -> None:
    want = two_ports(serial=True)
    state = replace_pool_state(replace_pool_state(in_sync(want), 0, members=()), 1, members=())
    steps = converge_members(want, state)
    assert [(s.call, s.args[0], s.args[1]["name"]) for s in steps] == [
        ("create_member", "p0", "member_n1_10.0.0.1_30080"),
        ("create_member", "p0", "member_n2_10.0.0.2_30080"),
        ("create_member", "p1", "member_n1_10.0.0.1_30443"),
        ("create_member", "p1", "member_n2_10.0.0.2_30443"),
    ]
    assert steps[0].args[1] == {
        "name": "member_n1_10.0.0.1_30080",
        "address": "10.0.0.1",
        "protocol_port": 30080,
    }


def test_node_added_gives_one_create_per_pool() -> None:
    before = two_ports(serial=True)
    after = two_ports(serial=True, node_list=nodes("n1=10.0.0.1", "n2=10.0.0.2", "n3=10.0.0.3"))
    steps = converge_members(after, in_sync(before))
    assert [(s.call, s.args[0], s.args[1]["address"]) for s in steps] == [
        ("create_member", "p0", "10.0.0.3"),
        ("create_member", "p1", "10.0.0.3"),
    ]


def test_node_removed_gives_one_delete_per_pool_by_member_id() -> None:
    before = two_ports(serial=True)
    after = two_ports(serial=True, node_list=nodes("n2=10.0.0.2"))
    steps = converge_members(after, in_sync(before))
    assert [(s.call, s.args) for s in steps] == [
        ("delete_member", ("p0", "m00")),
        ("delete_member", ("p1", "m10")),
    ]


def test_replaced_node_is_added_before_the_old_one_is_removed() -> None:
    before = two_ports(serial=True)
    after = two_ports(serial=True, node_list=nodes("n2=10.0.0.2", "n3=10.0.0.3"))
    steps = converge_members(after, in_sync(before))
    assert [(s.call, s.args[0]) for s in steps] == [
        ("create_member", "p0"),
        ("delete_member", "p0"),
        ("create_member", "p1"),
        ("delete_member", "p1"),
    ]


def test_members_match_on_address_and_port_only() -> None:
    """A member another writer named differently (e.g. a batch-mode node name) is kept, as OCCM keeps it."""
    want = two_ports(serial=True)
    state = in_sync(want)
    renamed = tuple(
        dataclasses.replace(m, name="n1", subnet_id="other") for m in state.listeners[0].pool.members
    )
    assert next_step(want, replace_pool_state(state, 0, members=renamed), OWNER) is None


def test_member_without_id_is_not_deleted() -> None:
    """An id-less member only comes from the memo's record of a batch PUT; DELETE needs an id."""
    want = two_ports(serial=True)
    state = in_sync(want)
    stale = OsMember("", "n9", "10.0.0.9", 30080, None, None)
    grown = replace_pool_state(state, 0, members=(*state.listeners[0].pool.members, stale))
    assert next_step(want, grown, OWNER) is None


@pytest.mark.parametrize(
    "make",
    [
        lambda s: replace_pool_state(s, 0, members=()),
        lambda s: replace_pool_state(s, 1, members=s.listeners[1].pool.members[:1]),
        lambda s: replace_pool_state(
            s, 0, members=(*s.listeners[0].pool.members, OsMember("x", "n9", "10.0.0.9", 30080, None, None))
        ),
    ],
    ids=["pool-empty", "member-missing", "member-extra"],
)
def test_serial_mode_never_batches_and_batch_mode_does(make) -> None:
    serial, batch = two_ports(serial=True), two_ports(serial=False)
    serial_step = next_step(serial, make(in_sync(serial)), OWNER)
    batch_step = next_step(batch, make(in_sync(batch)), OWNER)
    assert serial_step is not None and serial_step.call in ("create_member", "delete_member")
    assert batch_step is not None and batch_step.call == "replace_members"


def test_monitor_comes_after_the_members() -> None:
    want = two_ports(serial=True, **{"enable-health-monitor": "true"})
    state = in_sync(want)
    bare = replace_pool_state(state, 0, members=(), monitor=None)
    step = next_step(want, bare, OWNER)
    assert step is not None and step.call == "create_member"
    step = next_step(want, replace_pool_state(state, 0, monitor=None), OWNER)
    assert step is not None and step.call == "create_monitor"


# ---- planner: creates are not nested --------------------------------------------------------------
def test_serial_listener_is_created_without_its_pool() -> None:
    for serial in (True, False):
        want = two_ports(serial=serial)
        state = dataclasses.replace(in_sync(want), listeners=in_sync(want).listeners[:1])
        step = next_step(want, state, OWNER)
        assert step is not None and step.call == "create_listener"
        assert ("default_pool" in step.args[0]) is not serial


def test_serial_pool_is_created_without_members_or_monitor() -> None:
    for serial in (True, False):
        want = two_ports(serial=serial, **{"enable-health-monitor": "true"})
        state = in_sync(want)
        first, second = state.listeners
        no_pool = dataclasses.replace(state, listeners=(dataclasses.replace(first, pool=None), second))
        step = next_step(want, no_pool, OWNER)
        assert step is not None and step.call == "create_pool"
        body = step.args[0]
        assert body["listener_id"] == "l0"
        if serial:
            assert "members" not in body and "healthmonitor" not in body
        else:
            assert len(body["members"]) == 2 and body["healthmonitor"]["type"] == "TCP"
