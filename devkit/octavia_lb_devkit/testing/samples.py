"""Realistic Service objects and AdmissionReview bodies, shaped as the kube-apiserver sends them.

Shared by the webhook tests and `bench/` (which must not import from `tests/`): one place builds the bodies
that both the correctness tests and the throughput figures are about.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
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
    """A Service dict; `spec` keyword arguments are added to (or override) its spec."""
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
    """An `admission.k8s.io/v1` AdmissionReview request for a Service (deep copies of the objects)."""
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


def numbered_lb_id(i: int) -> str:
    """A distinct, valid load-balancer UUID per integer."""
    return f"00000000-0000-4000-8000-{i:012d}"


def _last_applied(size: int) -> str:
    # kubectl's client-side apply keeps the whole previous object in this annotation: it is most of a body
    return "{" + '"x":"' + "y" * size + '"}'


def basic_review() -> dict[str, Any]:
    """A typical CREATE (~2 KB with last-applied) of an admissible Service that names a shared LB."""
    svc = service(
        "web",
        "team-a",
        annotations={
            ANN + "load-balancer-id": numbered_lb_id(1),
            ANN + "health-monitor-delay": "5",
            ANN + "health-monitor-timeout": "3",
            ANN + "enable-health-monitor": "true",
            "kubectl.kubernetes.io/last-applied-configuration": _last_applied(700),
        },
        ports=[("TCP", 8443)],
    )
    return review("CREATE", svc)


def rich_review() -> dict[str, Any]:
    """An UPDATE of an admissible Service using most annotation kinds (every parser runs), three ports."""
    annotations = {
        ANN + "load-balancer-id": numbered_lb_id(1),
        ANN + "enable-health-monitor": "true",
        ANN + "health-monitor-delay": "10",
        ANN + "health-monitor-timeout": "5",
        ANN + "health-monitor-max-retries": "2",
        ANN + "health-monitor-max-retries-down": "4",
        ANN + "connection-limit": "5000",
        ANN + "timeout-client-data": "60000",
        ANN + "timeout-member-connect": "4000",
        ANN + "timeout-member-data": "60000",
        ANN + "timeout-tcp-inspect": "0",
        ANN + "keep-floatingip": "true",
        ANN + "lb-method": "LEAST_CONNECTIONS",
        ANN + "proxy-protocol": "v2",
        ANN + "node-selector": "env=prod,zone",
        ANN + "floating-network-id": "6d5c1a2b-3e4f-4a5b-8c7d-9e0f1a2b3c4d",
        ANN + "floating-subnet": "~^public-[0-9]+$",
        ANN + "floating-subnet-tags": "&ext,ipv4",
        ANN + "member-subnet-id": "7e6d2b3c-4f5a-4b6c-9d8e-0f1a2b3c4d5e",
        ANN + "hostname": "web.example.com",
        ANN + "default-tls-container-ref": "https://barbican.example.com/v1/containers/"
        "8f7e3c4d-5a6b-4c7d-8e9f-1a2b3c4d5e6f",
        "service.beta.kubernetes.io/load-balancer-source-ranges": "10.0.0.0/8,192.168.0.0/16",
        "kubectl.kubernetes.io/last-applied-configuration": _last_applied(1500),
    }
    new = service("api", "team-b", annotations=annotations,
                  ports=[("TCP", 443), ("TCP", 8443), ("TCP", 9443)], externalTrafficPolicy="Local")
    old = copy.deepcopy(new)
    old["metadata"]["annotations"][ANN + "connection-limit"] = "4000"
    return review("UPDATE", new, old)


def unmanaged_review() -> dict[str, Any]:
    """`basic_review` for a ClusterIP Service: the webhook allows it without running any rule."""
    body = basic_review()
    body["request"]["object"]["spec"]["type"] = "ClusterIP"
    return body


def shared_services(count: int) -> Iterator[dict[str, Any]]:
    """`count` LoadBalancer Services in 50 namespaces, two per load balancer (OCCM's default max-shared-lb)
    except load balancer 1, which has one: the sample reviews join it, so the sharing rules run and allow.
    """
    for i in (n for n in range(count + 1) if n != 3):
        yield service(
            f"svc-{i}",
            f"ns-{i % 50}",
            annotations={ANN + "load-balancer-id": numbered_lb_id(i // 2)},
            ports=[("TCP", 80 + i % 2)],
        )
