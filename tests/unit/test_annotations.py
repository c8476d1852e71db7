"""The annotation catalogue and its typed parsers: absent apart from value, errors name key and value."""

import pytest

from octavia_lb.common import annotations as ann
from octavia_lb.common.annotations import ANNOTATIONS, AnnotationError, parse_annotation
from octavia_lb.common.subnets import NamePattern, TagFilter, TagMode
from octavia_lb.common.values import ProxyProtocol

P = ann.PREFIX
SEED_KEYS = [
    "floating-network-id",
    "floating-subnet",
    "floating-subnet-id",
    "floating-subnet-tags",
    "class",
    "subnet-id",
    "member-subnet-id",
    "network-id",
    "port-id",
    "connection-limit",
    "keep-floatingip",
    "proxy-protocol",
    "x-forwarded-for",
    "timeout-client-data",
    "timeout-member-connect",
    "timeout-member-data",
    "timeout-tcp-inspect",
    "enable-health-monitor",
    "health-monitor-delay",
    "health-monitor-timeout",
    "health-monitor-max-retries",
    "health-monitor-max-retries-down",
    "flavor-id",
    "availability-zone",
    "default-tls-container-ref",
    "load-balancer-id",
    "hostname",
    "load-balancer-address",
    "node-selector",
    "lb-method",
]


@pytest.mark.parametrize("name", SEED_KEYS)
def test_catalogue_covers_seed_keys(name: str) -> None:
    assert P + name in ANNOTATIONS


def test_catalogue_covers_kubernetes_keys() -> None:
    assert ann.INTERNAL in ANNOTATIONS and ann.SOURCE_RANGES in ANNOTATIONS


def test_creation_only_keys() -> None:
    expected = {
        P + n
        for n in (
            "subnet-id",
            "network-id",
            "port-id",
            "member-subnet-id",
            "flavor-id",
            "availability-zone",
            "class",
            "load-balancer-id",
        )
    }
    assert set(ann.CREATION_ONLY) == expected


GOOD = [
    ("keep-floatingip", "true", True),
    ("keep-floatingip", "false", False),
    ("connection-limit", "-1", -1),
    ("connection-limit", "1", 1),
    ("connection-limit", "+20", 20),
    ("connection-limit", "0000000000000000000000042", 42),  # leading zeros, as Atoi reads them
    ("timeout-client-data", "0", 0),
    ("timeout-client-data", "2073600000", 2073600000),
    ("health-monitor-delay", "1", 1),
    ("health-monitor-max-retries", "10", 10),
    ("health-monitor-max-retries-down", "1", 1),
    ("proxy-protocol", "true", ProxyProtocol.V1),
    ("proxy-protocol", "v1", ProxyProtocol.V1),
    ("proxy-protocol", "v2", ProxyProtocol.V2),
    ("proxy-protocol", "false", ProxyProtocol.OFF),
    ("subnet-id", "FA6A4E6C-6AE4-4DDE-AE86-3E2F452C1F03", "fa6a4e6c-6ae4-4dde-ae86-3e2f452c1f03"),
    ("node-selector", "env=production, region=default", {"env": "production", "region": "default"}),
    ("node-selector", "gpu,zone=", {"gpu": "", "zone": ""}),
    ("node-selector", "", {}),
    ("node-selector", "example.com/role=lb", {"example.com/role": "lb"}),
    ("hostname", "lb.example.com", "lb.example.com"),
    ("lb-method", "SOURCE_IP_PORT", "SOURCE_IP_PORT"),
    ("availability-zone", "", ""),
    ("load-balancer-address", "203.0.113.7", "203.0.113.7"),
]


@pytest.mark.parametrize(("name", "raw", "expected"), GOOD, ids=[f"{n}={r!r}" for n, r, _ in GOOD])
def test_parsers_accept(name: str, raw: str, expected: object) -> None:
    assert parse_annotation(P + name, raw) == expected


def test_cidr_list_normalises_and_dedups() -> None:
    value = parse_annotation(ann.SOURCE_RANGES, "192.168.32.1/24, 10.0.0.0/8,192.168.32.0/24")
    assert value == ("192.168.32.0/24", "10.0.0.0/8")


def test_subnet_kinds_return_matchers() -> None:
    assert isinstance(parse_annotation(P + "floating-subnet", "pub-*"), NamePattern)
    tags = parse_annotation(P + "floating-subnet-tags", "!&a,b")
    assert isinstance(tags, TagFilter) and tags.mode is TagMode.NOT_ALL


