"""The periodic resync's choice: which tracked Services need a reconcile now.

Without it every resync enqueues every Service, and each settled one costs its reconcile about 7 OpenStack
reads. With it the dispatcher takes one bulk snapshot (bulk.py: a few paginated lists, members only for
pools that changed), builds each Service's desired state with the worker's pure builder, and compares with
the planner (drift.py). It enqueues:

- Services whose observed state differs from what they want: a hand change in Octavia or Neutron, a failed
  or unfinished reconcile (anything not Ready), and a Service changed since it was last reconciled whose
  message was lost (its desired state is built from its current spec and annotations, so the change shows);
- Services being cleaned up, and those the bulk view cannot judge: invalid options, cloud lookups that
  fail.

With `manage-security-groups` the snapshot adds every security group and port of the project
(drift_groups.py), still a handful of requests whatever N is.

If the snapshot itself fails (OpenStack down or refusing), every tracked Service is enqueued, as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from kubernetes import client

from octavia_lb.common.config import CloudConfig, load_cloud_config
from octavia_lb.common.model import BuildError, NodeView, build_desired, service_options
from octavia_lb.common.naming import lb_name, legacy_lb_name
from octavia_lb.common.rules import is_managed
from octavia_lb.worker.cloud.errors import ReconcileError
from octavia_lb.worker.cloud.gateway import CALLS, Gateway, connect
from octavia_lb.worker.cloud.observed import OsLoadBalancer
from octavia_lb.worker.dispatch.bulk import ChildCache, Snapshot, take_snapshot
from octavia_lb.worker.dispatch.drift import Drift, drift_reason, find_load_balancer
from octavia_lb.worker.dispatch.drift_groups import GroupView, group_drift
from octavia_lb.worker.reconcile.nodes import eligible_nodes
from octavia_lb.worker.reconcile.run import discover_all
from octavia_lb.worker.runtime import metrics
from octavia_lb.worker.settings import Settings

log = logging.getLogger(__name__)

Key = tuple[str, str]


def _requests_made() -> float:
    return sum(
        sample.value
        for family in CALLS.collect()
        for sample in family.samples
        if sample.name.endswith("_total")
    )


class DriftCheck:
    """One per dispatcher: the OpenStack connection and the member cache live across resyncs."""

    def __init__(self, settings: Settings, api: client.ApiClient, config: CloudConfig | None = None) -> None:
        self.config = config or load_cloud_config(settings.cloud_config or "")
        self.cluster = settings.cluster_name
        self.api = api
        self.cache = ChildCache()
        self._gateway: Gateway | None = None

    @property
    def gateway(self) -> Gateway:
        if self._gateway is None:
            self._gateway = Gateway(connect(self.config), provider=self.config.load_balancer.lb_provider)
        return self._gateway

    def choose(self, services: Mapping[Key, Mapping[str, Any]]) -> dict[Key, Drift]:
        """The tracked Services to enqueue, each with why; raises when no snapshot can be taken."""
        chosen: dict[Key, Drift] = {}
        # `enabled = false`: the worker provisions nothing; only cleanups matter, and need no snapshot
        enabled = self.config.load_balancer.enabled
        snapshot = take_snapshot(self.gateway, self.cache) if enabled else None
        nodes = eligible_nodes(self.api) if snapshot is not None else []
        groups = None
        if snapshot is not None and self.config.load_balancer.manage_security_groups:
            groups = GroupView.take(self.gateway)
        found = {key: self.find(service, snapshot) for key, service in services.items()}
        if snapshot is not None:
            snapshot.prefetch(lb.id for lb in found.values() if isinstance(lb, OsLoadBalancer))
        for key, lb in found.items():
            drift = lb if isinstance(lb, Drift) else self.check(services[key], snapshot, nodes, groups, lb)
            if drift is not None:
                chosen[key] = drift
        return chosen

    def find(self, service: Mapping[str, Any], snapshot: Snapshot | None) -> OsLoadBalancer | Drift | None:
        """The Service's load balancer in the snapshot; a Drift when there is none or it needs no look;
        None when nothing is to be compared (`enabled = false`)."""
        meta = service.get("metadata") or {}
        if not is_managed(service) or meta.get("deletionTimestamp"):
            return Drift("cleanup", "being cleaned up")
        if snapshot is None:
            return None
        namespace, name = meta.get("namespace", ""), meta.get("name", "")
        legacy = legacy_lb_name(meta["uid"]) if meta.get("uid") else ""
        names = [lb_name(self.cluster, namespace, name), legacy]
        annotations = meta.get("annotations") or {}
        return find_load_balancer(annotations, names, snapshot.lbs, snapshot.find_by_name)

    def check(
        self,
        service: Mapping[str, Any],
        snapshot: Snapshot | None,
        nodes: list[NodeView],
        groups: GroupView | None,
        found: OsLoadBalancer | None,
    ) -> Drift | None:
        """What the worker would change for a Service whose load balancer is `found`."""
        if snapshot is None or found is None:
            return None
        meta = service.get("metadata") or {}
        key = f"{meta.get('namespace', '')}/{meta.get('name', '')}"
        try:
            _, options = service_options(service, self.config)
            # the worker's own lookups (VIP subnet, floating network, dual stack): none for a settled
            # single-stack Service beyond the cached external network
            discovered = discover_all(self.gateway, options, self.config, nodes, key, found)
            features = self.gateway.features()
            want = build_desired(service, nodes, self.config, self.cluster, features, discovered)
            os_state = snapshot.observed(found)
        except BuildError as exc:
            return Drift("invalid", str(exc))
        except ReconcileError as exc:
            return Drift("error", exc.message)
        drift = drift_reason(
            service, want, os_state, self.config.load_balancer.max_shared_lb, features.tags, self.cluster
        )
        if drift is not None or groups is None:
            return drift
        # the worker brings the group in step before it reports Ready: compare it last, as it does
        try:
            problem = group_drift(
                service,
                want,
                nodes,
                groups,
                found.vip_subnet_id,
                self.gateway.provider,
                options.source_ranges,
            )
        except ReconcileError as exc:
            return Drift("error", exc.message)
        return Drift("security-groups", problem) if problem else None


def choose(check: DriftCheck | None, services: Mapping[Key, Mapping[str, Any]]) -> dict[Key, str]:
    """Key → cause for the resync to enqueue; every Service when there is no check or it fails."""
    if check is None:
        return {key: "all" for key in services}
    started, requests = time.monotonic(), _requests_made()
    try:
        chosen = check.choose(services)
    except Exception as exc:  # the safe side: a resync that cannot compare enqueues everything
        log.warning("resync drift check failed (%s); enqueueing all %d services", exc, len(services))
        metrics.DRIFT.labels(cause="check-failed").inc(len(services))
        return {key: "check-failed" for key in services}
    for key, drift in chosen.items():
        metrics.DRIFT.labels(cause=drift.cause).inc()
        log.info("resync: %s/%s differs (%s): %s", *key, drift.cause, drift.detail)
    metrics.RESYNC_CHECKED.set(len(services))
    metrics.RESYNC_ENQUEUED.set(len(chosen))
    metrics.RESYNC_REQUESTS.set(_requests_made() - requests)
    metrics.RESYNC_SECONDS.observe(time.monotonic() - started)
    return {key: drift.cause for key, drift in chosen.items()}
