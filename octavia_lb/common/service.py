"""A light, typed, read-only view of a Kubernetes Service given as the API's JSON dict (camelCase keys).

The webhook receives whatever the API server (or a fuzzer) sends, so `ServiceView.from_dict` never raises:
fields of the wrong shape are dropped and described in `problems`, naming the field path and the value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

DEFAULT_NAMESPACE = "default"


def show(value: Any, limit: int = 160) -> str:
    """Quote a value for a message: JSON style, cut to `limit` characters so one bad value cannot flood it."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class PortView:
    """One entry of `spec.ports`."""

    name: str
    protocol: str
    port: int
    node_port: int


@dataclass(frozen=True)
class ServiceView:
    """The fields of a Service that load-balancer logic reads, with Kubernetes' defaults for absent ones."""

    namespace: str = DEFAULT_NAMESPACE
    name: str = ""
    uid: str = ""
    type: str = "ClusterIP"
    annotations: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
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
