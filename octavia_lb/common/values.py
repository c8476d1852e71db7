"""Typed parsers for annotation values, one per kind; each raises `ValueProblem` with a reason and what is
accepted.

They parse the raw string only; the caller (`annotations.py`) adds the annotation key, so every message
reads `<key>: "<raw>" <reason>`. Unlike OCCM, nothing here silently falls back to a default.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import Enum
from typing import NoReturn
from urllib.parse import urlsplit


class ValueProblem(ValueError):
    """A raw value that does not parse; the message says what would be accepted."""


@dataclass(frozen=True)
class Bounds:
    """An inclusive integer range, optionally with single values excluded (connection-limit forbids 0)."""

    low: int
    high: int | None = None
    excluded: frozenset[int] = frozenset()
    text: str = ""

    def check(self, number: int) -> None:
        inside = number >= self.low and (self.high is None or number <= self.high)
        if not inside or number in self.excluded:
            raise ValueProblem(f"is out of range; use {self.describe()}")

    def describe(self) -> str:
        if self.text:
            return self.text
        return f"{self.low}..{self.high}" if self.high is not None else f"an integer ≥ {self.low}"


class ProxyProtocol(Enum):
    """Pool protocol chosen by `proxy-protocol`: off, PROXY (v1) or PROXYV2."""

    OFF = "off"
    V1 = "PROXY"
    V2 = "PROXYV2"


LB_METHODS = ("ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP", "SOURCE_IP_PORT")
_INT = re.compile(r"^[+-]?[0-9]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def parse_bool(raw: str) -> bool:
    """Exactly `true` or `false` (OCCM quietly reads anything else, even `True`, as the default)."""
    if raw in ("true", "false"):
        return raw == "true"
    return _fail('is not a boolean; use "true" or "false" (lower case)')


def parse_int(raw: str, bounds: Bounds | None = None) -> int:
    """A decimal integer as Go's `strconv.Atoi` reads it, then checked against `bounds`."""
    if not _INT.match(raw):
        return _fail("is not an integer" + (f"; use {bounds.describe()}" if bounds else ""))
    # Go's Atoi stops at 64 bits; checking the digit count first also keeps Python's int() away from its
    # 4,300-digit limit, which would raise on a hostile annotation.
    digits = raw.lstrip("+-").lstrip("0")
    if len(digits) > 19 or not _INT64_MIN <= int(raw) <= _INT64_MAX:
        return _fail("is out of range" + (f"; use {bounds.describe()}" if bounds else ""))
    number = int(raw)
    if bounds is not None:
        bounds.check(number)
    return number


def parse_uuid(raw: str) -> str:
    """An OpenStack ID: a UUID written 8-4-4-4-12 hex digits; returned lower-cased."""
    if not _UUID.match(raw):
        return _fail("is not a UUID; use an OpenStack ID such as 3f1c9a2e-8d4b-4c6f-9e21-5a7b0c3d4e5f")
    return raw.lower()


def parse_proxy_protocol(raw: str) -> ProxyProtocol:
    """`true`/`v1` → PROXY, `v2` → PROXYV2, `false` → off."""
    table = {
        "true": ProxyProtocol.V1,
        "v1": ProxyProtocol.V1,
        "v2": ProxyProtocol.V2,
        "false": ProxyProtocol.OFF,
    }
    if raw not in table:
        return _fail('is not a proxy-protocol value; use "true", "false", "v1" or "v2"')
    return table[raw]


def parse_cidr(raw: str) -> str:
    """One CIDR, normalised (`192.168.32.1/24` → `192.168.32.0/24`); a bare address is refused, as OCCM does.
    """
    text = raw.strip()
    if "/" not in text:
        hint = f"; for a single address write {text}/32" if _is_ip(text, 4) else ""
        hint = f"; for a single address write {text}/128" if _is_ip(text, 6) else hint
        return _fail(f"is not a CIDR; write an IP range such as 10.0.0.0/24{hint}")
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        return _fail("is not a CIDR; write an IP range such as 10.0.0.0/24 or 2001:db8::/64")


