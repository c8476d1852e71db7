"""Reading Kubernetes manifests for `octavia-lb lint`: multi-document YAML or JSON, `kind: List` flattened."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml


class ManifestError(ValueError):
    """Input that cannot be read as Kubernetes objects; the message names the file (and document)."""


def read_objects(path: str) -> list[Mapping[str, Any]]:
    """Every object in the file (`-` = stdin), in order; List items are returned one by one."""
    name = "<stdin>" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{name}: cannot read: {exc}") from exc
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        raise ManifestError(f"{name}: not valid YAML or JSON: {exc}".replace("\n", " ")) from exc
    objects: list[Mapping[str, Any]] = []
    for number, document in enumerate(documents, start=1):
        if document is None:
            continue  # an empty document between `---` separators
        objects.extend(_flatten(document, f"{name}: document {number}"))
    return objects


def _flatten(document: Any, where: str) -> Iterator[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        kind = type(document).__name__
        raise ManifestError(f"{where}: expected a Kubernetes object (a mapping), got {kind}")
    # `kind: List` and typed lists such as ServiceList (what `kubectl get -o yaml` prints).
    if str(document.get("kind", "")).endswith("List") and "items" in document:
        items = document.get("items") or []
        if not isinstance(items, list):
            raise ManifestError(f"{where}: items of a List must be a list")
        for index, item in enumerate(items):
            yield from _flatten(item, f"{where} item {index}")
    else:
        yield document


def services_of(objects: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Only the Services (kind Service, core API group)."""
    return [obj for obj in objects if obj.get("kind") == "Service" and obj.get("apiVersion", "v1") == "v1"]
