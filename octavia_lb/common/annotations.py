"""The annotation catalogue: every Service annotation this system reads, its kind, default and update rules.

One source of truth for the webhook, the worker, `octavia-lb lint` and the README table. `options.py`
(`read_options`) builds on it: a Service plus cloud.conf become `ServiceOptions`, the effective values
(annotation, else class, else cloud.conf), listing every value that does not parse, each message naming
the full key and the raw value. This module does not import options.py: the dependency runs one way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from octavia_lb.common import values
from octavia_lb.common.service import show
from octavia_lb.common.subnets import SubnetSpecError, parse_name_pattern, parse_tag_filter
from octavia_lb.common.values import Bounds, ValueProblem

PREFIX = "loadbalancer.openstack.org/"
INTERNAL = "service.beta.kubernetes.io/openstack-internal-load-balancer"
SOURCE_RANGES = "service.beta.kubernetes.io/load-balancer-source-ranges"


class Kind(Enum):
    """What an annotation's value is; each kind has one parser."""

    BOOL = "bool"
    INT = "int"
    STRING = "string"
    UUID = "uuid"
    PROXY_PROTOCOL = "true|false|v1|v2"
    CIDR_LIST = "CIDR list"
    NODE_SELECTOR = "key[=value],..."
    SUBNET_PATTERN = "name pattern"
    TAG_LIST = "tag list"
    DNS_NAME = "DNS name"
    CLASS_NAME = "class name"
    TLS_REF = "Barbican URL"
    LB_METHOD = "lb algorithm"


class Updatable(Enum):
    """When a changed value reaches Octavia."""

    ALWAYS = "updatable"
    LB_CREATION = "at load balancer creation"
    FIP_CREATION = "at floating IP creation"
    INFORMATIONAL = "written by the controller"


@dataclass(frozen=True)
class AnnotationSpec:
    """One annotation: `creation_only` keys may not change once the Service has a load balancer."""

    key: str
    kind: Kind
    default: str
    creation_only: bool
    updatable: Updatable
    ignored_by: frozenset[str]
    doc: str
    bounds: Bounds | None = None


_OVN = frozenset({"ovn"})
_TIMEOUT = Bounds(0, 2_073_600_000)
_RETRIES = Bounds(1, 10)
_POSITIVE = Bounds(1)
_CONN_LIMIT = Bounds(-1, None, frozenset({0}), "-1 (unlimited) or an integer ≥ 1")


def _spec(name: str, kind: Kind, default: str, updatable: Updatable, doc: str, *,
          creation_only: bool = False, ignored_by: frozenset[str] = frozenset(),
          bounds: Bounds | None = None) -> AnnotationSpec:
    key = name if "/" in name else PREFIX + name
    return AnnotationSpec(key, kind, default, creation_only, updatable, ignored_by, doc, bounds)


