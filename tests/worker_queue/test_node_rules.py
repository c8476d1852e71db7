"""Which Service and Node changes the dispatcher acts on (pure functions, table-driven)."""

from __future__ import annotations

from typing import Any

import pytest

from octavia_lb.common.model import NodeView
from octavia_lb.common.nodes import EXCLUDE_LABEL, is_eligible
from octavia_lb.common.rules import FINALIZER
from octavia_lb.worker.dispatch.dispatcher import (
    member_for,
    node_affects,
    relevant_change,
    service_selector,
    tracked,
)


def node(
    labels: dict[str, str] | None = None,
    ready: str = "True",
    ip: str = "10.0.0.1",
    taint: str = "",
    deleting: bool = False,
) -> dict:
    deletion = {"deletionTimestamp": "2026-01-01T00:00:00Z"} if deleting else {}
    return {
        "metadata": {"name": "n", "labels": labels or {}, **deletion},
        "spec": {"taints": [{"key": taint, "effect": "NoSchedule"}] if taint else []},
        "status": {
            "addresses": [{"type": "InternalIP", "address": ip}],
            "conditions": [{"type": "Ready", "status": ready, "lastHeartbeatTime": "2026-01-01T00:00:00Z"}],
        },
    }


def svc(kind: str = "LoadBalancer", **meta: Any) -> dict:
    return {"metadata": {"name": "s", "namespace": "ns", **meta}, "spec": {"type": kind}}


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        (svc(), True),
        (svc("ClusterIP"), False),
        (svc("ClusterIP", finalizers=[FINALIZER]), True),
        (svc("NodePort", finalizers=["other/finalizer"]), False),
        ({"metadata": {}, "spec": {"type": "LoadBalancer", "loadBalancerClass": "example.com/other"}}, False),
    ],
    ids=["lb", "cluster-ip", "finalizer-after-type-change", "foreign-finalizer", "other-class"],
)
def test_tracked(service: dict, expected: bool) -> None:
    assert tracked(service) is expected


def test_status_only_changes_are_not_relevant() -> None:
    old = svc()
    assert not relevant_change(old, {**old, "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}})
    assert relevant_change(old, svc(annotations={"a": "b"}))
    assert relevant_change(old, svc(deletionTimestamp="2026-01-01T00:00:00Z"))
    assert relevant_change(old, {**old, "spec": {"type": "LoadBalancer", "ports": []}})


@pytest.mark.parametrize(
    ("annotations", "default", "expected"),
    [
        ({}, {"pool": "a"}, {"pool": "a"}),
        ({"loadbalancer.openstack.org/node-selector": ""}, {"pool": "a"}, {}),
        ({"loadbalancer.openstack.org/node-selector": "pool=b,gpu"}, {}, {"pool": "b", "gpu": ""}),
        ({"loadbalancer.openstack.org/node-selector": "bad key!"}, {}, None),
    ],
    ids=["config-default", "empty-annotation-disables", "annotation", "unparsable-means-all"],
)
def test_service_selector(annotations: dict, default: dict, expected: dict | None) -> None:
    assert service_selector(svc(annotations=annotations), default) == expected


def test_heartbeats_do_not_change_the_view() -> None:
    a, b = node(), node()
    b["status"]["conditions"][0]["lastHeartbeatTime"] = "2026-01-01T00:01:00Z"
    assert NodeView.from_dict(a) == NodeView.from_dict(b)
    assert NodeView.from_dict(a) != NodeView.from_dict(node(ready="False"))


@pytest.mark.parametrize(
    ("old", "new", "selector", "expected"),
    [
        (None, node({"pool": "a"}), {"pool": "a"}, True),
        (None, node({"pool": "b"}), {"pool": "a"}, False),
        (node({"pool": "b"}), node({"pool": "a"}), {"pool": "a"}, True),
        (node({"pool": "a"}), node({"pool": "b"}), {"pool": "a"}, True),
        (node({"pool": "a"}), None, {"pool": "a"}, True),
        (node({"pool": "a"}), node({"pool": "a"}, ready="False"), {"pool": "a"}, True),
        (node({"pool": "a"}), node({"pool": "a"}, ip="10.0.0.2"), {}, True),
        (node({"pool": "a"}), node({"pool": "a", EXCLUDE_LABEL: "true"}), {}, True),
        (node({EXCLUDE_LABEL: ""}), node({EXCLUDE_LABEL: "", "x": "y"}), {}, False),
        (node({EXCLUDE_LABEL: "false"}), node({EXCLUDE_LABEL: "false", "x": "y"}), {}, True),
        (node(taint="ToBeDeletedByClusterAutoscaler"), None, {}, False),
        (node(), node(deleting=True), {}, True),
        (node(deleting=True), None, {}, False),
        (node({"gpu": "1"}), node({"gpu": "2"}), {"gpu": ""}, True),
        (node({}), node({"x": "1"}), {"gpu": ""}, False),
        (node({}), node({"x": "1"}), None, True),
    ],
    ids=[
        "added-matching",
        "added-other-pool",
        "label-now-matches",
        "label-no-longer-matches",
        "removed",
        "not-ready",
        "address",
        "excluded-now",
        "excluded-before-and-after",
        "exclude-label-false",
        "autoscaler-deleting",
        "deletion-starts",
        "deleting-node-removed",
        "key-only-selector",
        "never-matches",
        "unparsable-selector",
    ],
)
def test_node_affects(old: dict | None, new: dict | None, selector: dict | None, expected: bool) -> None:
    views = [NodeView.from_dict(n) if n is not None else None for n in (old, new)]
    assert node_affects(views[0], views[1], selector) is expected


@pytest.mark.parametrize(
    ("value", "member"),
    [
        (None, True),
        ("false", True),
        ("0", True),
        ("False", True),
        ("true", False),
        ("", False),
        ("yes", False),
    ],
)
def test_worker_and_dispatcher_agree_on_the_exclude_label(value: str | None, member: bool) -> None:
    labels = {} if value is None else {EXCLUDE_LABEL: value}
    raw = {
        "metadata": {"name": "n", "labels": labels},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }
    assert is_eligible(raw) is member
    assert member_for(NodeView.from_dict(raw), None) is member
