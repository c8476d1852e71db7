"""A light, typed, read-only view of a Kubernetes Service given as the API's JSON dict (camelCase keys).

The webhook receives whatever the API server (or a fuzzer) sends, so `ServiceView.from_dict` never raises:
fields of the wrong shape are dropped and described in `problems`, naming the field path and the value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import msgspec

DEFAULT_NAMESPACE = "default"


def show(value: Any, limit: int = 160) -> str:
    """Quote a value for a message: JSON style, cut to `limit` characters so one bad value cannot flood it."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Views are frozen msgspec Structs rather than frozen dataclasses: the webhook builds one or two per review,
# and a Struct is built in C, several times faster than a frozen dataclass's __init__ (one setattr per field).
class PortView(msgspec.Struct, frozen=True):
    """One entry of `spec.ports`."""

    name: str
    protocol: str
    port: int
    node_port: int


class ServiceView(msgspec.Struct, frozen=True):
    """The fields of a Service that load-balancer logic reads, with Kubernetes' defaults for absent ones."""

    namespace: str = DEFAULT_NAMESPACE
    name: str = ""
    uid: str = ""
    type: str = "ClusterIP"
    annotations: Mapping[str, str] = msgspec.field(default_factory=lambda: MappingProxyType({}))
    ports: tuple[PortView, ...] = ()
    ip_families: tuple[str, ...] = ()
    external_traffic_policy: str = "Cluster"
    health_check_node_port: int = 0
    load_balancer_ip: str = ""
    source_ranges: tuple[str, ...] = ()
    session_affinity: str = "None"
    load_balancer_class: str | None = None
    finalizers: tuple[str, ...] = ()
    deletion_timestamp: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """`namespace/name`, as lint prints it and as peers are told apart when there is no uid."""
        return f"{self.namespace}/{self.name}"

    @classmethod
    def from_dict(cls, data: Any) -> ServiceView:
        """Build a view from a Service dict; never raises."""
        fast = _well_typed_view(cls, data)
        return fast if fast is not None else cls._read(data)

    @classmethod
    def well_typed(cls, data: Any) -> ServiceView | None:
        """The view when every field it reads has exactly the JSON type the apiserver sends, else None."""
        return _well_typed_view(cls, data)

    @classmethod
    def _read(cls, data: Any) -> ServiceView:
        """`from_dict` field by field, recording a problem for each field of the wrong shape."""
        reader = _Reader()
        root = data if isinstance(data, Mapping) else reader.bad("(object)", data, "an object")
        meta = reader.mapping(root, "metadata")
        spec = reader.mapping(root, "spec")
        return cls(
            namespace=reader.string(meta, "metadata.namespace", "namespace") or DEFAULT_NAMESPACE,
            name=reader.string(meta, "metadata.name", "name") or reader.string(meta, "metadata.generateName",
                                                                                  "generateName"),
            uid=reader.string(meta, "metadata.uid", "uid"),
            type=reader.string(spec, "spec.type", "type") or "ClusterIP",
            annotations=MappingProxyType(reader.string_map(meta, "metadata.annotations", "annotations")),
            ports=reader.ports(spec),
            ip_families=reader.string_list(spec, "spec.ipFamilies", "ipFamilies"),
            external_traffic_policy=reader.string(spec, "spec.externalTrafficPolicy", "externalTrafficPolicy")
            or "Cluster",
            health_check_node_port=reader.integer(spec, "spec.healthCheckNodePort", "healthCheckNodePort"),
            load_balancer_ip=reader.string(spec, "spec.loadBalancerIP", "loadBalancerIP"),
            source_ranges=reader.string_list(
                spec, "spec.loadBalancerSourceRanges", "loadBalancerSourceRanges"
            ),
            session_affinity=reader.string(spec, "spec.sessionAffinity", "sessionAffinity") or "None",
            load_balancer_class=reader.string(spec, "spec.loadBalancerClass", "loadBalancerClass") or None,
            finalizers=reader.string_list(meta, "metadata.finalizers", "finalizers"),
            deletion_timestamp=reader.string(meta, "metadata.deletionTimestamp", "deletionTimestamp") or None,
            problems=tuple(reader.problems),
        )


def _str_or_none(*items: Any) -> bool:
    return all(item is None or type(item) is str for item in items)


def _int_or_none(*items: Any) -> bool:
    return all(item is None or type(item) is int for item in items)


def _dict_or_empty(value: Any) -> dict[str, Any] | None:
    if value is None:
        return {}
    return value if type(value) is dict else None


def _str_list(value: Any) -> tuple[str, ...] | None:
    """The items of a list of exact strings (None: absent), or None when it is anything else."""
    if value is None:
        return ()
    if type(value) is list and all(type(item) is str for item in value):
        return tuple(value)
    return None