_U, _C, _F, _I = Updatable.ALWAYS, Updatable.LB_CREATION, Updatable.FIP_CREATION, Updatable.INFORMATIONAL
_SPECS = (
    _spec(INTERNAL, Kind.BOOL, "cloud.conf internal-lb (false)", _U,
          "true: no floating IP, the VIP is the address; forced by internal-lb=true"),
    _spec(SOURCE_RANGES, Kind.CIDR_LIST, "0.0.0.0/0 (::/0 for IPv6)", _U,
          "allowed client CIDRs, used when spec.loadBalancerSourceRanges is empty"),
    _spec("node-selector", Kind.NODE_SELECTOR, "cloud.conf node-selector", _U,
          "only nodes with all these labels become members; empty means all nodes"),
    _spec("connection-limit", Kind.INT, "-1", _U, "listener connection limit", bounds=_CONN_LIMIT),
    _spec("floating-network-id", Kind.UUID, "class, else cloud.conf, else autodetected", _F,
          "external network of the floating IP"),
    _spec("floating-subnet-id", Kind.UUID, "class, else cloud.conf", _F, "subnet of the floating IP"),
    _spec("floating-subnet", Kind.SUBNET_PATTERN, "class, else cloud.conf", _F,
          "floating subnet name: glob, ~regex, ! negates"),
    _spec("floating-subnet-tags", Kind.TAG_LIST, "class, else cloud.conf", _F,
          "floating subnet tags: a,b (any), &a,b (all), ! negates"),
    _spec("class", Kind.CLASS_NAME, "none", _C, 'a [LoadBalancerClass "name"] of cloud.conf',
          creation_only=True),
    _spec("keep-floatingip", Kind.BOOL, "false", _U, "keep an allocated floating IP when the Service goes"),
    _spec("port-id", Kind.UUID, "none", _C, "existing Neutron port used as the VIP", creation_only=True),
    _spec("lb-method", Kind.LB_METHOD, "cloud.conf lb-method (ROUND_ROBIN)", _U, "pool lb_algorithm"),
    _spec("proxy-protocol", Kind.PROXY_PROTOCOL, "false", _U,
          "pool protocol PROXY (true, v1) or PROXYV2 (v2)",
          ignored_by=_OVN),
    _spec("x-forwarded-for", Kind.BOOL, "false", _U, "HTTP listener inserting X-Forwarded-For",
          ignored_by=_OVN),
    _spec("subnet-id", Kind.UUID, "class, else cloud.conf subnet-id", _C, "VIP subnet", creation_only=True),
    _spec("network-id", Kind.UUID, "class, else cloud.conf network-id", _C, "VIP network",
          creation_only=True),
    _spec("member-subnet-id", Kind.UUID, "class, else cloud.conf member-subnet-id", _C, "member subnet",
          creation_only=True),
    _spec("timeout-client-data", Kind.INT, "50000", _U, "listener client inactivity timeout (ms)",
          ignored_by=_OVN, bounds=_TIMEOUT),
    _spec("timeout-member-connect", Kind.INT, "5000", _U, "member connect timeout (ms)", ignored_by=_OVN,
          bounds=_TIMEOUT),
    _spec("timeout-member-data", Kind.INT, "50000", _U, "member inactivity timeout (ms)", ignored_by=_OVN,
          bounds=_TIMEOUT),
    _spec("timeout-tcp-inspect", Kind.INT, "0", _U, "TCP inspection wait (ms)", ignored_by=_OVN,
          bounds=_TIMEOUT),
    _spec("flavor-id", Kind.UUID, "cloud.conf flavor-id", _C, "Octavia flavor", creation_only=True,
          ignored_by=_OVN),
    _spec("availability-zone", Kind.STRING, "cloud.conf availability-zone", _C, "Octavia availability zone",
          creation_only=True, ignored_by=_OVN),
    _spec("enable-health-monitor", Kind.BOOL, "cloud.conf create-monitor (false)", _U,
          "health monitor per pool; required with externalTrafficPolicy: Local"),
    _spec("health-monitor-delay", Kind.INT, "cloud.conf monitor-delay (5)", _U, "seconds between probes",
          bounds=_POSITIVE),
    _spec("health-monitor-timeout", Kind.INT, "cloud.conf monitor-timeout (3)", _U,
          "probe timeout in seconds; less than the delay", bounds=_POSITIVE),
    _spec("health-monitor-max-retries", Kind.INT, "cloud.conf monitor-max-retries (1)", _U,
          "successes before a member is up", bounds=_RETRIES),
    _spec("health-monitor-max-retries-down", Kind.INT, "cloud.conf monitor-max-retries-down (3)", _U,
          "failures before a member is down", bounds=_RETRIES),
    _spec("hostname", Kind.DNS_NAME, "none", _U, "hostname reported in status instead of the IP"),
    _spec("default-tls-container-ref", Kind.TLS_REF, "cloud.conf default-tls-container-ref", _U,
          "TERMINATED_HTTPS listener with this Barbican container", ignored_by=_OVN),
    _spec("load-balancer-id", Kind.UUID, "written by the controller", _C,
          "use (share) this existing load balancer; fixed once set", creation_only=True),
    _spec("load-balancer-address", Kind.STRING, "written by the controller", _I,
          "the address in use (informational)"),
)
ANNOTATIONS: Mapping[str, AnnotationSpec] = {spec.key: spec for spec in _SPECS}
CREATION_ONLY: tuple[str, ...] = tuple(spec.key for spec in _SPECS if spec.creation_only)


def key(name: str) -> str:
    """The full key of a `loadbalancer.openstack.org/` annotation given its short name."""
    return PREFIX + name


class AnnotationError(ValueError):
    """A present annotation whose value does not parse; the message names the key and the raw value."""

    def __init__(self, key: str, raw: str, reason: str) -> None:
        super().__init__(f"{key}: {show(raw)} {reason}")
        self.key, self.raw, self.reason = key, raw, reason


