"""Listing rules shared by Octavia and Neutron: filters, tag filters, sorting, pagination, `fields`.

Stored objects are dicts whose keys starting with `_` are private (`_seq` is the creation order used as the
default sort and as the pagination tiebreak); `public()` strips them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from octavia_lb_devkit.sim.errors import ApiError
from octavia_lb_devkit.sim.http import Call

RESERVED = {"limit", "marker", "sort", "sort_key", "sort_dir", "fields", "page_reverse"}
TAG_FILTERS = ("tags", "tags-any", "not-tags", "not-tags-any")
_TRUE = {"true", "1", "yes", "on", "t", "y"}
_FALSE = {"false", "0", "no", "off", "f", "n"}


@dataclass(frozen=True)
class Dialect:
    """How one service spells its listing answers."""

    links_always: bool  # Octavia always sends `<key>_links`; Neutron only when paginating
    max_limit: int
    unknown_filter: Callable[[str], ApiError]
    tags_enabled: bool = True


def public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not k.startswith("_")}


def split_values(values: Iterable[str]) -> list[str]:
    return [part for value in values for part in value.split(",") if part != ""]


def tags_match(tags: Iterable[str], call: Call) -> bool:
    have = set(tags)
    wanted = {name: split_values(call.query_values(name)) for name in TAG_FILTERS}
    if wanted["tags"] and not all(t in have for t in wanted["tags"]):
        return False
    if wanted["tags-any"] and not any(t in have for t in wanted["tags-any"]):
        return False
    if wanted["not-tags"] and all(t in have for t in wanted["not-tags"]):
        return False
    return not (wanted["not-tags-any"] and any(t in have for t in wanted["not-tags-any"]))


def _value_matches(actual: Any, wanted: str) -> bool:
    if isinstance(actual, bool):
        lowered = wanted.lower()
        return (lowered in _TRUE) if actual else (lowered in _FALSE)
    if actual is None:
        return wanted in ("", "None", "null")
    if isinstance(actual, list):  # e.g. Neutron's ports?security_groups=<id>: the list holds the value
        return any(not isinstance(x, list | dict) and str(x) == wanted for x in actual)
    if isinstance(actual, dict):
        return False
    return str(actual) == wanted


def filter_items(
    items: Iterable[dict[str, Any]],
    call: Call,
    filterable: set[str],
    dialect: Dialect,
    handled: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    filters: dict[str, list[str]] = {}
    use_tags = False
    for key, value in call.query:
        if key in RESERVED or key in handled:
            continue
        if key in TAG_FILTERS and dialect.tags_enabled:
            use_tags = True
            continue
        if key not in filterable:
            raise dialect.unknown_filter(key)
        filters.setdefault(key, []).append(value)
    result = []
    for item in items:
        if use_tags and not tags_match(item.get("tags") or (), call):
            continue
        # Repeated values of one filter are alternatives; different filters must all hold.
        if all(any(_value_matches(item.get(k), v) for v in vs) for k, vs in filters.items()):
            result.append(item)
    return result


def _sort_spec(call: Call, sortable: set[str]) -> list[tuple[str, bool]]:
    spec: list[tuple[str, bool]] = []
    for chunk in split_values(call.query_values("sort")):
        key, _, direction = chunk.partition(":")
        spec.append((key, (direction or "asc").lower() == "desc"))
        if direction and direction.lower() not in ("asc", "desc"):
            raise ApiError(400, f"Invalid sort direction '{direction}' for sort key '{key}'.")
    keys, dirs = call.query_values("sort_key"), call.query_values("sort_dir")
    for index, key in enumerate(keys):
        direction = dirs[index] if index < len(dirs) else "asc"
        if direction.lower() not in ("asc", "desc"):
            raise ApiError(400, f"Invalid sort direction '{direction}' for sort key '{key}'.")
        spec.append((key, direction.lower() == "desc"))
    for key, _ in spec:
        if key not in sortable:
            raise ApiError(400, f"Invalid sort key '{key}'. Valid sort keys: {', '.join(sorted(sortable))}")
    return spec


def sort_items(items: list[dict[str, Any]], call: Call, sortable: set[str]) -> list[dict[str, Any]]:
    ordered = sorted(items, key=lambda item: item["_seq"])
    for key, descending in reversed(_sort_spec(call, sortable)):
        # Stable sorts applied from the last key to the first give a multi-key order; None sorts first.
        ordered.sort(key=lambda item, k=key: (item.get(k) is not None, str(item.get(k))), reverse=descending)
    return ordered


def _limit(call: Call, dialect: Dialect) -> int | None:
    values = call.query_values("limit")
    if not values:
        return None
    raw = values[-1]
    if raw == "infinite":
        return None
    try:
        limit = int(raw)
    except ValueError:
        raise ApiError(
            400, f"Invalid input for field/attribute limit. Value: '{raw}'. Limit must be an integer."
        ) from None
    return None if limit < 1 else min(limit, dialect.max_limit)


def paginate(
    items: list[dict[str, Any]], call: Call, dialect: Dialect, key_field: str = "id"
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    limit = _limit(call, dialect)
    markers = call.query_values("marker")
    marker = markers[-1] if markers else None
    reverse = call.query_flag("page_reverse")
    ordered = list(reversed(items)) if reverse else items
    start = 0
    if marker is not None:
        ids = [item.get(key_field) for item in ordered]
        if marker not in ids:
            raise ApiError(400, f"Supplied pagination marker '{marker}' is not valid.")
        start = ids.index(marker) + 1
    page = ordered[start : start + limit] if limit else ordered[start:]
    links = _links(call, page, limit, marker, key_field)
    return (list(reversed(page)) if reverse else page), links


def _links(
    call: Call, page: list[dict[str, Any]], limit: int | None, marker: str | None, key_field: str
) -> list[dict[str, str]]:
    kept = [(k, v) for k, v in call.query if k not in ("limit", "marker", "page_reverse")]
    base = call.base_url + call.path
    links = []
    if limit and len(page) == limit:
        query = kept + [("limit", str(limit)), ("marker", str(page[-1][key_field]))]
        links.append({"rel": "next", "href": f"{base}?{urlencode(query)}"})
    if marker is not None and page:
        query = kept + [
            ("limit", str(limit or len(page))),
            ("marker", str(page[0][key_field])),
            ("page_reverse", "True"),
        ]
        links.append({"rel": "previous", "href": f"{base}?{urlencode(query)}"})
    return links


def select_fields(item: dict[str, Any], call: Call) -> dict[str, Any]:
    fields = split_values(call.query_values("fields"))
    shown = public(item)
    if not fields:
        return shown
    return {k: v for k, v in shown.items() if k in fields}


def list_view(
    items: Iterable[dict[str, Any]],
    call: Call,
    key: str,
    dialect: Dialect,
    filterable: set[str],
    key_field: str = "id",
    handled: frozenset[str] = frozenset(),
    render: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The whole listing answer `{key: [...], key_links: [...]}` for `call`'s query.

    `handled` names query keys the caller already applied (they stay in the next links); `render`, when
    given, turns each item of the page (only) into its answer shape."""
    chosen = filter_items(items, call, filterable, dialect, handled)
    ordered = sort_items(chosen, call, filterable | {"created_at", "updated_at", "id", key_field})
    page, links = paginate(ordered, call, dialect, key_field)
    if render is not None:
        page = [render(item) for item in page]
    answer: dict[str, Any] = {key: [select_fields(item, call) for item in page]}
    if dialect.links_always or call.query_values("limit") or links:
        answer[f"{key}_links"] = links
    return answer
