"""Unit tests of admission.py: parsing AdmissionReviews, building answers, the finalizer patch, warnings."""

from __future__ import annotations

import base64

import orjson
import pytest
from octavia_lb_devkit.testing.samples import encode, review, service

from octavia_lb.common.service import ServiceView
from octavia_lb.webhook.admission import (
    WARNING_TRUNCATED_RUNES,
    WARNINGS_TOTAL_RUNES,
    BadRequest,
    Operation,
    allow,
    cap_warnings,
    deny,
    finalizer_patch,
    parse_review,
    parse_review_checked,
)
from octavia_lb.webhook.request import Subject

PARSERS = pytest.mark.parametrize("parse", [parse_review, parse_review_checked], ids=["fast", "checked"])

FINALIZER = "loadbalancer.openstack.org/cleanup"


@PARSERS
def test_parse_create_keeps_what_the_webhook_needs(parse) -> None:
    body = review("CREATE", service(), dry_run=True, uid="u-1")
    parsed = parse(encode(body))
    assert parsed.uid == "u-1"
    assert parsed.operation is Operation.CREATE
    assert (parsed.namespace, parsed.name, parsed.kind) == ("team-a", "web", "Service")
    assert parsed.object == Subject(ServiceView.from_dict(body["request"]["object"]), True)
    assert parsed.old_object is None
    assert parsed.dry_run is True


@PARSERS
def test_parse_delete_reads_no_object(parse) -> None:
    parsed = parse(encode(review("DELETE", None, old=service())))
    assert parsed.operation is Operation.DELETE
    assert parsed.object is None and parsed.old_object is None


@PARSERS
def test_update_of_a_managed_service_keeps_the_old_view(parse) -> None:
    old = service()
    old["spec"]["type"] = "ClusterIP"  # becoming a LoadBalancer: the rules still compare with the old object
    parsed = parse(encode(review("UPDATE", service(), old=old)))
    assert parsed.old_object == Subject(ServiceView.from_dict(old), True)


@PARSERS
def test_unmanaged_services_are_type_checked_but_not_read(parse) -> None:
    unmanaged = service()
    unmanaged["spec"]["type"] = "ClusterIP"
    parsed = parse(encode(review("UPDATE", unmanaged, old=service())))
    assert parsed.object is None and parsed.old_object is None
    unmanaged["spec"]["ports"] = [{"port": "80"}]
    with pytest.raises(BadRequest, match=r'request.object.spec.ports\[0\].port must be an integer, got "80"'):
        parse(encode(review("CREATE", unmanaged)))


@PARSERS
def test_missing_object_namespace_is_the_requests(parse) -> None:
    """A hand-made review may leave metadata.namespace out; the rules and peer matching use the request's."""
    body = review("CREATE", service())
    del body["request"]["object"]["metadata"]["namespace"]
    parsed = parse(encode(body))
    assert parsed.object is not None and parsed.object.view.namespace == "team-a"


@PARSERS
def test_other_kinds_are_not_read(parse) -> None:
    body = review("CREATE", {"metadata": {"name": "x"}, "spec": {"type": 5}})
    body["request"]["kind"]["kind"] = "ConfigMap"
    parsed = parse(encode(body))
    assert (parsed.kind, parsed.object, parsed.is_service) == ("ConfigMap", None, False)


@PARSERS
@pytest.mark.parametrize(
    ("klass", "kind", "managed"),
    [(None, "LoadBalancer", True), ("loadbalancer.openstack.org/octavia", "LoadBalancer", True),
     ("", "LoadBalancer", False), ("other", "LoadBalancer", False), (None, "NodePort", False)],
)
def test_managed_is_type_and_class(parse, klass: str | None, kind: str, managed: bool) -> None:
    svc = service()
    svc["spec"]["type"] = kind
    if klass is not None:
        svc["spec"]["loadBalancerClass"] = klass
    parsed = parse(encode(review("CREATE", svc)))
    assert (parsed.object is not None) is managed


def _with(path: str, value: object) -> bytes:
    body = review("UPDATE", service(), old=service())
    target = body
    *parents, last = path.split(".")
    for part in parents:
        target = target[part]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return encode(body)


