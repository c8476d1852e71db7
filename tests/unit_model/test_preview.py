"""The preview's simulation of Octavia: after each simulated step the worker's own planner must agree that the
step happened, so iterating it ends exactly where the worker would (no loops, no early stop)."""

from __future__ import annotations

import dataclasses

import pytest

from octavia_lb.common.model import DesiredService
from octavia_lb.worker.cloud.observed import MonitorId, Observed
from octavia_lb.worker.plan.load_balancer import Sharing, create_step, next_step
from octavia_lb.worker.plan.steps import CreateSecurityGroup, DeleteLoadBalancer, DeleteMonitor, UpdateMonitor
from octavia_lb.worker.preview.simulate import converge, created_load_balancer, simulate
from tests.unit_model.helpers import build, nodes, service
from tests.unit_model.test_plan import OWNER, in_sync, replace_pool_state

NODES = ("n1=10.0.0.1", "n2=10.0.0.2", "n3=10.0.0.3")
TWO_PORTS = [{"port": 80, "nodePort": 30080}, {"port": 443, "nodePort": 30443}]
WANTS = {
    "plain": ({}, {}, ""),
    "tcp-monitor": ({"enable-health-monitor": "true"}, {}, ""),
    "http-monitor": (
        {"enable-health-monitor": "true"},
        {"externalTrafficPolicy": "Local", "healthCheckNodePort": 32000},
        "",
    ),
    "proxy": ({"proxy-protocol": "v2"}, {}, ""),
    "xff-limits-timeouts": (
        {"x-forwarded-for": "true", "connection-limit": "100", "timeout-client-data": "7"},
        {},
        "",
    ),
    "affinity-source-ranges": (
        {},
        {"sessionAffinity": "ClientIP", "loadBalancerSourceRanges": ["10.0.0.0/8"]},
        "",
    ),
    "serial": ({"enable-health-monitor": "true"}, {}, "provider-requires-serial-api-calls = true\n"),
}


def _want(name: str) -> DesiredService:
    annotations, spec, conf = WANTS[name]
    return build(service(annotations, ports=TWO_PORTS, **spec), nodes(*NODES), conf)


@pytest.mark.parametrize("name", sorted(WANTS))
def test_a_simulated_create_converges_where_the_planner_stops(name: str) -> None:
    want = _want(name)
    state = created_load_balancer(create_step(want).args[0])
    result = converge(want, state, OWNER)
    assert result.stopped == ""
    assert next_step(want, result.state, OWNER) is None
    if want.serial:  # bare create; then per port a listener, a pool, 3 members, a monitor
        calls = [s.call for s in result.steps]
        assert calls[:2] == [
            "create_listener",
            "create_listener",
        ]  # every listener first, as next_step orders
        assert calls[2:7] == [
            "create_pool",
            "create_member",
            "create_member",
            "create_member",
            "create_monitor",
        ]
        assert len(result.steps) == 12
    else:
        assert result.steps == ()  # the fully populated create leaves nothing to do


def test_an_lb_method_change_is_one_pool_update_with_old_and_new() -> None:
    before = build(service(ports=TWO_PORTS), nodes(*NODES))
    after = build(service({"lb-method": "SOURCE_IP"}, ports=TWO_PORTS), nodes(*NODES))
    result = converge(after, in_sync(before), OWNER)
    assert [s.call for s in result.steps] == ["update_pool", "update_pool"]
    first = result.changes[0]
    assert (first.step, first.action, first.kind) == (1, "update", "pool")
    assert first.fields == {"lb_algorithm": {"old": "ROUND_ROBIN", "new": "SOURCE_IP"}}
    assert result.changes[1].step == 2


def test_a_protocol_change_replaces_the_listener_in_three_writes() -> None:
    before = build(service(ports=[{"port": 53, "nodePort": 30053, "protocol": "TCP"}]), nodes(*NODES))
    after = build(service(ports=[{"port": 53, "nodePort": 30053, "protocol": "UDP"}]), nodes(*NODES))
    result = converge(after, in_sync(before), OWNER)
    assert [(c.step, c.action, c.kind) for c in result.changes] == [
        (1, "delete", "pool"),
        (2, "delete", "listener"),
        (3, "create", "listener"),
        (3, "create", "pool"),
        (3, "create", "member"),
        (3, "create", "member"),
        (3, "create", "member"),
    ]
    assert result.changes[2].fields["protocol"] == "UDP"


