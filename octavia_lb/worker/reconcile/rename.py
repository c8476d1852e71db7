"""Adopting a Service's load balancer after the cluster name changed (OCCM's `LoadBalancerRename`).

Every name carries the cluster (`kube_service_<cluster>_<ns>_<name>`), so after `--cluster-name` changes the
Service's own load balancer looks foreign. OCCM renames any load balancer found through the Service's
`load-balancer-id` whose name has another cluster part, which lets a Service in one cluster take over a
same-named Service's load balancer of another cluster (OCCM #3079, #2682). We rename only when all of these
hold, so the load balancer was this Service's:

- it was found through the Service's `load-balancer-id` annotation;
- its name is exactly this Service's name under the other cluster name;
- the Service's `status.loadBalancer.ingress` already shows its address (status is written by a
  controller, not by whoever edits the Service);
- no other Service shares it (another `kube_service_` tag): renaming would take it from them.

The rename is a series of single writes, one per reconcile like every other step: monitors, pools and
listeners (names and tags) first, the load balancer last, so until the last step it is still recognised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from octavia_lb.common import naming
from octavia_lb.worker.cloud.observed import Observed, OsLoadBalancer
from octavia_lb.worker.plan.steps import (
    OctaviaStep,
    UpdateListener,
    UpdateLoadBalancer,
    UpdateMonitor,
    UpdatePool,
)


def looks_renamed(lb: OsLoadBalancer, service: Mapping[str, Any], cluster: str) -> bool:
    """Named exactly after this Service under another cluster name, and shared with no other Service."""
    meta = service.get("metadata") or {}
    old_cluster = naming.cluster_of(lb.name)
    if old_cluster is None or old_cluster == cluster:
        return False
    if lb.name != naming.lb_name(old_cluster, meta.get("namespace", ""), meta.get("name", "")):
        return False
    return not any(t.startswith(naming.LB_PREFIX) and t != lb.name for t in lb.tags)


def shown_in_status(service: Mapping[str, Any], lb: OsLoadBalancer, floating_ip: str | None) -> bool:
    """The Service's status already reports this load balancer's address (a controller wrote it)."""
    ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
    shown = {entry.get("ip") for entry in ingress}
    addresses = {lb.vip_address, floating_ip} - {None, ""}
    return bool(shown & addresses)


def _swap(text: str, old: str, new: str) -> str:
    return naming.cut(text.replace(old, new))


def _tags(tags: tuple[str, ...], old: str, new: str) -> list[str]:
    return [new if t == old else t for t in tags]


def next_rename_step(old: str, new: str, os_state: Observed) -> OctaviaStep | None:
    """The next object still named (or tagged) after `old`: monitors, pools, listeners, then the load
    balancer itself; None when nothing is left."""
    states = list(os_state.listeners)
    for state in states:
        monitor = state.pool.monitor if state.pool else None
        if monitor is not None and old in monitor.name:
            new_name = _swap(monitor.name, old, new)
            return UpdateMonitor(monitor.id, {"name": new_name}, describe=f"rename monitor to {new_name}")
    for state in states:
        pool = state.pool.pool if state.pool else None
        if pool is not None and old in pool.name:
            new_name = _swap(pool.name, old, new)
            return UpdatePool(pool.id, {"name": new_name}, describe=f"rename pool to {new_name}")
    for state in states:
        listener = state.listener
        if old in listener.name or old in listener.tags:
            body: dict[str, Any] = {"name": _swap(listener.name, old, new)}
            if old in listener.tags:
                body["tags"] = _tags(listener.tags, old, new)
            return UpdateListener(listener.id, body, describe=f"rename listener to {body['name']}")
    lb = os_state.lb
    lb_body: dict[str, Any] = {"name": new}
    if old in lb.tags:
        lb_body["tags"] = _tags(lb.tags, old, new)
    return UpdateLoadBalancer(lb.id, lb_body, describe=f"rename load balancer {lb.id} from {old} to {new}")
