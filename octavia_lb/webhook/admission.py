"""AdmissionReview in and out: parse a request body, build allow / deny / patch responses (pure, no I/O).

`parse_review` tries `wire.decode` first: msgspec decodes a well-typed review straight into typed structs.
Anything that path does not accept comes here, to the checked path: orjson into plain dicts, then every
field the webhook reads is type-checked and the first wrong one is named, with its value, in a BadRequest.
"""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
import orjson

from octavia_lb.common.rules import is_managed
from octavia_lb.common.service import ServiceView
from octavia_lb.webhook import wire
from octavia_lb.webhook.request import AdmissionRequest as AdmissionRequest
from octavia_lb.webhook.request import Operation as Operation
from octavia_lb.webhook.request import Subject
from octavia_lb.webhook.shape import check_fields_the_view_skips, check_service_shape

API_VERSION = wire.API_VERSION
KIND = wire.KIND

# The apiserver's warning budget (endpoints/filters/warning.go): 4096 runes in total; past that every
# warning is cut to 256 runes and the rest dropped. We apply the same rule so what we send is what users see.
WARNINGS_TOTAL_RUNES = 4096
WARNING_TRUNCATED_RUNES = 256


class BadRequest(ValueError):
    """The body is not an AdmissionReview we can answer; the text is sent back as a plain HTTP 400."""


def _field(
    mapping: Mapping[str, Any], key: str, kind: type | tuple[type, ...], path: str, default: Any
) -> Any:
    value = mapping.get(key, default)
    if value is None:
        return default
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise BadRequest(f"{path} must be {_kind_name(kind)}, got {_show(value)}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", bool: "a boolean", dict: "an object", list: "an array", int: "an integer"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _show(value: Any) -> str:
    try:
        text = orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        # orjson reads 1024 levels of nesting but writes fewer: describe such a value instead of raising
        return f"a {type(value).__name__} nested too deeply to show"
    return text if len(text) <= 80 else text[:77] + "..."


def parse_review(body: bytes) -> AdmissionRequest:
    """Parse and check an `admission.k8s.io/v1` AdmissionReview; raise BadRequest naming what is wrong."""
    fast = wire.decode(body)
    return fast if fast is not None else parse_review_checked(body)


def parse_review_checked(body: bytes) -> AdmissionRequest:
    """`parse_review` without the fast path: the reference the fast path must agree with."""
    try:
        review = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from exc
    if not isinstance(review, dict):
        raise BadRequest(f"body must be a JSON object (an AdmissionReview), got {_show(review)}")
    if review.get("apiVersion") != API_VERSION or review.get("kind") != KIND:
        raise BadRequest(
            f"apiVersion/kind must be {API_VERSION}/{KIND}, got "
            f"{_show(review.get('apiVersion'))}/{_show(review.get('kind'))}"
        )
    request = review.get("request")
    if not isinstance(request, dict):
        raise BadRequest(f"request must be an object, got {_show(request)}")
    return _parse_request(request)


def _parse_request(request: dict[str, Any]) -> AdmissionRequest:
    uid = _field(request, "uid", str, "request.uid", "")
    if not uid:
        raise BadRequest("request.uid is missing or empty")
    raw_op = _field(request, "operation", str, "request.operation", "")
    try:
        operation = Operation(raw_op)
    except ValueError:
        raise BadRequest(
            f"request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, got {_show(raw_op)}"
        ) from None
    kind = _field(request, "kind", dict, "request.kind", {})
    obj = _field(request, "object", dict, "request.object", None)
    old_obj = _field(request, "oldObject", dict, "request.oldObject", None)
    if operation in (Operation.CREATE, Operation.UPDATE) and obj is None:
        raise BadRequest(f"request.object must be an object for {operation.value}, got null")
    if operation is Operation.UPDATE and old_obj is None:
        raise BadRequest("request.oldObject must be an object for UPDATE, got null")
    kind_name = _field(kind, "kind", str, "request.kind.kind", "Service")
    namespace = _field(request, "namespace", str, "request.namespace", "")
    name = _field(request, "name", str, "request.name", "")
    dry_run = _field(request, "dryRun", bool, "request.dryRun", False)
    service_kind = kind_name == "Service"
    views = (
        (_shape_checked_view(obj, "request.object"), _shape_checked_view(old_obj, "request.oldObject"))
        if service_kind
        else (None, None)
    )
    managed = service_kind and obj is not None and is_managed(obj)
    return AdmissionRequest(
        uid=uid,
        operation=operation,
        namespace=namespace,
        name=name,
        kind=kind_name,
        dry_run=dry_run,
        object=_subject(obj, views[0], namespace) if managed else None,
        old_object=_subject(old_obj, views[1], "") if managed else None,
    )


def _shape_checked_view(service: dict[str, Any] | None, path: str) -> ServiceView | None:
    """BadRequest for a field of the wrong JSON type; the Service's view when the fast path could build it."""
    if service is None:
        return None
    view = ServiceView.well_typed(service)
    problem = check_fields_the_view_skips(service) if view is not None else check_service_shape(service)
    if problem:
        raise BadRequest(f"{path}.{problem}")
    return view


def _subject(service: dict[str, Any] | None, view: ServiceView | None, namespace: str) -> Subject | None:
    """What the webhook reads of a shape-checked Service, `namespace` standing in for a missing one."""
    if service is None:
        return None
    if view is None:  # shape-checked, yet a field only the rules judge is wrong: they report it
        view = ServiceView.from_dict(service)
    metadata = service.get("metadata")
    if namespace and not (metadata or {}).get("namespace"):
        view = msgspec.structs.replace(view, namespace=namespace)
    return Subject(view, isinstance(metadata, dict))


def cap_warnings(warnings: Iterable[str]) -> list[str]:
    """Apply the apiserver's warning rules: no control characters, no duplicates, 4096-rune budget."""
    cleaned: list[str] = []
    for text in warnings:
        text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text).strip()
        if text and text not in cleaned:
            cleaned.append(text)
    if sum(len(text) for text in cleaned) <= WARNINGS_TOTAL_RUNES:
        return cleaned
    capped: list[str] = []
    written = 0
    for text in cleaned:
        if written >= WARNINGS_TOTAL_RUNES:
            break
        text = text[:WARNING_TRUNCATED_RUNES]
        capped.append(text)
        written += len(text)
    return capped


