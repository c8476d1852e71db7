"""Real AdmissionReview bodies as the kube-apiserver sends them, built for tests."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import orjson

LB_ID = "3f1c6a9e-8a52-4d8e-9a43-6f1d2b7c9e10"
ANN = "loadbalancer.openstack.org/"


def service(
    name: str = "web",
    namespace: str = "team-a",
    type_: str = "LoadBalancer",
    annotations: dict[str, str] | None = None,
    ports: list[tuple[str, int]] | None = None,
    finalizers: list[str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{namespace}.{name}")),
        "annotations": dict(annotations or {}),
        "managedFields": [
            {"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "v1"}
        ],
    }
    if finalizers is not None:
        metadata["finalizers"] = list(finalizers)
    body_spec: dict[str, Any] = {
        "type": type_,
        "selector": {"app": name},
        "ports": [
            {"name": f"p{port}", "protocol": protocol, "port": port, "targetPort": 8080}
            for protocol, port in (ports or [("TCP", 80)])
        ],
        "sessionAffinity": "None",
        "externalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"],
        **spec,
    }
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": body_spec}


def review(
    operation: str,
    obj: dict[str, Any] | None,
    old: dict[str, Any] | None = None,
    dry_run: bool = False,
    uid: str | None = None,
) -> dict[str, Any]:
    source = obj if obj is not None else old or {}
    meta = source.get("metadata", {})
    options_kind = {"CREATE": "CreateOptions", "UPDATE": "UpdateOptions", "DELETE": "DeleteOptions"}[
        operation
    ]
    gvk = {"group": "", "version": "v1", "kind": "Service"}
    gvr = {"group": "", "version": "v1", "resource": "services"}
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid or str(uuid.uuid4()),
            "kind": gvk,
            "resource": gvr,
            "subResource": "",
            "requestKind": gvk,
            "requestResource": gvr,
            "name": meta.get("name", ""),
            "namespace": meta.get("namespace", ""),
            "operation": operation,
            "userInfo": {
                "username": "kubernetes-admin",
                "groups": ["system:masters", "system:authenticated"],
            },
            "object": copy.deepcopy(obj),
            "oldObject": copy.deepcopy(old),
            "dryRun": dry_run,
            "options": {"kind": options_kind, "apiVersion": "meta.k8s.io/v1"},
        },
    }


def encode(body: Any) -> bytes:
    return orjson.dumps(body)
