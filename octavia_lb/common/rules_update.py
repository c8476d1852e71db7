"""UPDATE rules: once a Service has a load balancer, its id and the creation-only annotations are fixed."""

from __future__ import annotations

from octavia_lb.common import annotations as ann
from octavia_lb.common.rule_context import Context, Findings
from octavia_lb.common.service import show

LB_ID = ann.key("load-balancer-id")


def check_immutable(ctx: Context, out: Findings) -> None:
    """Once the old object names a load balancer: its id may not change, nor the creation-only keys."""
    if ctx.old is None:
        return
    old_id = ctx.old.annotations.get(LB_ID)
    if old_id is None:
        return  # no load balancer yet: everything may still change
    new_id = ctx.view.annotations.get(LB_ID)
    if new_id is None:
        out.deny(f"{LB_ID} may not be removed once the Service has a load balancer (it is {show(old_id)}); "
                 f"delete and recreate the Service to get a new one")
    elif new_id != old_id:
        out.deny(f"{LB_ID}: {show(new_id)} may not change once the Service has a load balancer (it was "
                 f"{show(old_id)}); delete and recreate the Service to move it")
    for key in ann.CREATION_ONLY:
        if key == LB_ID:
            continue
        before, after = ctx.old.annotations.get(key), ctx.view.annotations.get(key)
        if before != after:
            was = "unset" if before is None else show(before)
            now = "removed" if after is None else show(after)
            out.deny(f"{key}: {now} may not change once the load balancer exists (it was {was}); "
                     f"delete and recreate the Service to change it")