def test_a_node_leaving_is_one_batch_member_update_per_pool() -> None:
    before = build(service(ports=TWO_PORTS), nodes(*NODES))
    after = build(service(ports=TWO_PORTS), nodes(*NODES[:2]))
    result = converge(after, in_sync(before), OWNER)
    assert [s.call for s in result.steps] == ["replace_members", "replace_members"]
    members = result.changes[0].fields["members"]
    assert members["old"] == ["n1 10.0.0.1:30080", "n2 10.0.0.2:30080", "n3 10.0.0.3:30080"]
    assert members["new"] == ["n1 10.0.0.1:30080", "n2 10.0.0.2:30080"]


def test_a_monitor_type_change_deletes_then_creates_and_a_setting_change_updates() -> None:
    before = build(service({"enable-health-monitor": "true"}, ports=TWO_PORTS[:1]), nodes(*NODES))
    http = build(
        service(
            {"enable-health-monitor": "true"},
            ports=TWO_PORTS[:1],
            externalTrafficPolicy="Local",
            healthCheckNodePort=32000,
        ),
        nodes(*NODES),
    )
    result = converge(http, in_sync(before), OWNER)
    # members gain the monitor port first (a batch update), then the monitor is replaced
    assert [s.call for s in result.steps] == ["replace_members", "delete_monitor", "create_monitor"]
    slower = build(
        service({"enable-health-monitor": "true", "health-monitor-delay": "30"}, ports=TWO_PORTS[:1]),
        nodes(*NODES),
    )
    result = converge(slower, in_sync(before), OWNER)
    [change] = result.changes
    assert (change.action, change.kind, change.fields) == (
        "update",
        "healthmonitor",
        {"delay": {"old": 5, "new": 30}},
    )


def test_serial_members_leave_one_delete_at_a_time() -> None:
    conf = "provider-requires-serial-api-calls = true\n"
    before = build(service(ports=TWO_PORTS[:1]), nodes(*NODES), conf)
    after = build(service(ports=TWO_PORTS[:1]), nodes(*NODES[:1]), conf)
    result = converge(after, in_sync(before), OWNER)
    assert [(c.action, c.kind, c.name) for c in result.changes] == [
        ("delete", "member", "member_n2_10.0.0.2_30080"),
        ("delete", "member", "member_n3_10.0.0.3_30080"),
    ]


def test_joining_a_shared_load_balancer_tags_it_first() -> None:
    want = build(service(ports=TWO_PORTS[:1]), nodes(*NODES))
    other = in_sync(
        want, lb_name="kube_service_kubernetes_shop_owner", tags=("kube_service_kubernetes_shop_owner",)
    )
    empty = dataclasses.replace(other, listeners=())
    result = converge(want, empty, Sharing(owner=False, max_shared=2, tags_supported=True))
    assert [s.call for s in result.steps] == ["update_load_balancer", "create_listener"]
    assert result.changes[0].fields == {
        "tags": {
            "old": ["kube_service_kubernetes_shop_owner"],
            "new": ["kube_service_kubernetes_shop_owner", "kube_service_kubernetes_shop_web"],
        }
    }


def test_a_step_it_cannot_simulate_ends_the_list_with_a_re_plan_note() -> None:
    want = build(service(ports=TWO_PORTS[:1]), nodes(*NODES))
    state: Observed = in_sync(want)
    # the whole load balancer deleted, or a Neutron write: not part of the modelled tree
    assert simulate(state, DeleteLoadBalancer(state.lb.id, True)) is None
    assert simulate(state, CreateSecurityGroup("lb-sg-x", "")) is None
    # a monitor id the state does not hold cannot be updated in the simulation either
    assert simulate(state, UpdateMonitor(MonitorId("no-such-monitor"), {"delay": 1})) is None
    orphaned = replace_pool_state(state, 0, monitor=None)
    assert simulate(orphaned, DeleteMonitor(MonitorId("hm0"))) is None
