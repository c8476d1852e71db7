"""Does a Service need a reconcile? A pure comparison of what the worker would find, for the resync.

It walks the worker's `ensure` (reconcile.py) with bulk-observed state and answers with the first reason
the worker would act, or None when the worker would find nothing to do. The Octavia tree is compared by
the planner itself (`plan.next_step`) and the floating IP by its planner (`plan.floating_ip.decide`), so the
resync cannot disagree with the reconcile about what differs; the annotations and status follow `_converge`
and `_ready` (keep them in step: a change there that is not mirrored here makes every resync enqueue, or
miss, the Services it concerns; tests/reconcile/test_resync_drift.py checks the settled case).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from octavia_lb.common.model import DesiredService
from octavia_lb.common.rules import FINALIZER
from octavia_lb.worker.cloud.observed import ACTIVE, Observed, OsLoadBalancer
from octavia_lb.worker.plan import floating_ip as fip_plan
from octavia_lb.worker.plan.floating_ip import shown_addresses
from octavia_lb.worker.plan.load_balancer import PlanError, next_step, sharing_of
from octavia_lb.worker.reconcile.rename import looks_renamed
from octavia_lb.worker.reconcile.status import LB_ADDRESS, LB_ID, ready_condition


@dataclass(frozen=True)
class Drift:
    """Why a reconcile is wanted: `cause` is a short metrics label, `detail` is logged."""

    cause: str
    detail: str


def find_load_balancer(
    annotations: Mapping[str, str],
    names: Sequence[str],
    lbs: Mapping[str, OsLoadBalancer],
    by_name: Callable[[str], list[OsLoadBalancer]],
) -> OsLoadBalancer | Drift:
    """The Service's load balancer as `_Run._find` picks it: by the id annotation, else by its own name
    (then the legacy name); `by_name` lists the live load balancers of a name."""
    lb_id = annotations.get(LB_ID)
    if lb_id:
        found = lbs.get(lb_id)
        if found is not None:
            return found
        return Drift("missing", f"load balancer {lb_id} of the annotation is gone")
    for name in names:
        candidates = by_name(name) if name else []
        if len(candidates) > 1:
            return Drift("missing", f"several load balancers named {name}")
        if candidates:
            return candidates[0]
    return Drift("missing", "no load balancer yet")


def floating_ip_drift(want: DesiredService, os_state: Observed, owner: bool) -> tuple[str, Drift | None]:
    """The worker's floating IP planner on the VIP port's floating IP: (the address the Service shows, the
    change the worker would make, if any). What a missing floating IP would be found or created as needs
    reads the resync does not make: it is a change whatever they would show."""
    try:
        decision = fip_plan.decide(want, os_state.lb, os_state.floating_ip, owner)
    except PlanError as exc:
        return "", Drift("error", f"cannot be planned: {exc}")
    if decision.step is not None:
        return decision.address, Drift("floating-ip", decision.step.describe)
    if decision.wish is not None:
        return decision.address, Drift("floating-ip", "floating IP missing")
    return decision.address, None


def _ingress_shown(service: Mapping[str, Any]) -> list[tuple[str, str]]:
    ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
    return [(entry.get("ip") or "", entry.get("hostname") or "") for entry in ingress]


def drift_reason(
    service: Mapping[str, Any],
    want: DesiredService,
    os_state: Observed,
    max_shared: int,
    tags_supported: bool,
    cluster: str,
) -> Drift | None:
    """Why the worker would act on this Service whose load balancer is `os_state.lb`; None if it would not."""
    meta = service.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    lb = os_state.lb
    if FINALIZER not in (meta.get("finalizers") or ()):
        return Drift("finalizer", "finalizer missing")
    if lb.provisioning_status != ACTIVE:
        return Drift("pending", f"load balancer {lb.id} is {lb.provisioning_status}")
    owner = lb.name in (want.lb_name, want.legacy_name)
    if not owner and looks_renamed(lb, service, cluster):
        return Drift("rename", f"load balancer {lb.id} is named for another cluster")
    if annotations.get(LB_ID) != lb.id:
        return Drift("annotation", "load-balancer-id annotation differs")
    try:
        step = next_step(want, os_state, sharing_of(want, os_state, max_shared, tags_supported))
    except PlanError as exc:
        return Drift("error", f"cannot be planned: {exc}")
    if step is not None:
        return Drift("octavia", step.describe)
    address, change = floating_ip_drift(want, os_state, owner)
    if change is not None:
        return change
    first, *more = shown_addresses(want, lb, address)
    if annotations.get(LB_ADDRESS) != first:
        return Drift("annotation", "load-balancer-address annotation differs")
    condition = ready_condition(service) or {}
    message = f"load balancer {lb.id} serves {' and '.join([first, *more])}"
    if (condition.get("status"), condition.get("reason"), condition.get("message")) != (
        "True",
        "Ready",
        message,
    ):
        return Drift("status", "not Ready")
    # compared without ipMode: an API server older than 1.29 drops that field
    wanted = [(e.get("ip") or "", e.get("hostname") or "") for e in want.status.ingress(first, more)]
    if _ingress_shown(service) != wanted:
        return Drift("status", "status.loadBalancer.ingress differs")
    return None