def _review(response: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": KIND, "response": response}


def allow(
    uid: str, warnings: Iterable[str] = (), patch: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """An allowing AdmissionReview; `patch` is a JSONPatch for the apiserver (mutating webhooks only)."""
    response: dict[str, Any] = {"uid": uid, "allowed": True}
    capped = cap_warnings(warnings)
    if capped:
        response["warnings"] = capped
    if patch:
        response["patchType"] = "JSONPatch"
        response["patch"] = base64.b64encode(orjson.dumps(patch)).decode("ascii")
    return _review(response)


def deny(uid: str, message: str, warnings: Iterable[str] = ()) -> dict[str, Any]:
    """A denial kubectl prints as `Error from server (Forbidden): ... denied the request: <message>`."""
    response: dict[str, Any] = {
        "uid": uid,
        "allowed": False,
        "status": {"code": 403, "reason": "Forbidden", "message": message},
    }
    capped = cap_warnings(warnings)
    if capped:
        response["warnings"] = capped
    return _review(response)


def finalizer_patch(service: Subject, finalizer: str) -> list[dict[str, Any]]:
    """The JSONPatch that adds `finalizer` to the Service, or [] when nothing must change.

    A Service already being deleted gets no patch: the apiserver forbids new finalizers then.
    """
    if not service.has_metadata:
        return [{"op": "add", "path": "/metadata", "value": {"finalizers": [finalizer]}}]
    view = service.view
    if view.deletion_timestamp:
        return []
    if not view.finalizers:
        # `add` on a missing parent fails in the apiserver, so create the list itself
        return [{"op": "add", "path": "/metadata/finalizers", "value": [finalizer]}]
    if finalizer in view.finalizers:
        return []
    return [{"op": "add", "path": "/metadata/finalizers/-", "value": finalizer}]


def encode(review: Mapping[str, Any]) -> bytes:
    return orjson.dumps(review)
