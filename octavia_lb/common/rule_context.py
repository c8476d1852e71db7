"""What admission rules read (`Context`, `Peer`) and where they write (`Findings`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from octavia_lb.common import annotations as ann
from octavia_lb.common.config import CloudConfig
from octavia_lb.common.options import ServiceOptions
from octavia_lb.common.service import ServiceView, show


@dataclass(slots=True)
class Findings:
    """Problems deny the request; warnings are returned to kubectl either way."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def deny(self, message: str) -> None:
        self.problems.append(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def failed(self, key: str) -> bool:
        """True when the annotation `key` already has a parse problem (so later rules should not judge it)."""
        return any(problem.startswith(key + ":") for problem in self.problems)


class Context(msgspec.Struct, frozen=True):
    """One review: the Service, its resolved options, cloud.conf and, on UPDATE, the old object."""

    view: ServiceView
    options: ServiceOptions
    config: CloudConfig
    old: ServiceView | None = None

    def raw(self, name: str) -> str | None:
        """The raw value of `loadbalancer.openstack.org/<name>`, or None when absent."""
        return self.view.annotations.get(ann.key(name))

    def source(self, name: str, value: object, config_key: str) -> str:
        """How to name an effective value in a message: the annotation's raw text or the cloud.conf default.
        """
        raw = self.raw(name)
        if raw is not None:
            return f"{name} ({show(raw)})"
        return f"{name} ({value}, from cloud.conf {config_key})"


@dataclass(frozen=True)
class Peer:
    """What the sharing rules need to know about another Service on a load balancer."""

    namespace: str
    name: str
    uid: str
    load_balancer_id: str
    internal: bool
    ports: frozenset[tuple[str, int]]

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"