def parse_cidr_list(raw: str) -> tuple[str, ...]:
    """Comma-separated CIDRs, normalised and de-duplicated in order."""
    items = [item.strip() for item in raw.split(",")]
    if not any(items):
        return _fail("is empty; write a comma-separated list of IP ranges such as 10.0.0.0/24,192.168.2.0/24")
    seen: dict[str, None] = {}
    for item in items:
        try:
            seen[parse_cidr(item)] = None
        except ValueProblem as exc:
            raise ValueProblem(f"has {item!r} which {exc}") from None
    return tuple(seen)


def parse_node_selector(raw: str) -> dict[str, str]:
    """`key[=value]` items separated by commas; keys must be label keys, values label values (empty = key
    only).
    """
    selector: dict[str, str] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        key, _, value = item.partition("=")
        if key != key.rstrip() or value != value.lstrip():
            # OCCM keeps these blanks in the label key or value, so the selector would match no node
            _fail(f"has item {item!r} with blanks around '='; OCCM keeps them as part of the label, so it "
                  f"would match no node; write {key.strip()}={value.strip()}")
        key, value = key.strip(), value.strip()
        if not is_label_key(key):
            _fail(f"has item {item!r} whose key {key!r} is not a label key; use key[=value] items such as "
                  f"env=prod,region=default")
        if value and not is_label_value(value):
            _fail(f"has item {item!r} whose value {value!r} is not a label value (≤63 of A-Z a-z 0-9 - _ .)")
        selector[key] = value
    return selector


def parse_dns_name(raw: str) -> str:
    """A DNS-1123 subdomain (lower case), as Kubernetes requires for `status.loadBalancer.ingress[].hostname`.
    """
    if _is_ip(raw, 4) or _is_ip(raw, 6):
        return _fail("is an IP address, not a DNS name; use a name such as lb.example.com")
    if not is_dns_subdomain(raw):
        return _fail("is not a DNS name; use lower-case labels of a-z 0-9 - separated by dots, "
                     "such as lb.example.com")
    return raw


def parse_lb_method(raw: str) -> str:
    """An Octavia pool algorithm."""
    if raw not in LB_METHODS:
        return _fail(f"is not an Octavia lb_algorithm; use one of {', '.join(LB_METHODS)}")
    return raw


def parse_tls_ref(raw: str) -> str:
    """A Barbican reference: an http(s) URL whose path ends in `/containers/<id>` or `/secrets/<id>`."""
    parts = urlsplit(raw)
    segments = [segment for segment in parts.path.split("/") if segment]
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return _fail("is not a Barbican URL; use https://<key-manager>/v1/containers/<uuid> "
                     "(or /v1/secrets/<uuid>), or set container-store=external in cloud.conf")
    if len(segments) < 2 or segments[-2] not in ("containers", "secrets"):
        return _fail("is not a Barbican container or secret URL; its path must end in /containers/<uuid> or "
                     "/secrets/<uuid>")
    return raw


def is_dns_subdomain(text: str) -> bool:
    labels = text.split(".")
    return 0 < len(text) <= 253 and all(len(label) <= 63 and _DNS_LABEL.match(label) for label in labels)


def is_label_key(text: str) -> bool:
    """A Kubernetes label key: optional DNS-subdomain prefix and `/`, then a name of ≤63 characters."""
    prefix, slash, name = text.rpartition("/")
    if slash and not is_dns_subdomain(prefix):
        return False
    return 0 < len(name) <= 63 and bool(_LABEL_NAME.match(name))


def is_label_value(text: str) -> bool:
    return text == "" or (len(text) <= 63 and bool(_LABEL_NAME.match(text)))


def _is_ip(text: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(text).version == version
    except ValueError:
        return False


def _fail(reason: str) -> NoReturn:
    raise ValueProblem(reason)
