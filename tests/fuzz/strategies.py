"""Hypothesis strategies for the webhook fuzz run: Services, AdmissionReviews and bodies that are not one.

Three families, from most to least structured:
- `well_typed_review`: every field has the JSON type Kubernetes guarantees, values are random or at the
  edge (catalogue annotation keys with odd values, ports out of range, unknown protocols and families);
  such a review must always get an AdmissionReview back, never a 400;
- `retyped_review`: a well-typed review with one field, anywhere in it, replaced by a value of another type;
- `garbage_body`: raw bytes, truncated JSON, deeply nested JSON, huge strings.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import orjson
from hypothesis import strategies as st

from octavia_lb.common.annotations import ANNOTATIONS, INTERNAL, PREFIX, SOURCE_RANGES
from octavia_lb.common.rules import FINALIZER

API_VERSION = "admission.k8s.io/v1"
INT64 = 2**63 - 1

# Values that sit on the edges of what the catalogue's parsers accept.
EDGE_VALUES = [
    "", " ", "true", "false", "True", "FALSE", "yes", "0", "1", "-1", "5", "10", "65535", "65536",
    "2147483648", "99999999999999999999", "1.5", "0x10", "1e3", "null", "[]", "{}", "v1", "v2", "v3",
    "ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP", "SOURCE_IP_PORT", "round_robin",
    "10.0.0.0/8", "10.0.0.1/33", "::/0", "0.0.0.0/0", "10.0.0.0/8,  192.168.0.0/16", "10.0.0.0/8,,",
    "1.2.3.4", "256.1.1.1", "2001:db8::1", "fe80::1%eth0",
    "3f1c6a9e-8a52-4d8e-9a43-6f1d2b7c9e10", "3F1C6A9E-8A52-4D8E-9A43-6F1D2B7C9E10", "not-a-uuid",
    "~", "~[", "~^public-.*$", "!&a,b", "&!a", "!", "&", "a,b c", "k=v", "k=", "=v", "k=v,k2", "a b=c",
    "example.com", "-bad-.example", "a" * 64 + ".com", "gold", "silver",
    "http://barbican/v1/containers/3f1c6a9e-8a52-4d8e-9a43-6f1d2b7c9e10", "https://x/v1/secrets/",
    "\x00", "\t\n", "é", "🙂", "\u202e", "' OR 1=1 --", "${jndi:ldap://x}", "%s%s%n", "../../etc/passwd",
]

annotation_value = st.one_of(
    st.sampled_from(EDGE_VALUES), st.text(max_size=40), st.integers(-(2**40), 2**40).map(str)
)
catalogue_key = st.sampled_from(sorted(ANNOTATIONS) + [INTERNAL, SOURCE_RANGES])
# near misses of real keys (typos, case) and keys in our prefix that do not exist
near_key = st.one_of(
    catalogue_key.map(lambda k: k.upper()),
    catalogue_key.map(lambda k: k[:-1]),
    catalogue_key.map(lambda k: k + "s"),
    st.text(min_size=0, max_size=20).map(lambda s: PREFIX + s),
    st.text(min_size=1, max_size=30),
)
annotations = st.dictionaries(
    st.one_of(catalogue_key, catalogue_key, near_key), annotation_value, max_size=8
)

int64 = st.one_of(
    st.sampled_from([0, 1, 80, 443, 65535, 65536, -1, 2**31, INT64, -INT64]),
    st.integers(-(2**31), 2**31),
)
protocol = st.sampled_from(["TCP", "UDP", "SCTP", "HTTP", "tcp", "", "PROXY"]) | st.text(max_size=8)


@st.composite
def service_port(draw: st.DrawFn) -> dict[str, Any]:
    port: dict[str, Any] = {"port": draw(int64), "protocol": draw(protocol)}
    for key, value in (
        ("name", st.text(max_size=12)),
        ("nodePort", int64),
        ("targetPort", int64 | st.text(max_size=12)),
        ("appProtocol", st.text(max_size=12)),
    ):
        if draw(st.booleans()):
            port[key] = draw(value)
    return port


ip_family = st.sampled_from(["IPv4", "IPv6", "IPv7", ""])
source_range = st.sampled_from(["10.0.0.0/8", "0.0.0.0/0", "::/0", "1.2.3.4/32", "1.2.3.4", "x"]) | st.text(
    max_size=20
)


def _maybe(draw: st.DrawFn, spec: dict[str, Any], key: str, strategy: st.SearchStrategy[Any]) -> None:
    if draw(st.booleans()):
        spec[key] = draw(strategy)


@st.composite
def service(draw: st.DrawFn) -> dict[str, Any]:
    """A Service with every field of the right JSON type and random, often invalid, values."""
    name = draw(st.sampled_from(["web", "api", "db"]) | st.text(min_size=1, max_size=20))
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": draw(st.sampled_from(["team-a", "team-b", ""])),
        "uid": str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1)))),
        "annotations": draw(annotations),
    }
    _maybe(draw, metadata, "finalizers", st.lists(st.sampled_from([FINALIZER, "example.com/x"]), max_size=3))
    _maybe(draw, metadata, "labels", st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3))
    _maybe(draw, metadata, "deletionTimestamp", st.sampled_from(["2024-01-01T00:00:00Z", ""]))
    spec: dict[str, Any] = {
        "type": draw(st.sampled_from(["LoadBalancer"] * 6 + ["ClusterIP", "NodePort", "ExternalName", ""])),
        "ports": draw(st.lists(service_port(), max_size=5)),
    }
    classes = st.sampled_from(["", "example.com/other"]) | st.text(max_size=12)
    _maybe(draw, spec, "loadBalancerClass", classes)
    _maybe(draw, spec, "ipFamilies", st.lists(ip_family, max_size=3))
    policies = st.sampled_from(["SingleStack", "PreferDualStack", "RequireDualStack", "x"])
    _maybe(draw, spec, "ipFamilyPolicy", policies)
    _maybe(draw, spec, "loadBalancerSourceRanges", st.lists(source_range, max_size=4))
    _maybe(draw, spec, "externalTrafficPolicy", st.sampled_from(["Cluster", "Local", "Other", ""]))
    _maybe(draw, spec, "loadBalancerIP", st.sampled_from(["", "1.2.3.4", "2001:db8::1", "bad"]))
    _maybe(draw, spec, "healthCheckNodePort", int64)
    _maybe(draw, spec, "externalIPs", st.lists(source_range, max_size=2))
    _maybe(draw, spec, "selector", st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=2))
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec}


@st.composite
def old_of(draw: st.DrawFn, new: dict[str, Any]) -> dict[str, Any]:
    """An oldObject for `new`: an unrelated Service, or `new` with a few annotations or ports changed."""
    if draw(st.booleans()):
        return draw(service())
    old = copy.deepcopy(new)
    old["metadata"]["annotations"] = {
        **old["metadata"]["annotations"], **draw(st.dictionaries(catalogue_key, annotation_value, max_size=3))
    }
    if draw(st.booleans()):
        old["spec"]["ports"] = draw(st.lists(service_port(), max_size=3))
    return old


def review_for(operation: str, obj: dict[str, Any] | None, old: dict[str, Any] | None, uid: str,
               dry_run: bool = False, kind: str = "Service") -> dict[str, Any]:
    gvk = {"group": "", "version": "v1", "kind": kind}
    return {
        "apiVersion": API_VERSION,
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": gvk,
            "resource": {"group": "", "version": "v1", "resource": "services"},
            "operation": operation,
            "namespace": "team-a",
            "name": (obj or old or {}).get("metadata", {}).get("name", ""),
            "object": obj,
            "oldObject": old,
            "dryRun": dry_run,
            "userInfo": {"username": "fuzz"},
        },
    }


uids = st.uuids().map(str) | st.text(min_size=1, max_size=40)


@st.composite
def well_typed_review(draw: st.DrawFn) -> dict[str, Any]:
    operation = draw(st.sampled_from(["CREATE", "CREATE", "UPDATE", "UPDATE", "DELETE", "CONNECT"]))
    obj = draw(service())
    old = draw(old_of(obj)) if operation in ("UPDATE", "DELETE") else None
    if operation == "DELETE":
        obj = None
    kind = draw(st.sampled_from(["Service"] * 8 + ["Pod", ""]))
    return review_for(operation, obj, old, draw(uids), draw(st.booleans()), kind)


json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-INT64, INT64), st.floats(allow_nan=False), st.text(max_size=20)
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def replace_at(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    """`document` with the node at `path` (keys and indexes) set to `value`, changed in place; the root path
    gives `value` itself."""
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return document


@st.composite
def retyped_review(draw: st.DrawFn) -> dict[str, Any]:
    """A well-typed review with one node (root included) swapped for a JSON value of a different type."""
    document = draw(well_typed_review())
    path = draw(st.sampled_from(_paths(document)))
    parent: Any = document
    for step in path:
        parent = parent[step]
    value = draw(json_value.filter(lambda v: type(v) is not type(parent)))
    return replace_at(document, path, value)


def _nested(depth: int, opener: str) -> bytes:
    closer = {"[": "]", '{"a":': "}"}[opener]
    return (opener * depth + "1" + closer * depth).encode()


@st.composite
def nested_body(draw: st.DrawFn) -> bytes:
    """JSON nested past any parser's comfort, at the root or inside request.object.spec."""
    depth = draw(st.sampled_from([64, 500, 1023, 1024, 1025, 5000, 100_000]))
    nest = _nested(depth, draw(st.sampled_from(["[", '{"a":'])))
    if draw(st.booleans()):
        return nest
    body = orjson.dumps(review_for("CREATE", {"metadata": {"name": "n"}, "spec": {"x": 0}}, None, "deep"))
    return body.replace(b'"x":0', b'"x":' + nest)


