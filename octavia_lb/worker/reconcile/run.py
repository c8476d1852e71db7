"""One level-triggered reconcile of one Service: read fresh, build, observe, apply the next step, write back.

    reconcile_service(context, ns, name)
      Service gone                      → nothing to do
      wants a load balancer             → ensure: create (fully populated) or converge one step at a time;
                                          PENDING_* → Requeue; ERROR build → delete, retry later
      deleted / no longer LoadBalancer  → cleanup (if our finalizer is on it), finalizer removed last

With cloud.conf manage-security-groups the Service's Neutron security group is brought in step once the
load balancer is (reconcile/security_group.py); without it a leftover group is deleted, and it always goes
with the Service.

It never waits for Octavia: after each Octavia write it raises `Requeue`, and the next run observes the
result. Errors become a `SyncLoadBalancerFailed` Event and a False `LoadBalancerReady` condition carrying
the message (Octavia's own text included), then propagate for the task to retry or give up.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from octavia_lb.common import naming
from octavia_lb.common.config import CloudConfig
from octavia_lb.common.model import (
    BuildError,
    DesiredService,
    Discovered,
    NodeView,
    Reason,
    build_desired,
    service_options,
)
from octavia_lb.common.naming import lb_name, legacy_lb_name
from octavia_lb.common.options import ServiceOptions, read_options
from octavia_lb.common.rules import FINALIZER, is_managed
from octavia_lb.worker.cloud.errors import PermanentError, ReconcileError, Requeue, TemporaryError
from octavia_lb.worker.cloud.features import discover, gateway_for
from octavia_lb.worker.cloud.gateway import Gateway
from octavia_lb.worker.cloud.observed import ACTIVE, ERROR, Observed, OsLoadBalancer
from octavia_lb.worker.context import ReconcileContext
from octavia_lb.worker.plan.floating_ip import is_ipv6, shown_addresses
from octavia_lb.worker.plan.load_balancer import (
    PlanError,
    create_step,
    deletes_load_balancer,
    next_cleanup_step,
    next_step,
    next_teardown_step,
    sharing_of,
)
from octavia_lb.worker.plan.security_group import Place
from octavia_lb.worker.plan.steps import DeleteLoadBalancer, OctaviaStep, UpdateLoadBalancer, UpdatePool
from octavia_lb.worker.reconcile import dual_stack, fresh, memo, rename
from octavia_lb.worker.reconcile.apply import observe, run_step
from octavia_lb.worker.reconcile.floating_ip import ensure_floating_ip, release
from octavia_lb.worker.reconcile.nodes import eligible_nodes
from octavia_lb.worker.reconcile.security_group import SecurityGroups
from octavia_lb.worker.reconcile.status import LB_ADDRESS, LB_ID, EventReason, KubeWriter, ready_condition
from octavia_lb.worker.reconcile.tls_refs import check_tls_ref

log = logging.getLogger(__name__)

PROVISIONING = "Provisioning"
DELETING = "Deleting"


def reconcile_service(context: ReconcileContext, namespace: str, name: str) -> None:
    """The entry point the Celery task calls."""
    kube = KubeWriter(context.kube)
    service = kube.read_service(namespace, name)
    if service is None:
        return
    run = _Run(context, kube, service)
    if is_managed(service) and not service["metadata"].get("deletionTimestamp"):
        if context.cloud_config.load_balancer.enabled:
            run.ensure()
        else:  # OCCM's `[LoadBalancer] enabled = false`: no load balancers; only cleanups still run
            log.info("%s/%s: not provisioned: cloud.conf [LoadBalancer] enabled = false", namespace, name)
    elif FINALIZER in (service["metadata"].get("finalizers") or ()):
        run.cleanup()


def find_load_balancer(
    gateway: Gateway,
    key: str,
    names: tuple[str, ...],
    lb_id: str | None,
    address: str | None,
    forget: Callable[[], None],
) -> OsLoadBalancer | None:
    """The Service's load balancer: by its `load-balancer-id`, else by its names (`octavia-lb plan` too).
    `forget` is called when the annotations name a load balancer that is gone."""
    if lb_id:
        lb = gateway.get_load_balancer(lb_id)
        if lb is not None:
            return lb
        if not address:  # a share request by a user: that load balancer must exist
            raise PermanentError(f"failed to get load balancer {lb_id}: Load Balancer {lb_id} not found")
        # id and address were written by a controller for a load balancer that is gone (OCCM #2751):
        # forget them and look the Service's own load balancer up by name, creating it if needed
        log.warning("%s: load balancer %s of the annotations is gone", key, lb_id)
        forget()
    for name in names:
        found = gateway.find_load_balancers(name) if name else []
        if len(found) > 1:
            raise PermanentError(
                f"error getting loadbalancer for Service {key}: multiple results where only one expected"
            )
        if found:
            return found[0]
    return None


def discover_all(
    gateway: Gateway,
    options: ServiceOptions,
    config: CloudConfig,
    nodes: list[NodeView],
    key: str,
    lb: OsLoadBalancer | None,
) -> Discovered:
    """The cloud facts the builder needs: VIP subnet and floating network autodetection, then the dual-stack
    lookups (`octavia-lb plan --live` makes the same calls)."""
    discovered = discover(gateway, options, nodes, key, lb.vip_subnet_id if lb else "")
    dual = dual_stack.discover(gateway, options, config, discovered.vip_subnet_id, lb)
    return dataclasses.replace(
        discovered,
        additional_vips=dual.additional_vips,
        dual_stack_missing=dual.dual_stack_missing,
        member_subnets=dual.member_subnets,
    )


class _Run:
    def __init__(self, context: ReconcileContext, kube: KubeWriter, service: dict[str, Any]) -> None:
        self.context = context
        self.kube = kube
        self.service = service
        self.config = context.cloud_config
        self.cluster = context.settings.cluster_name
        self.countdown = context.settings.requeue_countdown
        meta = service["metadata"]
        self.key = f"{meta['namespace']}/{meta['name']}"
        self.lb_name = lb_name(self.cluster, meta["namespace"], meta["name"])
        self.legacy = legacy_lb_name(meta["uid"]) if meta.get("uid") else ""
        self._gateway: Gateway | None = None
        self._nodes: list[NodeView] = []
        self._source_ranges: tuple[str, ...] = ()

    @property
    def gateway(self) -> Gateway:
        if self._gateway is None:
            self._gateway = gateway_for(self.context)
        return self._gateway

    # ---- ensure --------------------------------------------------------------------------------
    def ensure(self) -> None:
        with self._reporting("failed to ensure load balancer"):
            _, options = service_options(self.service, self.config)
            self.kube.add_finalizer(self.service, FINALIZER)
            ref = options.default_tls_container_ref
            if ref and self.config.load_balancer.container_store == "barbican":
                check_tls_ref(self.gateway, ref, self.key)
            nodes = eligible_nodes(self.context.kube)
            self._nodes, self._source_ranges = nodes, options.source_ranges
            lb = self._find(options.load_balancer_id, options.load_balancer_address)
            discovered = discover_all(self.gateway, options, self.config, nodes, self.key, lb)
            want = build_desired(
                self.service, nodes, self.config, self.cluster, self.gateway.features(), discovered
            )
            if lb is None:
                self._create(want)
            with self.context.lock_load_balancer(lb.id):
                self._converge(want, lb)

    def _find(self, lb_id: str | None, address: str | None = None) -> OsLoadBalancer | None:
        def forget() -> None:
            self.kube.set_annotations(self.service, {LB_ID: None, LB_ADDRESS: None})

        return find_load_balancer(self.gateway, self.key, (self.lb_name, self.legacy), lb_id, address, forget)

    def _create(self, want: DesiredService) -> NoReturn:
        self._progress(f"creating load balancer {want.lb_name}")
        step = create_step(want)
        try:
            lb = run_step(self.gateway, step, self.key)
        except ReconcileError as exc:
            raise type(exc)(f"error creating loadbalancer {want.lb_name}: {exc.message}") from exc
        self.kube.set_annotations(self.service, {LB_ID: lb.id})
        # the VIP port exists already and Neutron does not wait for Octavia: attach the address now
        address = ensure_floating_ip(self.gateway, want, Observed(lb, (), (), None), owner=True)
        if "listeners" in step.body:
            fresh.remember(self.context.redis, self.context.settings.key_prefix, lb.id, want, address)
        raise Requeue(self.countdown, f"load balancer {lb.id} created, {lb.provisioning_status}")

    def _converge(self, want: DesiredService, lb: OsLoadBalancer) -> None:
        owner = lb.name in (want.lb_name, want.legacy_name)
        self._settle(lb, owner, want.keep_floatingip)
        if not owner and rename.looks_renamed(lb, self.service, self.cluster):
            self._rename(want, lb)
        self.kube.set_annotations(self.service, {LB_ID: lb.id})
        address = fresh.take(self.context.redis, self.context.settings.key_prefix, lb.id, want)
        if address is not None:
            self.kube.set_annotations(self.service, {LB_ADDRESS: shown_addresses(want, lb, address)[0]})
            self._security_group(want, lb)
            self._ready(want, lb, address)
            return
        redis, prefix = self.context.redis, self.context.settings.key_prefix
        os_state = observe(self.gateway, lb, with_fip=False, memo=memo.load(redis, prefix, lb.id))
        sharing = sharing_of(
            want, os_state, self.config.load_balancer.max_shared_lb, self.gateway.features().tags
        )
        step = next_step(want, os_state, sharing)
        if step is not None:
            self._progress(step.describe)
            self._apply(step)
            memo.save_after(redis, prefix, os_state, step)
            raise Requeue(self.countdown, step.describe)
        memo.drop(redis, prefix, lb.id)
        fips = self.gateway.floating_ips(port_id=lb.vip_port_id) if lb.vip_port_id else []
        os_state = dataclasses.replace(os_state, floating_ip=fips[0] if fips else None)
        address = ensure_floating_ip(self.gateway, want, os_state, owner)
        self.kube.set_annotations(self.service, {LB_ADDRESS: shown_addresses(want, lb, address)[0]})
        self._security_group(want, lb)
        self._ready(want, lb, address)

    def _rename(self, want: DesiredService, lb: OsLoadBalancer) -> None:
        """The cluster name changed under this Service's load balancer: rename it, a step per run."""
        fips = self.gateway.floating_ips(port_id=lb.vip_port_id) if lb.vip_port_id else []
        if not rename.shown_in_status(self.service, lb, fips[0].address if fips else None):
            return  # not provably this Service's: treated as a load balancer shared by id
        step = rename.next_rename_step(lb.name, want.lb_name, observe(self.gateway, lb, with_fip=False))
        if step is None:
            return
        if isinstance(step, UpdateLoadBalancer):
            self.kube.event(
                self.service,
                True,
                EventReason.RENAME.value,
                f"Load balancer {lb.id} is named for cluster {naming.cluster_of(lb.name)}; renamed to "
                f"{want.lb_name} with its listeners, pools and monitors",
            )
        self._progress(step.describe)
        run_step(self.gateway, step, self.key)
        memo.drop(self.context.redis, self.context.settings.key_prefix, lb.id)
        raise Requeue(self.countdown, step.describe)

    def _apply(self, step: OctaviaStep) -> None:
        try:
            run_step(self.gateway, step, self.key)
        except PermanentError as exc:
            if isinstance(step, UpdatePool) and "lb_algorithm" in step.body:
                # OCCM's warning for an algorithm Octavia refuses (e.g. ROUND_ROBIN on ovn)
                self.kube.event(
                    self.service,
                    True,
                    EventReason.LB_METHOD_UNKNOWN.value,
                    f"Error updating LB method for LoadBalancer: {exc.message}",
                )
            raise

    def _settle(self, lb: OsLoadBalancer, owner: bool, keep_floatingip: bool) -> None:
        """Only an ACTIVE load balancer can be changed: wait for PENDING_*, replace a failed build."""
        if lb.pending:
            raise Requeue(self.countdown, f"load balancer {lb.id} is {lb.provisioning_status}")
        if lb.provisioning_status == ERROR and owner:
            for fip in self.gateway.floating_ips(port_id=lb.vip_port_id) if lb.vip_port_id else []:
                release(self.gateway, fip, keep=keep_floatingip, who=self.key)  # its VIP port goes too
            run_step(
                self.gateway,
                DeleteLoadBalancer(lb.id, True, describe=f"delete failed build {lb.id}"),
                self.key,
            )
            self.kube.set_annotations(self.service, {LB_ID: None, LB_ADDRESS: None})
            raise TemporaryError(
                f"loadbalancer {lb.id} has gone into ERROR state, please check Octavia for "
                "details. Load balancer was deleted and its creation will be retried",
                delay=self.countdown,
            )
        if lb.provisioning_status != ACTIVE:
            raise TemporaryError(
                f"load balancer {lb.id} is not ACTIVE, current provisioning status: {lb.provisioning_status}"
            )

    def _security_group(self, want: DesiredService, lb: OsLoadBalancer) -> None:
        groups = SecurityGroups(self.gateway, self.service, self.cluster)
        if self.config.load_balancer.manage_security_groups:
            place = Place(lb.vip_subnet_id, self.gateway.provider, self._source_ranges)
            groups.ensure(want, self._nodes, place)
        else:  # as OCCM: switching the option off removes what it made (one lookup when there is none)
            groups.delete()

    def _ready(self, want: DesiredService, lb: OsLoadBalancer, address: str) -> None:
        # a dual-stack Service shows each served family's address (its FIP for the IPv4 one), in its order
        first, *more = shown_addresses(want, lb, address)
        ingress = want.status.ingress(first, more)
        old = ready_condition(self.service)
        was_ready = (
            bool(old and old.get("status") == "True")
            and ((self.service.get("status") or {}).get("loadBalancer") or {}).get("ingress") == ingress
        )
        serves = " and ".join([first, *more])
        self.kube.set_status(self.service, ingress, True, "Ready", f"load balancer {lb.id} serves {serves}")
        if not was_ready:
            # IPv6 only: an IPv6-first dual-stack Service's IPv4 VIP may still get a floating IP
            ipv6 = is_ipv6(lb.vip_address) and (want.floating_ip is None or lb.vip_of("IPv4") is None)
            for notice in want.notices:
                if notice.reason is Reason.FORCED_INTERNAL and (address != lb.vip_of("IPv4") or ipv6):
                    continue  # a floating IP was kept or attached, or none applies: OCCM says nothing then
                self.kube.event(self.service, True, notice.reason.value, notice.message)
            if ipv6:  # OCCM's text, ending with the address in use
                skipped = f"Floating IP not supported for IPv6 Service {self.key}. Using IPv6 address instead"
                self.kube.event(self.service, True, Reason.FLOATING_IP_SKIPPED.value, f"{skipped} {address}.")
            self.kube.event(self.service, False, EventReason.ENSURED.value, "Ensured load balancer")

    def _progress(self, what: str) -> None:
        old = ready_condition(self.service)
        if not (old and old.get("reason") == PROVISIONING):
            self.kube.event(self.service, False, EventReason.ENSURING.value, "Ensuring load balancer")
        self.kube.set_status(self.service, None, False, PROVISIONING, what)

    # ---- cleanup -------------------------------------------------------------------------------
    def cleanup(self) -> None:
        with self._reporting("failed to delete load balancer", EventReason.DELETE_FAILED):
            options, _problems = read_options(self.service, self.config)  # bad values must not block deletion
            lb = self._find_for_cleanup(options.load_balancer_id)
            if lb is not None:
                with self.context.lock_load_balancer(lb.id):
                    self._dismantle(lb, options.keep_floatingip)
            SecurityGroups(self.gateway, self.service, self.cluster).delete()  # whatever the option says now
            self._finish_cleanup()

    def _find_for_cleanup(self, lb_id: str | None) -> OsLoadBalancer | None:
        if lb_id:
            return self.gateway.get_load_balancer(lb_id)  # already gone: deletion is complete
        return self._find(None)

    def _dismantle(self, lb: OsLoadBalancer, keep_floatingip: bool) -> None:
        if lb.pending:
            raise Requeue(self.countdown, f"load balancer {lb.id} is {lb.provisioning_status}")
        if lb.provisioning_status not in (ACTIVE, ERROR):
            raise TemporaryError(
                f"load balancer {lb.id} is in immutable status, current provisioning status: "
                f"{lb.provisioning_status}"
            )
        self._deleting()
        # a legacy-named load balancer stays (OCCM): only listeners tagged with this Service leave it
        owner = lb.name == self.lb_name
        if deletes_load_balancer(self.lb_name, lb):
            self._delete_load_balancer(lb, keep_floatingip)
        os_state: Observed = observe(self.gateway, lb, with_fip=False)
        step = next_cleanup_step(self.lb_name, os_state, owner)
        if step is not None:
            run_step(self.gateway, step, self.key)
            raise Requeue(self.countdown, step.describe)

    def _delete_load_balancer(self, lb: OsLoadBalancer, keep_floatingip: bool) -> NoReturn:
        """The whole load balancer goes: release its floating IP, then one cascade delete (the children are
        not read: they go with it)."""
        for fip in self.gateway.floating_ips(port_id=lb.vip_port_id) if lb.vip_port_id else []:
            release(self.gateway, fip, keep=keep_floatingip, who=self.key)
        cascade = self.config.load_balancer.cascade_delete
        if not cascade:
            step = next_teardown_step(observe(self.gateway, lb, with_fip=False))
            if step is not None:
                run_step(self.gateway, step, self.key)
                raise Requeue(self.countdown, step.describe)
        run_step(
            self.gateway,
            DeleteLoadBalancer(lb.id, cascade, describe=f"delete load balancer {lb.id}"),
            self.key,
        )
        raise Requeue(self.countdown, f"deleting load balancer {lb.id}")

    def _deleting(self) -> None:
        old = ready_condition(self.service)
        if not (old and old.get("reason") == DELETING):
            self.kube.event(self.service, False, EventReason.DELETING.value, "Deleting load balancer")
            self.kube.set_status(self.service, None, False, DELETING, "deleting load balancer")

    def _finish_cleanup(self) -> None:
        self.kube.set_annotations(self.service, {LB_ID: None, LB_ADDRESS: None})
        if not self.service["metadata"].get("deletionTimestamp"):
            self.kube.clear_status(self.service)
        self.kube.event(self.service, False, EventReason.DELETED.value, "Deleted load balancer")
        self.kube.remove_finalizer(self.service, FINALIZER)

    # ---- errors --------------------------------------------------------------------------------
    @contextmanager
    def _reporting(self, doing: str, reason: EventReason = EventReason.SYNC_FAILED) -> Iterator[None]:
        try:
            yield
        except (BuildError, PlanError) as exc:
            self._failed(doing, str(exc), reason)
            raise PermanentError(f"{doing}: {exc}") from exc
        except ReconcileError as exc:
            self._failed(doing, exc.message, reason)
            raise

    def _failed(self, doing: str, message: str, reason: EventReason) -> None:
        text = f"Error syncing load balancer: {doing}: {message}"
        old = ready_condition(self.service)
        if not (old and old.get("message") == text):
            self.kube.event(self.service, True, reason.value, text)
        self.kube.set_status(self.service, None, False, reason.value, text)