BAD = [
    ("keep-floatingip", "True", 'use "true" or "false"'),
    ("keep-floatingip", "yes", "not a boolean"),
    ("keep-floatingip", "", "not a boolean"),
    ("x-forwarded-for", "1", "not a boolean"),
    ("enable-health-monitor", " true", "not a boolean"),
    (ann.INTERNAL, "TRUE", "not a boolean"),
    ("connection-limit", "0", "-1 (unlimited) or an integer ≥ 1"),
    ("connection-limit", "-2", "out of range"),
    ("connection-limit", "ten", "not an integer"),
    ("connection-limit", "1_000", "not an integer"),
    ("connection-limit", " 5", "not an integer"),
    ("connection-limit", "9223372036854775808", "out of range"),  # past Go's int64
    ("connection-limit", "1" * 5000, "out of range"),  # past Python's int() digit limit
    ("timeout-client-data", "-1", "0..2073600000"),
    ("timeout-member-connect", "2073600001", "0..2073600000"),
    ("timeout-member-data", "5.5", "not an integer"),
    ("timeout-tcp-inspect", "", "not an integer"),
    ("health-monitor-delay", "0", "≥ 1"),
    ("health-monitor-timeout", "0", "≥ 1"),
    ("health-monitor-max-retries", "0", "1..10"),
    ("health-monitor-max-retries-down", "11", "1..10"),
    ("proxy-protocol", "yes", '"true", "false", "v1" or "v2"'),
    ("proxy-protocol", "V2", "not a proxy-protocol value"),
    ("subnet-id", "my-subnet", "not a UUID"),
    ("network-id", "1234", "not a UUID"),
    ("port-id", "", "not a UUID"),
    ("member-subnet-id", "zz6a4e6c-6ae4-4dde-ae86-3e2f452c1f03", "not a UUID"),
    ("flavor-id", "small", "not a UUID"),
    ("load-balancer-id", "lb-1", "not a UUID"),
    ("floating-network-id", "public", "not a UUID"),
    ("floating-subnet-id", "public-subnet", "not a UUID"),
    ("floating-subnet", "~(", "invalid subnet regexp"),
    ("floating-subnet-tags", "&!a", "only allowed at the start"),
    ("floating-subnet-tags", "", "names no tags"),
    ("floating-subnet-tags", "!", "names no tags"),
    ("hostname", "10.0.0.5", "IP address"),
    ("hostname", "Upper.Example.com", "not a DNS name"),
    ("hostname", "-bad.example.com", "not a DNS name"),
    ("hostname", "a" * 64 + ".com", "not a DNS name"),
    ("hostname", "", "not a DNS name"),
    ("node-selector", "bad key=x", "not a label key"),
    ("node-selector", "env=not valid", "not a label value"),
    ("node-selector", "=x", "not a label key"),
    # OCCM does not trim around '=': "k1 = v1" would select label "k1 " = " v1", i.e. no node
    ("node-selector", "k1 = v1", "blanks around '='; OCCM keeps them as part of the label, so it would match "
     "no node; write k1=v1"),
    ("node-selector", "env=prod,k1 =v1", "write k1=v1"),
    ("node-selector", "k1= v1", "write k1=v1"),
    ("lb-method", "round_robin", "ROUND_ROBIN, LEAST_CONNECTIONS"),
    (ann.SOURCE_RANGES, "10.0.0.1", "not a CIDR"),
    (ann.SOURCE_RANGES, "10.0.0.0/33", "not a CIDR"),
    (ann.SOURCE_RANGES, "", "is empty"),
    (ann.SOURCE_RANGES, "10.0.0.0/8,", "not a CIDR"),
]


@pytest.mark.parametrize(("name", "raw", "fragment"), BAD, ids=[f"{n}={r!r}"[:60] for n, r, _ in BAD])
def test_parsers_reject_naming_key_and_value(name: str, raw: str, fragment: str) -> None:
    key = name if "/" in name else P + name
    with pytest.raises(AnnotationError) as caught:
        parse_annotation(key, raw)
    message = str(caught.value)
    assert message.startswith(f"{key}: ")
    assert fragment in message
    assert caught.value.key == key and caught.value.raw == raw


def test_get_keeps_absent_apart_from_value() -> None:
    problems: list[str] = []
    assert ann.get({}, P + "keep-floatingip", problems) is None
    assert ann.get({P + "keep-floatingip": "false"}, P + "keep-floatingip", problems) is False
    assert ann.get({P + "availability-zone": ""}, P + "availability-zone", problems) == ""
    assert problems == []
    assert ann.get({P + "keep-floatingip": "False"}, P + "keep-floatingip", problems) is None
    assert problems == [f'{P}keep-floatingip: "False" is not a boolean; use "true" or "false" (lower case)']


def test_markdown_table_lists_every_key() -> None:
    table = ann.annotation_table_markdown()
    lines = table.strip().splitlines()
    assert len(lines) == 2 + len(ANNOTATIONS)
    for key in ANNOTATIONS:
        assert f"`{key}`" in table
    assert all(line.count(" | ") == 4 for line in lines[2:]), "a cell contains an unescaped |"
    assert "creation-only" in table and "ignored by ovn" in table