_PARSERS: dict[Kind, Callable[[str, AnnotationSpec], Any]] = {
    Kind.BOOL: lambda raw, spec: values.parse_bool(raw),
    Kind.INT: lambda raw, spec: values.parse_int(raw, spec.bounds),
    Kind.STRING: lambda raw, spec: raw,
    Kind.UUID: lambda raw, spec: values.parse_uuid(raw),
    Kind.PROXY_PROTOCOL: lambda raw, spec: values.parse_proxy_protocol(raw),
    Kind.CIDR_LIST: lambda raw, spec: values.parse_cidr_list(raw),
    Kind.NODE_SELECTOR: lambda raw, spec: values.parse_node_selector(raw),
    Kind.SUBNET_PATTERN: lambda raw, spec: parse_name_pattern(raw),
    Kind.TAG_LIST: lambda raw, spec: parse_tag_filter(raw),
    Kind.DNS_NAME: lambda raw, spec: values.parse_dns_name(raw),
    Kind.CLASS_NAME: lambda raw, spec: raw,
    Kind.TLS_REF: lambda raw, spec: raw,  # depends on container-store: checked by read_options
    Kind.LB_METHOD: lambda raw, spec: values.parse_lb_method(raw),
}


# Values longer than this are parsed every time: the memo must stay small whatever clients send.
_MEMO_MAX_RAW = 256


def parse_annotation(key: str, raw: str) -> Any:
    """Parse one present annotation by its catalogue kind; raises `AnnotationError` naming key and value."""
    ok, result = _parsed(key, raw) if len(raw) <= _MEMO_MAX_RAW else _parse(key, raw)
    if not ok:
        raise AnnotationError(key, raw, result)
    # the memo hands out one object per value: give callers their own copy of the only mutable kind
    return dict(result) if isinstance(result, dict) else result


def _parse(key: str, raw: str) -> tuple[bool, Any]:
    """(True, value) or (False, reason): a result, not an exception, so that failures are memoised too."""
    spec = ANNOTATIONS[key]  # KeyError for a key outside the catalogue, as before (never memoised)
    try:
        return True, _PARSERS[spec.kind](raw, spec)
    except ValueProblem as exc:
        return False, str(exc)
    except SubnetSpecError as exc:
        return False, f"is not usable: {exc}"


# Clusters repeat the same few values ("true", "5", a load balancer's id) across Services and every kubectl
# apply; parsing them (regexes, ipaddress, re.compile for ~patterns) is most of a review's cost. Keyed by
# the two strings, whose hashes Python caches.
_parsed = functools.lru_cache(maxsize=4096)(_parse)


def get(annotations: Mapping[str, str], key: str, problems: list[str]) -> Any | None:
    """The parsed value of `key`, or None when it is absent or does not parse (then a problem is recorded)."""
    raw = annotations.get(key)
    if raw is None:
        return None
    try:
        return parse_annotation(key, raw)
    except AnnotationError as exc:
        problems.append(str(exc))
        return None


def annotation_table_markdown() -> str:
    """The catalogue as a Markdown table for the README."""
    rows = [
        "| Annotation | Type | Default | Changes | Webhook rejects |",
        "|---|---|---|---|---|",
    ]
    for spec in _SPECS:
        changes = "creation-only (fixed once the LB exists)" if spec.creation_only else spec.updatable.value
        cells = [f"`{spec.key}`", spec.kind.value, spec.default, changes, _rejects(spec)]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def _rejects(spec: AnnotationSpec) -> str:
    what = {
        Kind.BOOL: 'anything but "true"/"false"',
        Kind.INT: f"non-integers; allowed: {spec.bounds.describe() if spec.bounds else 'any'}",
        Kind.UUID: "non-UUIDs",
        Kind.PROXY_PROTOCOL: "values other than true, false, v1, v2",
        Kind.CIDR_LIST: "non-CIDRs and bare IPs",
        Kind.NODE_SELECTOR: "items whose key is not a label key",
        Kind.SUBNET_PATTERN: "~regex that does not compile",
        Kind.TAG_LIST: "empty lists, misplaced ! or &",
        Kind.DNS_NAME: "IP addresses, non-DNS names",
        Kind.CLASS_NAME: "classes missing from cloud.conf",
        Kind.TLS_REF: "non-Barbican URLs (unless container-store=external)",
        Kind.LB_METHOD: "unknown algorithms",
        Kind.STRING: "",
    }[spec.kind]
    extra = []
    if spec.creation_only:
        extra.append("changes once the LB exists")
    if spec.ignored_by:
        extra.append("ignored by " + ", ".join(sorted(spec.ignored_by)))
    return "; ".join(part for part in [what, *extra] if part) or "—"


__all__ = [
    "ANNOTATIONS",
    "CREATION_ONLY",
    "AnnotationError",
    "AnnotationSpec",
    "Kind",
    "Updatable",
    "annotation_table_markdown",
    "get",
    "key",
    "parse_annotation",
]
