"""Octavia response shapes: stored objects plus their derived references (`listeners: [{"id"}]`, ...)."""

from __future__ import annotations

from typing import Any

from octavia_lb_devkit.sim.octavia.store import Octavia
from octavia_lb_devkit.sim.query import public


def _refs(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"id": item["id"]} for item in sorted(items, key=lambda i: i["_seq"])]


def render(octavia: Octavia, kind: str, item: dict[str, Any]) -> dict[str, Any]:
    shown = public(item)
    lb_id = item.get("_lb")
    if kind == "loadbalancers":
        shown["listeners"] = _refs(octavia.children(item["id"], "listeners"))
        shown["pools"] = _refs(octavia.children(item["id"], "pools"))
    elif kind == "listeners":
        shown["loadbalancers"] = [{"id": lb_id}]
        shown["l7policies"] = _refs(
            [p for p in octavia.children(lb_id, "l7policies") if p["listener_id"] == item["id"]]
        )
    elif kind == "pools":
        shown["loadbalancers"] = [{"id": lb_id}]
        shown["listeners"] = _refs(
            [li for li in octavia.children(lb_id, "listeners") if li.get("default_pool_id") == item["id"]]
        )
        shown["members"] = _refs([m for m in octavia.children(lb_id, "members") if m["_pool"] == item["id"]])
    elif kind == "healthmonitors":
        shown["pools"] = [{"id": item["_hm_pool"]}]
    elif kind == "l7policies":
        shown["rules"] = _refs([r for r in octavia.children(lb_id, "l7rules") if r["_policy"] == item["id"]])
    return shown


def render_full(octavia: Octavia, lb: dict[str, Any]) -> dict[str, Any]:
    """The fully-populated create answer: every child object inline, not just its id."""
    shown = render(octavia, "loadbalancers", lb)
    shown["listeners"] = [
        _full_listener(octavia, li) for li in _sorted(octavia.children(lb["id"], "listeners"))
    ]
    shown["pools"] = [_full_pool(octavia, p) for p in _sorted(octavia.children(lb["id"], "pools"))]
    return shown


def _sorted(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda i: i["_seq"])


def _full_listener(octavia: Octavia, listener: dict[str, Any]) -> dict[str, Any]:
    shown = render(octavia, "listeners", listener)
    policies = [
        p for p in octavia.children(listener["_lb"], "l7policies") if p["listener_id"] == listener["id"]
    ]
    shown["l7policies"] = []
    for policy in _sorted(policies):
        body = render(octavia, "l7policies", policy)
        rules = [r for r in octavia.children(listener["_lb"], "l7rules") if r["_policy"] == policy["id"]]
        body["rules"] = [render(octavia, "l7rules", r) for r in _sorted(rules)]
        shown["l7policies"].append(body)
    return shown


def _full_pool(octavia: Octavia, pool: dict[str, Any]) -> dict[str, Any]:
    shown = render(octavia, "pools", pool)
    members = [m for m in octavia.children(pool["_lb"], "members") if m["_pool"] == pool["id"]]
    shown["members"] = [render(octavia, "members", m) for m in _sorted(members)]
    monitor = octavia.store["healthmonitors"].get(pool.get("healthmonitor_id") or "")
    shown["healthmonitor"] = render(octavia, "healthmonitors", monitor) if monitor else None
    return shown


def status_tree(octavia: Octavia, lb: dict[str, Any]) -> dict[str, Any]:
    def status(item: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "id": item["id"],
            "name": item.get("name", ""),
            "provisioning_status": item["provisioning_status"],
            "operating_status": item["operating_status"],
            **extra,
        }

    pools = {p["id"]: p for p in octavia.children(lb["id"], "pools")}
    members = octavia.children(lb["id"], "members")

    def pool_status(pool: dict[str, Any]) -> dict[str, Any]:
        monitor = octavia.store["healthmonitors"].get(pool.get("healthmonitor_id") or "")
        extra: dict[str, Any] = {
            "members": [
                status(m, address=m["address"], protocol_port=m["protocol_port"])
                for m in _sorted(members)
                if m["_pool"] == pool["id"]
            ]
        }
        if monitor:
            extra["health_monitor"] = status(monitor, type=monitor["type"])
        return status(pool, **extra)

    listeners = []
    for listener in _sorted(octavia.children(lb["id"], "listeners")):
        used = [pools[listener["default_pool_id"]]] if listener.get("default_pool_id") in pools else []
        listeners.append(status(listener, pools=[pool_status(p) for p in used]))
    return {"statuses": {"loadbalancer": status(lb, listeners=listeners)}}
