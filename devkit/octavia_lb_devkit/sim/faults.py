"""Fault injection: failing the next N calls of a route, random 500/503s, added latency, ERROR builds.

Routes are named like the call counts: `"<METHOD> <path template>"`, e.g.
`"POST /load-balancer/v2.0/lbaas/loadbalancers"`; the method may be `*`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from octavia_lb_devkit.sim.errors import ApiError


@dataclass
class FailRule:
    method: str
    template: str
    status: int
    remaining: int
    message: str

    def matches(self, method: str, template: str) -> bool:
        return self.template == template and self.method in ("*", method)


@dataclass
class Faults:
    """Mutable fault settings of one simulator; reset with the rest of the state."""

    rules: list[FailRule] = field(default_factory=list)
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 503)
    latency: float = 0.0
    error_builds: int = 0

    def add_rule(self, route: str, status: int, count: int = 1, message: str | None = None) -> FailRule:
        method, _, template = route.partition(" ")
        if not template.startswith("/"):
            raise ApiError(
                400, f"route: {route!r} must look like 'POST /load-balancer/v2.0/lbaas/loadbalancers'"
            )
        if not 400 <= status <= 599:
            raise ApiError(400, f"status: {status!r} must be an HTTP error status (400-599)")
        if count < 1:
            raise ApiError(400, f"count: {count!r} must be >= 1")
        rule = FailRule(method.upper(), template, status, count, message or f"Injected fault {status}")
        self.rules.append(rule)
        return rule

    def set_rate(self, rate: float, statuses: list[int] | None = None) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ApiError(400, f"error_rate: {rate!r} must be between 0 and 1")
        self.error_rate = rate
        if statuses:
            bad = [s for s in statuses if s not in (500, 502, 503, 504)]
            if bad:
                raise ApiError(400, f"error_statuses: {bad!r} must be 500, 502, 503 or 504")
            self.error_statuses = tuple(statuses)

    def set_latency(self, seconds: float) -> None:
        if not 0.0 <= seconds <= 60.0:
            raise ApiError(400, f"latency: {seconds!r} must be between 0 and 60 seconds")
        self.latency = seconds

    def check(self, method: str, template: str, rng: random.Random) -> ApiError | None:
        """The injected error for this call, if any; consumes one use of a matching rule."""
        for rule in self.rules:
            if rule.matches(method, template):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.rules.remove(rule)
                return ApiError(rule.status, rule.message)
        if self.error_rate and rng.random() < self.error_rate:
            status = rng.choice(self.error_statuses)
            return ApiError(status, f"Injected random fault {status}")
        return None

    def take_error_build(self) -> bool:
        if self.error_builds > 0:
            self.error_builds -= 1
            return True
        return False

    def clear(self) -> None:
        """Back to no faults; the object is shared, so it is cleared in place."""
        self.rules.clear()
        self.error_rate, self.error_statuses, self.latency, self.error_builds = 0.0, (500, 503), 0.0, 0

    def snapshot(self) -> dict[str, Any]:
        return {
            "rules": [vars(rule).copy() for rule in self.rules],
            "error_rate": self.error_rate,
            "error_statuses": list(self.error_statuses),
            "latency": self.latency,
            "error_builds": self.error_builds,
        }
