"""The simulator's small HTTP vocabulary: a parsed call, a reply, and a route table with path templates.

Handlers are plain functions `(Call) -> Reply` registered on a `Router` with a template such as
`/load-balancer/v2.0/lbaas/loadbalancers/{id}`; the template is also the key of the call counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from octavia_lb_devkit.sim.errors import ApiError, Service


@dataclass(frozen=True)
class Auth:
    """Who is calling: filled from the X-Auth-Token by the identity store."""

    user_id: str
    project_id: str
    roles: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, str]
    query: list[tuple[str, str]]
    body: Any
    base_url: str
    service: Service
    auth: Auth | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def query_values(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]

    def query_flag(self, name: str) -> bool:
        values = self.query_values(name)
        return bool(values) and values[-1].lower() in ("1", "true", "yes", "on", "y", "t")

    def require_auth(self) -> Auth:
        if self.auth is None:
            raise ApiError(401, "The request you have made requires authentication.")
        return self.auth


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    segments: tuple[str, ...]
    handler: Handler
    service: Service
    public: bool  # reachable without a token (version documents, token issue)


class Router:
    """Routes indexed by (method, number of segments); a segment is a literal or a `{name}` parameter."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, int], list[Route]] = {}
        self.templates: set[str] = set()

    def add(
        self, method: str, template: str, handler: Handler, service: Service, public: bool = False
    ) -> None:
        segments = tuple(s for s in template.split("/") if s)
        route = Route(method, template, segments, handler, service, public)
        bucket = self._routes.setdefault((method, len(segments)), [])
        # Literal segments win over parameters (`/quotas/defaults` before `/quotas/{id}`).
        bucket.append(route)
        bucket.sort(key=lambda r: [s.startswith("{") for s in r.segments])
        self.templates.add(template)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        parts = [p for p in path.split("/") if p]
        for route in self._routes.get((method, len(parts)), ()):
            params = _match_segments(route.segments, parts)
            if params is not None:
                return route, params
        return None

    def allowed_methods(self, path: str) -> list[str]:
        parts = [p for p in path.split("/") if p]
        return sorted(
            method
            for (method, size), routes in self._routes.items()
            if size == len(parts) and any(_match_segments(r.segments, parts) is not None for r in routes)
        )


def _match_segments(pattern: tuple[str, ...], parts: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for expected, actual in zip(pattern, parts, strict=True):
        if expected.startswith("{"):
            params[expected[1:-1]] = actual
        elif expected != actual:
            return None
    return params
