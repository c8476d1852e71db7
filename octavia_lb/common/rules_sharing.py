"""Sharing rules: Services that name the same load-balancer-id, checked against the cluster's other Services.
"""

from __future__ import annotations

from octavia_lb.common import annotations as ann
from octavia_lb.common.rule_context import Context, Findings, Peer
from octavia_lb.common.service import ServiceView

LB_ID = ann.key("load-balancer-id")


def check_sharing(ctx: Context, peers: list[Peer], out: Findings) -> None:
    """max-shared-lb, (protocol, port) collisions, and no sharing involving an internal Service."""
    lb_id = ctx.options.load_balancer_id
    if lb_id is None:
        return
    view = ctx.view
    others = sorted(
        (p for p in peers if p.load_balancer_id == lb_id and not _same(p, view)),
        key=lambda p: p.key,
    )
    if not others:
        return
    old_id = ctx.old.annotations.get(LB_ID, "").lower() if ctx.old else ""
    limit = ctx.config.load_balancer.max_shared_lb
    if old_id != lb_id and len(others) + 1 > limit:
        names = ", ".join(p.key for p in others)
        out.deny(f'{LB_ID}: "{lb_id}" is already shared by {len(others)} Services ({names}); cloud.conf '
                 f"max-shared-lb = {limit} allows {limit} Services per load balancer, owner included")
    for index, port in enumerate(view.ports):
        for peer in others:
            if (port.protocol, port.port) in peer.ports:
                out.deny(f"spec.ports[{index}]: {port.protocol}/{port.port} is already used on load balancer "
                         f"{lb_id} by Service {peer.key}; choose another port")
    if ctx.options.internal:
        out.deny(f"{ann.INTERNAL}: an internal Service cannot share a load balancer, and {lb_id} is used by "
                 f"{', '.join(p.key for p in others)}; remove {LB_ID} or make the Service external")
    else:
        for peer in others:
            if peer.internal:
                out.deny(f'{LB_ID}: "{lb_id}" belongs to internal Service {peer.key}; no Service may share '
                         f"a load balancer with an internal Service")


def _same(peer: Peer, view: ServiceView) -> bool:
    """The Service under review itself (by uid, or by namespace/name when either has no uid)."""
    return (bool(view.uid) and peer.uid == view.uid) or peer.key == view.key
