"""Floating-subnet name patterns and tag lists (OCCM loadbalancer_subnet_match.go semantics)."""

import pytest

from octavia_lb.common.subnets import (
    SubnetSpecError,
    TagMode,
    glob_to_regex,
    parse_name_pattern,
    parse_tag_filter,
)

NAMES = [
    ("public", "public", True),
    ("public", "public2", False),
    ("pub*", "public", True),
    ("pub*", "pub/lic", False),
    ("pub?ic", "public", True),
    ("pub?ic", "pubic", False),
    ("public-{a,b}", "public-a", True),
    ("public-{a,b}", "public-c", False),
    ("net[12]", "net1", True),
    ("net[12]", "net3", False),
    ("a.b", "a.b", True),
    ("a.b", "axb", False),
    ("a+b", "a+b", True),
    ("x,y", "x,y", True),
    ("!public", "public", False),
    ("!public", "private", True),
    ("~^pub.*$", "public", True),
    ("~pub", "public", False),
    ("~pub.*", "public", True),
    ("~a|ab", "ab", False),
    ("!~priv.*", "public", True),
    ("!~priv.*", "private", False),
    ("", "", True),
    ("{a", "{a", True),
]


@pytest.mark.parametrize(("pattern", "name", "hit"), NAMES, ids=[f"{p!r}~{n!r}" for p, n, _ in NAMES])
def test_name_pattern(pattern: str, name: str, hit: bool) -> None:
    assert parse_name_pattern(pattern).matches(name) is hit


def test_regex_that_does_not_compile() -> None:
    with pytest.raises(SubnetSpecError, match=r"invalid subnet regexp pattern '\(unclosed'"):
        parse_name_pattern("~(unclosed")


def test_glob_translation() -> None:
    assert glob_to_regex("a*{b,c}?.x") == r"^a[^/]*(b|c).\.x$"


TAGS = [
    ("a,b", TagMode.ANY, ("a",), True),
    ("a,b", TagMode.ANY, ("c",), False),
    ("a b", TagMode.ANY, ("b",), True),
    ("&a,b", TagMode.ALL, ("a", "b", "c"), True),
    ("&a,b", TagMode.ALL, ("a",), False),
    ("!a,b", TagMode.NOT_ANY, ("c",), True),
    ("!a,b", TagMode.NOT_ANY, ("b",), False),
    ("!&a,b", TagMode.NOT_ALL, ("a",), True),
    ("!&a,b", TagMode.NOT_ALL, ("a", "b"), False),
]


@pytest.mark.parametrize(
    ("spec", "mode", "tags", "hit"), TAGS, ids=[f"{s!r}-{'+'.join(t)}" for s, _, t, _ in TAGS]
)
def test_tag_filter(spec: str, mode: TagMode, tags: tuple[str, ...], hit: bool) -> None:
    parsed = parse_tag_filter(spec)
    assert parsed.mode is mode
    assert parsed.matches(tags) is hit


@pytest.mark.parametrize(
    ("spec", "query"),
    [
        ("a,b", {"tags-any": "a,b"}),
        ("&a,b", {"tags": "a,b"}),
        ("!a,b", {"not-tags-any": "a,b"}),
        ("!&a,b", {"not-tags": "a,b"}),
    ],
    ids=["any", "all", "not-any", "not-all"],
)
def test_neutron_filter(spec: str, query: dict[str, str]) -> None:
    assert parse_tag_filter(spec).neutron_filter() == query


@pytest.mark.parametrize("spec", ["", "&", "!", "!&", "&!a", "a,!b", " , "], ids=repr)
def test_tag_filter_rejects(spec: str) -> None:
    with pytest.raises(SubnetSpecError, match="tag list"):
        parse_tag_filter(spec)