BAD = [
    ("not-json", b"{", "body is not valid JSON"),
    ("empty", b"", "body is not valid JSON"),
    ("array", b"[]", "body must be a JSON object"),
    (
        "v1beta1",
        _with("apiVersion", "admission.k8s.io/v1beta1"),
        "apiVersion/kind must be admission.k8s.io/v1",
    ),
    ("wrong-kind", _with("kind", "Service"), '"Service"'),
    ("no-request", _with("request", KeyError), "request must be an object, got null"),
    ("request-string", _with("request", "x"), 'request must be an object, got "x"'),
    ("no-uid", _with("request.uid", KeyError), "request.uid is missing or empty"),
    ("empty-uid", _with("request.uid", ""), "request.uid is missing or empty"),
    ("uid-number", _with("request.uid", 7), "request.uid must be a string, got 7"),
    ("bad-operation", _with("request.operation", "PATCH"), "request.operation must be one of"),
    ("object-list", _with("request.object", []), "request.object must be an object, got []"),
    ("object-null-on-update", _with("request.object", None), "request.object must be an object for UPDATE"),
    (
        "old-null-on-update",
        _with("request.oldObject", None),
        "request.oldObject must be an object for UPDATE",
    ),
    ("dryrun-string", _with("request.dryRun", "yes"), 'request.dryRun must be a boolean, got "yes"'),
    ("namespace-bool", _with("request.namespace", True), "request.namespace must be a string, got true"),
    (
        "annotations-number",
        _with("request.object.metadata.annotations", {"a": 1}),
        'request.object.metadata.annotations["a"] must be a string, got 1',
    ),
    (
        "ports-object",
        _with("request.object.spec.ports", {"port": 80}),
        'request.object.spec.ports must be an array, got {"port":80}',
    ),
    (
        "port-string",
        _with("request.oldObject.spec.ports", [{"port": "80"}]),
        'request.oldObject.spec.ports[0].port must be an integer, got "80"',
    ),
    (
        "spec-type-number",
        _with("request.object.spec.type", 3),
        "request.object.spec.type must be a string, got 3",
    ),
    (
        "finalizers-string",
        _with("request.object.metadata.finalizers", "x"),
        'request.object.metadata.finalizers must be an array, got "x"',
    ),
]


@PARSERS
@pytest.mark.parametrize(("body", "message"), [(b, m) for _, b, m in BAD], ids=[i for i, _, _ in BAD])
def test_bad_reviews_name_the_field_and_value(parse, body: bytes, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse(body)
    assert message in str(caught.value)


def test_allow_echoes_uid_and_has_no_status_or_patch() -> None:
    answer = allow("u-9")
    assert answer == {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {"uid": "u-9", "allowed": True},
    }


def test_deny_is_403_forbidden_with_message_and_warnings() -> None:
    answer = deny("u-9", "bad thing", ["careful"])["response"]
    assert answer["allowed"] is False
    assert answer["status"] == {"code": 403, "reason": "Forbidden", "message": "bad thing"}
    assert answer["warnings"] == ["careful"]


def test_allow_with_patch_is_base64_jsonpatch() -> None:
    patch = [{"op": "add", "path": "/metadata/finalizers", "value": [FINALIZER]}]
    response = allow("u", patch=patch)["response"]
    assert response["patchType"] == "JSONPatch"
    assert orjson.loads(base64.b64decode(response["patch"])) == patch


PATCHES = [
    ("no-finalizers", service(), [{"op": "add", "path": "/metadata/finalizers", "value": [FINALIZER]}]),
    (
        "empty-list",
        service(finalizers=[]),
        [{"op": "add", "path": "/metadata/finalizers", "value": [FINALIZER]}],
    ),
    (
        "others",
        service(finalizers=["x/y"]),
        [{"op": "add", "path": "/metadata/finalizers/-", "value": FINALIZER}],
    ),
    ("present", service(finalizers=["x/y", FINALIZER]), []),
    (
        "no-metadata",
        {"spec": {"type": "LoadBalancer"}},
        [{"op": "add", "path": "/metadata", "value": {"finalizers": [FINALIZER]}}],
    ),
]


def _subject(parse, svc: dict) -> Subject:
    parsed = parse(encode(review("CREATE", svc)))
    assert parsed.object is not None
    return parsed.object


@PARSERS
@pytest.mark.parametrize(("svc", "expected"), [(s, e) for _, s, e in PATCHES], ids=[i for i, _, _ in PATCHES])
def test_finalizer_patch(parse, svc: dict, expected: list) -> None:
    assert finalizer_patch(_subject(parse, svc), FINALIZER) == expected


@PARSERS
def test_no_finalizer_added_while_deleting(parse) -> None:
    svc = service()
    svc["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    assert finalizer_patch(_subject(parse, svc), FINALIZER) == []


def test_warnings_dedup_and_strip_control_characters() -> None:
    assert cap_warnings(["a\nb", "a\nb", "", "c"]) == ["a b", "c"]


def test_warnings_within_budget_are_untouched() -> None:
    warnings = [f"{i}:" + "x" * 300 for i in range(10)]
    assert cap_warnings(warnings) == warnings


def test_warnings_over_budget_are_truncated_and_capped_like_the_apiserver() -> None:
    warnings = [f"{i}:" + "é" * 1000 for i in range(40)]
    capped = cap_warnings(warnings)
    assert all(len(w) == WARNING_TRUNCATED_RUNES for w in capped)
    assert len(capped) == WARNINGS_TOTAL_RUNES // WARNING_TRUNCATED_RUNES
    assert capped[0].startswith("0:")