@st.composite
def truncated_body(draw: st.DrawFn) -> bytes:
    body = orjson.dumps(draw(well_typed_review()))
    return body[: draw(st.integers(0, len(body) - 1))]


garbage_body = st.one_of(
    st.binary(max_size=512),
    st.text(max_size=200).map(str.encode),
    truncated_body(),
    nested_body(),
    json_value.map(orjson.dumps),
    st.sampled_from([b"", b"null", b"{}", b"[]", b'"AdmissionReview"', b"\xff\xfe", b"{" * 10]),
)


@st.composite
def huge_review(draw: st.DrawFn) -> dict[str, Any]:
    """A well-typed review carrying one very large string or collection somewhere the rules read."""
    document = draw(well_typed_review().filter(lambda r: r["request"]["object"] is not None))
    size = draw(st.sampled_from([10_000, 100_000, 1_000_000, 3_200_000]))
    where = draw(st.sampled_from(["annotation-value", "annotation-key", "name", "ports", "ranges", "uid"]))
    obj = document["request"]["object"]
    if where == "annotation-value":
        obj["metadata"]["annotations"][draw(catalogue_key)] = "1" * size
    elif where == "annotation-key":
        obj["metadata"]["annotations"][PREFIX + "x" * size] = "v"
    elif where == "name":
        obj["metadata"]["name"] = "n" * size
    elif where == "ports":
        obj["spec"]["ports"] = [{"port": i % 70000, "protocol": "TCP"} for i in range(size // 20)]
    elif where == "ranges":
        obj["spec"]["loadBalancerSourceRanges"] = ["10.0.0.0/8"] * (size // 12)
    else:
        document["request"]["uid"] = "u" * size
    return document