def _well_typed_ports(value: Any) -> tuple[PortView, ...] | None:
    if value is None:
        return ()
    if type(value) is not list:
        return None
    ports = []
    for item in value:
        if type(item) is not dict:
            return None
        name, protocol, port, node_port = (item.get(k) for k in ("name", "protocol", "port", "nodePort"))
        if not _str_or_none(name, protocol) or not _int_or_none(port, node_port):
            return None
        ports.append(PortView(name or "", protocol or "TCP", port or 0, node_port or 0))
    return tuple(ports)


def _well_typed_view(cls: type[ServiceView], data: Any) -> ServiceView | None:
    """The view of a Service whose fields all have exactly the JSON types expected, as the apiserver sends
    them; None for anything else, which `_Reader` then reads field by field, naming each problem. The
    results are the same; this path only skips the per-field bookkeeping (the webhook's hot path).
    """
    if type(data) is not dict:
        return None
    # `is None`, not `or {}`: a falsy wrong value such as [] must reach _Reader and be reported
    meta, spec = _dict_or_empty(data.get("metadata")), _dict_or_empty(data.get("spec"))
    if meta is None or spec is None:
        return None
    ns, name, generate, uid, deleted = (
        meta.get(k) for k in ("namespace", "name", "generateName", "uid", "deletionTimestamp")
    )
    kind, policy, lb_ip, affinity, lb_class = (
        spec.get(k) for k in ("type", "externalTrafficPolicy", "loadBalancerIP", "sessionAffinity",
                              "loadBalancerClass")
    )
    annotations = _dict_or_empty(meta.get("annotations"))
    check_port = spec.get("healthCheckNodePort")
    if (
        not _str_or_none(ns, name, generate, uid, deleted, kind, policy, lb_ip, affinity, lb_class)
        or not _int_or_none(check_port)
        or annotations is None
        or not all(type(k) is str and type(v) is str for k, v in annotations.items())
    ):
        return None
    families, ranges, finalizers = (
        _str_list(spec.get("ipFamilies")),
        _str_list(spec.get("loadBalancerSourceRanges")),
        _str_list(meta.get("finalizers")),
    )
    ports = _well_typed_ports(spec.get("ports"))
    if families is None or ranges is None or finalizers is None or ports is None:
        return None
    return cls(
        namespace=ns or DEFAULT_NAMESPACE,
        name=name or generate or "",
        uid=uid or "",
        type=kind or "ClusterIP",
        annotations=MappingProxyType(dict(annotations)),
        ports=ports,
        ip_families=families,
        external_traffic_policy=policy or "Cluster",
        health_check_node_port=check_port or 0,
        load_balancer_ip=lb_ip or "",
        source_ranges=ranges,
        session_affinity=affinity or "None",
        load_balancer_class=lb_class or None,
        finalizers=finalizers,
        deletion_timestamp=deleted or None,
    )


class _Reader:
    """Field readers that record a problem and fall back to an empty value instead of raising."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def bad(self, path: str, value: Any, expected: str) -> dict[str, Any]:
        self.problems.append(f"{path}: {show(value)} must be {expected}")
        return {}

    def mapping(self, parent: Mapping[str, Any], key: str, path: str | None = None) -> Mapping[str, Any]:
        value = parent.get(key)
        if value is None:
            return {}
        return value if isinstance(value, Mapping) else self.bad(path or key, value, "an object")

    def string(self, parent: Mapping[str, Any], path: str, key: str) -> str:
        value = parent.get(key)
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        self.bad(path, value, "a string")
        return ""

    def integer(self, parent: Mapping[str, Any], path: str, key: str) -> int:
        value = parent.get(key)
        if value is None:
            return 0
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self.bad(path, value, "an integer")
        return 0

    def string_list(self, parent: Mapping[str, Any], path: str, key: str) -> tuple[str, ...]:
        value = parent.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.bad(path, value, "a list of strings")
            return ()
        items = []
        for index, item in enumerate(value):
            if isinstance(item, str):
                items.append(item)
            else:
                self.bad(f"{path}[{index}]", item, "a string")
        return tuple(items)

    def string_map(self, parent: Mapping[str, Any], path: str, key: str) -> dict[str, str]:
        value = self.mapping(parent, key, path)
        result = {}
        for name, item in value.items():
            if isinstance(name, str) and isinstance(item, str):
                result[name] = item
            else:
                self.bad(f"{path}[{show(name)}]", item, "a string")
        return result

    def ports(self, spec: Mapping[str, Any]) -> tuple[PortView, ...]:
        value = spec.get("ports")
        if value is None:
            return ()
        if not isinstance(value, list):
            self.bad("spec.ports", value, "a list")
            return ()
        ports = []
        for index, item in enumerate(value):
            path = f"spec.ports[{index}]"
            if not isinstance(item, Mapping):
                self.bad(path, item, "an object")
                continue
            ports.append(
                PortView(
                    name=self.string(item, f"{path}.name", "name"),
                    protocol=self.string(item, f"{path}.protocol", "protocol") or "TCP",
                    port=self.integer(item, f"{path}.port", "port"),
                    node_port=self.integer(item, f"{path}.nodePort", "nodePort"),
                )
            )
        return tuple(ports)
