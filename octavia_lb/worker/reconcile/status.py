"""Write-back to Kubernetes: the Service's status (ingress and the `LoadBalancerReady` condition), the OCCM
annotations, Events with OCCM's reasons, and the finalizer.

Every write is a JSON patch guarded by a `test` of what it was computed from where that matters (the
finalizer index), so a concurrent edit makes the patch fail instead of clobbering it. An API server that
does not know `status.conditions` (1.20) drops the field silently; nothing here depends on reading it back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from prometheus_client import Histogram

from octavia_lb.common import annotations as ann
from octavia_lb.common.kube_json import EventBody, Json, JsonPatch, KubeJson, PatchOp

log = logging.getLogger(__name__)

CONDITION = "LoadBalancerReady"
LB_ID = ann.key("load-balancer-id")
LB_ADDRESS = ann.key("load-balancer-address")
COMPONENT = "octavia-lb"
TIME_TO_READY = Histogram(
    "octavia_lb_service_time_to_ready_seconds",
    "From Service creation to its first load balancer address",
    buckets=(1, 2.5, 5, 10, 20, 30, 60, 90, 120, 180, 300, 600, 1200),
)


class EventReason(Enum):
    """OCCM's (and the service controller's) Event reasons; the Warning ones of §9 come from the model."""

    ENSURING = "EnsuringLoadBalancer"
    ENSURED = "EnsuredLoadBalancer"
    SYNC_FAILED = "SyncLoadBalancerFailed"
    DELETING = "DeletingLoadBalancer"
    DELETED = "DeletedLoadBalancer"
    DELETE_FAILED = "DeleteLoadBalancerFailed"
    LB_METHOD_UNKNOWN = "LoadBalancerLbMethodUnknown"
    RENAME = "LoadBalancerRename"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pointer(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def ready_condition(service: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for condition in (service.get("status") or {}).get("conditions") or ():
        if condition.get("type") == CONDITION:
            found: Mapping[str, Any] = condition
            return found
    return None


class KubeWriter:
    """Reads and writes one cluster's Services and Events."""

    def __init__(self, api: client.ApiClient) -> None:
        self.kube = KubeJson(api)

    def read_service(self, namespace: str, name: str) -> Json | None:
        try:
            return self.kube.read_service(namespace, name)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def _patch(self, service: Json, ops: JsonPatch, status: bool = False) -> None:
        """Apply a JSON patch and refresh `service` in place, so later patches start from the new state."""
        meta = service["metadata"]
        fresh = self.kube.patch_service(meta["namespace"], meta["name"], ops, status=status)
        service.clear()
        service.update(fresh)

    # ---- finalizer -----------------------------------------------------------------------------
    def add_finalizer(self, service: dict[str, Any], finalizer: str) -> None:
        finalizers = service["metadata"].get("finalizers")
        if finalizers and finalizer in finalizers:
            return
        op: PatchOp = (
            {"op": "add", "path": "/metadata/finalizers/-", "value": finalizer}
            if finalizers
            else {"op": "add", "path": "/metadata/finalizers", "value": [finalizer]}
        )
        self._patch(service, [op])

    def remove_finalizer(self, service: dict[str, Any], finalizer: str) -> None:
        finalizers = service["metadata"].get("finalizers") or []
        if finalizer not in finalizers:
            return
        index = finalizers.index(finalizer)
        path = f"/metadata/finalizers/{index}"
        self._patch(
            service, [{"op": "test", "path": path, "value": finalizer}, {"op": "remove", "path": path}]
        )

    # ---- annotations and status ----------------------------------------------------------------
    def set_annotations(self, service: dict[str, Any], wanted: Mapping[str, str | None]) -> None:
        """Set (value) or remove (None) annotations; no request when nothing changes."""
        current = service["metadata"].get("annotations")
        ops: JsonPatch = []
        if current is None and any(v is not None for v in wanted.values()):
            ops.append({"op": "add", "path": "/metadata/annotations", "value": {}})
            current = {}
        for key, value in wanted.items():
            path = f"/metadata/annotations/{_pointer(key)}"
            if value is None and current and key in current:
                ops.append({"op": "remove", "path": path})
            elif value is not None and (current or {}).get(key) != value:
                ops.append({"op": "add", "path": path, "value": value})
        if ops:
            self._patch(service, ops)

    def set_status(
        self,
        service: dict[str, Any],
        ingress: list[dict[str, str]] | None,
        ready: bool,
        reason: str,
        message: str,
    ) -> None:
        """status.loadBalancer.ingress (None = leave as is) and the LoadBalancerReady condition."""
        status = service.get("status") or {}
        old = ready_condition(service)
        value = "True" if ready else "False"
        condition = {
            "type": CONDITION,
            "status": value,
            "reason": reason,
            "message": message[:32000],
            "lastTransitionTime": old["lastTransitionTime"]
            if old and old.get("status") == value and old.get("lastTransitionTime")
            else _now(),
            "observedGeneration": service["metadata"].get("generation", 0),
        }
        ops: JsonPatch = []
        if ingress is not None and (status.get("loadBalancer") or {}).get("ingress") != ingress:
            ops.append(
                {
                    "op": "add",
                    "path": "/status/loadBalancer",
                    "value": {"ingress": ingress} if ingress else {},
                }
            )
        if old is None or any(old.get(k) != condition[k] for k in ("status", "reason", "message")):
            others = [c for c in status.get("conditions") or () if c.get("type") != CONDITION]
            ops.append({"op": "add", "path": "/status/conditions", "value": [*others, condition]})
        if ops and "status" not in service:
            ops.insert(0, {"op": "add", "path": "/status", "value": {}})
        if ops:
            self._patch(service, ops, status=True)
        if ready and ingress and not (status.get("loadBalancer") or {}).get("ingress"):
            _observe_time_to_ready(service)

    def clear_status(self, service: dict[str, Any]) -> None:
        """After a type change: no ingress, no LoadBalancerReady condition."""
        status = service.get("status") or {}
        ops: JsonPatch = []
        if (status.get("loadBalancer") or {}).get("ingress"):
            ops.append({"op": "add", "path": "/status/loadBalancer", "value": {}})
        if ready_condition(service) is not None:
            others = [c for c in status.get("conditions") or () if c.get("type") != CONDITION]
            ops.append({"op": "add", "path": "/status/conditions", "value": others})
        if ops:
            self._patch(service, ops, status=True)

    # ---- events --------------------------------------------------------------------------------
    def event(self, service: dict[str, Any], warning: bool, reason: str, message: str) -> None:
        meta = service["metadata"]
        now = _now()
        body: EventBody = {
            "metadata": {"generateName": f"{meta['name']}.", "namespace": meta["namespace"]},
            "involvedObject": {
                "kind": "Service",
                "apiVersion": "v1",
                "namespace": meta["namespace"],
                "name": meta["name"],
                "uid": meta.get("uid"),
                "resourceVersion": meta.get("resourceVersion"),
            },
            "reason": reason,
            "message": message[:1024],
            "type": "Warning" if warning else "Normal",
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        try:
            self.kube.create_event(meta["namespace"], body)
        except ApiException as exc:  # an Event is advice; losing one must not fail the reconcile
            log.warning("event %s for %s/%s not recorded: %s", reason, meta["namespace"], meta["name"], exc)


def _observe_time_to_ready(service: dict[str, Any]) -> None:
    created = service["metadata"].get("creationTimestamp")
    if not created:
        return
    started = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    TIME_TO_READY.observe(max(0.0, time.time() - started))
