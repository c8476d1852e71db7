"""The fast path of `admission.parse_review`: msgspec decodes the body straight into typed structs.

The structs declare every field the checked path (`admission._parse_request` and `shape.py`) type-checks,
with the same JSON types and null meaning absent, so one C pass parses, type-checks and skips the fields
nobody reads (managedFields, userInfo, ...). `decode` returns None for anything it does not accept as is: a
decode or type error, deep nesting, a missing uid, an unknown operation. The caller then runs the checked
path, which names the field and the value. So this path only has to agree with the checked one on what it
accepts (tests/webhook/test_fast_paths.py checks that); it never has to word an error.
"""

from __future__ import annotations

from types import MappingProxyType

import msgspec

from octavia_lb.common.rules import manages
from octavia_lb.common.service import DEFAULT_NAMESPACE, PortView, ServiceView
from octavia_lb.webhook.request import AdmissionRequest, Operation, Subject

API_VERSION = "admission.k8s.io/v1"
KIND = "AdmissionReview"


# Field names are the API's camelCase, so msgspec matches them without a rename table.
class _Port(msgspec.Struct, frozen=True):
    name: str | None = None
    protocol: str | None = None
    port: int | None = None
    nodePort: int | None = None
    targetPort: int | str | None = None


class _Metadata(msgspec.Struct, frozen=True):
    name: str | None = None
    namespace: str | None = None
    generateName: str | None = None
    uid: str | None = None
    resourceVersion: str | None = None
    deletionTimestamp: str | None = None
    annotations: dict[str, str] | None = None
    labels: dict[str, str] | None = None
    finalizers: tuple[str, ...] | None = None


class _Spec(msgspec.Struct, frozen=True):
    type: str | None = None
    loadBalancerClass: str | None = None
    externalTrafficPolicy: str | None = None
    loadBalancerIP: str | None = None
    ipFamilyPolicy: str | None = None
    sessionAffinity: str | None = None
    ipFamilies: tuple[str, ...] | None = None
    loadBalancerSourceRanges: tuple[str, ...] | None = None
    externalIPs: tuple[str, ...] | None = None
    selector: dict[str, str] | None = None
    healthCheckNodePort: int | None = None
    ports: tuple[_Port, ...] | None = None


class _Service(msgspec.Struct, frozen=True):
    metadata: _Metadata | None = None
    spec: _Spec | None = None


class _Kind(msgspec.Struct, frozen=True):
    kind: str | None = None


class _Request(msgspec.Struct, frozen=True):
    uid: str | None = None
    operation: str | None = None
    kind: _Kind | None = None
    namespace: str | None = None
    name: str | None = None
    object: _Service | None = None
    oldObject: _Service | None = None
    dryRun: bool | None = None


class _Review(msgspec.Struct, frozen=True):
    apiVersion: str | None = None
    kind: str | None = None
    request: _Request | None = None


_DECODER = msgspec.json.Decoder(_Review)
_NO_METADATA = _Metadata()
_NO_SPEC = _Spec()
_OPERATIONS = {op.value: op for op in Operation}


def decode(body: bytes) -> AdmissionRequest | None:
    """The parsed request when the body is a well-typed AdmissionReview; None sends it to the checked path."""
    try:
        review = _DECODER.decode(body)
    except (msgspec.MsgspecError, RecursionError):  # msgspec gives up on deep nesting sooner than orjson
        return None
    request = review.request
    if review.apiVersion != API_VERSION or review.kind != KIND or request is None or not request.uid:
        return None
    operation = _OPERATIONS.get(request.operation) if request.operation is not None else None
    if operation is None:
        return None
    obj, old = request.object, request.oldObject
    if (obj is None and operation in (Operation.CREATE, Operation.UPDATE)) or (
        old is None and operation is Operation.UPDATE
    ):
        return None
    kind = "Service" if request.kind is None or request.kind.kind is None else request.kind.kind
    namespace = request.namespace or ""
    managed = kind == "Service" and obj is not None and _managed(obj)
    return AdmissionRequest(
        uid=request.uid,
        operation=operation,
        namespace=namespace,
        name=request.name or "",
        kind=kind,
        dry_run=bool(request.dryRun),
        object=_subject(obj, namespace) if managed and obj is not None else None,
        old_object=_subject(old, "") if managed and old is not None else None,
    )


def _managed(service: _Service) -> bool:
    spec = service.spec
    return spec is not None and manages(spec.type, spec.loadBalancerClass)


def _subject(service: _Service, namespace: str) -> Subject:
    """The view `ServiceView.from_dict` would build from the same JSON, `namespace` filling a missing one."""
    meta = service.metadata or _NO_METADATA
    spec = service.spec or _NO_SPEC
    ports = spec.ports
    view = ServiceView(
        namespace=meta.namespace or namespace or DEFAULT_NAMESPACE,
        name=meta.name or meta.generateName or "",
        uid=meta.uid or "",
        type=spec.type or "ClusterIP",
        annotations=MappingProxyType(meta.annotations or {}),
        ports=tuple(PortView(p.name or "", p.protocol or "TCP", p.port or 0, p.nodePort or 0) for p in ports)
        if ports
        else (),
        ip_families=spec.ipFamilies or (),
        external_traffic_policy=spec.externalTrafficPolicy or "Cluster",
        health_check_node_port=spec.healthCheckNodePort or 0,
        load_balancer_ip=spec.loadBalancerIP or "",
        source_ranges=spec.loadBalancerSourceRanges or (),
        session_affinity=spec.sessionAffinity or "None",
        load_balancer_class=spec.loadBalancerClass or None,
        finalizers=meta.finalizers or (),
        deletion_timestamp=meta.deletionTimestamp or None,
    )
    return Subject(view, service.metadata is not None)
