"""The floating IP's I/O half: the reads `plan.floating_ip` asks for between its stages, and its steps run.

Neutron calls do not depend on Octavia's provisioning state, so these run in the same reconcile as an
Octavia step.
"""

from __future__ import annotations

from octavia_lb.common.model import DesiredService
from octavia_lb.worker.cloud.errors import ReconcileError
from octavia_lb.worker.cloud.gateway import Gateway
from octavia_lb.worker.cloud.observed import Observed, OsFloatingIP
from octavia_lb.worker.plan import floating_ip as plan
from octavia_lb.worker.plan.floating_ip import SubnetLookup
from octavia_lb.worker.plan.steps import DeleteFloatingIp
from octavia_lb.worker.reconcile.apply import run_step


def ensure_floating_ip(gateway: Gateway, want: DesiredService, os_state: Observed, owner: bool) -> str:
    """Make the VIP port's floating IP (`os_state.floating_ip`) match the wish; returns the address the
    Service shows for it (see `plan.floating_ip.FipDecision`)."""
    lb = os_state.lb
    decision = plan.decide(want, lb, os_state.floating_ip, owner)
    if os_state.floating_ip is not None and decision.step is not None:
        _run_release(gateway, os_state.floating_ip, decision.step, want.key)
    wish = decision.wish
    if wish is None:
        return decision.address
    if wish.address:
        found = gateway.floating_ips(floating_ip_address=wish.address)
        reuse = plan.reuse_step(wish, lb, found[0] if found else None)
        if reuse is not None:
            run_step(gateway, reuse, want.key)
            return found[0].address
    lookup = plan.subnet_lookup(wish)
    network = None
    if lookup is SubnetLookup.NETWORK_OF_SUBNET:
        network = gateway.subnet_network(wish.subnet.subnet_id)
    listed = gateway.subnets(wish.network_id, plan.tag_filter(wish)) if lookup is SubnetLookup.LIST else []
    create = plan.create_step(wish, lb, plan.choose_subnets(wish, network, listed))
    if create is None:
        return decision.address
    return run_step(gateway, create, want.key).address


def release(gateway: Gateway, fip: OsFloatingIP, keep: bool, who: str) -> None:
    """Delete a floating IP we created (unless kept); detach one we did not create."""
    step = plan.release_step(fip, keep)
    if step is not None:
        _run_release(gateway, fip, step, who)


def _run_release(gateway: Gateway, fip: OsFloatingIP, step: plan.ReleaseStep, who: str) -> None:
    try:
        run_step(gateway, step, who)
    except ReconcileError as exc:
        if not isinstance(step, DeleteFloatingIp):
            raise
        # OCCM's wording, Neutron's reason kept
        raise type(exc)(
            f"failed to delete floating IP {fip.address} for loadbalancer VIP port {fip.port_id}: "
            f"{exc.message}"
        ) from exc
