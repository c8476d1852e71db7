"""The control API under `/_sim/`: reset, seed, faults, delays, clock, call counts and a state dump.

It needs no token (it is the test harness's side door) and its calls are not counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from octavia_lb_devkit.sim.errors import ApiError, Service
from octavia_lb_devkit.sim.http import Call, Reply, Router
from octavia_lb_devkit.sim.query import public

if TYPE_CHECKING:
    from octavia_lb_devkit.sim.app import Simulator


def _number(body: Any, name: str, default: Any = None) -> Any:
    value = body.get(name, default) if isinstance(body, dict) else default
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(400, f"{name}: {value!r} must be a number")
    return value


def _mapping(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, f"body: expected a JSON object, got {type(body).__name__}")
    return body


def dump(sim: Simulator) -> dict[str, Any]:
    cloud = sim.cloud
    return {
        "identity": {
            "projects": cloud.identity.projects,
            "users": [
                {"id": u.id, "name": u.name, "project_id": u.project_id, "roles": list(u.roles)}
                for u in cloud.identity.users.values()
            ],
            "tokens": len(cloud.identity.tokens),
        },
        "network": {kind: [public(i) for i in items.values()] for kind, items in cloud.neutron.store.items()},
        "load-balancer": {
            kind: [public(i) for i in items.values()] for kind, items in cloud.octavia.store.items()
        },
        "quotas": {"network": cloud.neutron.quotas, "load-balancer": cloud.octavia.quotas},
        "faults": cloud.faults.snapshot(),
        "scheduled": cloud.scheduler.pending(),
        "config": {
            "profile": cloud.config.profile,
            "random_seed": cloud.config.random_seed,
            "max_api_version": str(cloud.config.max_api_version),
        },
    }


class ControlApi:
    """Handlers of `/_sim/`; each acts on the simulator's current cloud."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def health(self, call: Call) -> Reply:
        return Reply(200, {"ok": True})

    def reset(self, call: Call) -> Reply:
        self.sim.reset()
        return Reply(200, {"reset": True})

    def seed(self, call: Call) -> Reply:
        body = _mapping(call.body)
        if "yaml" in body:
            try:
                body = _mapping(yaml.safe_load(body["yaml"]))
            except yaml.YAMLError as exc:
                raise ApiError(400, f"yaml: cannot parse: {exc}") from exc
        return Reply(200, {"seeded": self.sim.cloud.seeder.apply(body)})

    def state(self, call: Call) -> Reply:
        return Reply(200, dump(self.sim))

    def counts(self, call: Call) -> Reply:
        cloud = self.sim.cloud
        return Reply(200, {"counts": dict(cloud.counts), "internal_errors": list(cloud.internal_errors)})

    def clear_counts(self, call: Call) -> Reply:
        self.sim.cloud.counts.clear()
        return Reply(204)

    def faults(self, call: Call) -> Reply:
        return Reply(200, self.sim.cloud.faults.snapshot())

    def fail(self, call: Call) -> Reply:
        body = _mapping(call.body)
        route, status = body.get("route"), _number(body, "status")
        if not isinstance(route, str):
            raise ApiError(
                400, f"route: {route!r} must be a string like 'POST /load-balancer/v2.0/lbaas/pools'"
            )
        if route.partition(" ")[2] not in self.sim.cloud.router.templates:
            raise ApiError(400, f"route: {route!r} names no route; see GET /_sim/routes")
        count = int(_number(body, "count", 1))
        rule = self.sim.cloud.faults.add_rule(route, int(status), count, body.get("message"))
        return Reply(201, {"rule": vars(rule)})

    def rate(self, call: Call) -> Reply:
        body = _mapping(call.body)
        self.sim.cloud.faults.set_rate(float(_number(body, "rate")), body.get("statuses"))
        return Reply(200, self.sim.cloud.faults.snapshot())

    def latency(self, call: Call) -> Reply:
        self.sim.cloud.faults.set_latency(float(_number(_mapping(call.body), "seconds")))
        return Reply(200, self.sim.cloud.faults.snapshot())

    def error_builds(self, call: Call) -> Reply:
        count = _number(_mapping(call.body), "count", 1)
        if int(count) < 0:
            raise ApiError(400, f"count: {count!r} must be >= 0")
        self.sim.cloud.faults.error_builds = int(count)
        return Reply(200, self.sim.cloud.faults.snapshot())

    def expire_tokens(self, call: Call) -> Reply:
        return Reply(200, {"expired": self.sim.cloud.identity.expire_all()})

    def clear_faults(self, call: Call) -> Reply:
        self.sim.cloud.faults.clear()
        return Reply(204)

    def delays(self, call: Call) -> Reply:
        try:
            timing = self.sim.cloud.set_delays(_mapping(call.body))
        except ValueError as exc:
            raise ApiError(400, str(exc)) from exc
        overrides = {op.value: list(r) for op, r in (timing.overrides or {}).items()}
        return Reply(200, {"profile": timing.profile, "overrides": overrides})

    def advance(self, call: Call) -> Reply:
        seconds = float(_number(_mapping(call.body), "seconds"))
        if seconds < 0:
            raise ApiError(400, f"seconds: {seconds!r} must be >= 0")
        self.sim.cloud.clock.advance(seconds)
        return Reply(200, {"ran": self.sim.cloud.scheduler.run_due()})

    def routes(self, call: Call) -> Reply:
        return Reply(200, {"templates": sorted(self.sim.cloud.router.templates)})


def add_routes(router: Router, sim: Simulator) -> None:
    api = ControlApi(sim)
    for method, path, handler in (
        ("GET", "/_sim/health", api.health),
        ("POST", "/_sim/reset", api.reset),
        ("POST", "/_sim/seed", api.seed),
        ("GET", "/_sim/state", api.state),
        ("GET", "/_sim/counts", api.counts),
        ("DELETE", "/_sim/counts", api.clear_counts),
        ("GET", "/_sim/faults", api.faults),
        ("DELETE", "/_sim/faults", api.clear_faults),
        ("POST", "/_sim/faults/fail", api.fail),
        ("POST", "/_sim/faults/rate", api.rate),
        ("POST", "/_sim/faults/latency", api.latency),
        ("POST", "/_sim/faults/error-builds", api.error_builds),
        ("POST", "/_sim/faults/expire-tokens", api.expire_tokens),
        ("PUT", "/_sim/delays", api.delays),
        ("POST", "/_sim/clock/advance", api.advance),
        ("GET", "/_sim/routes", api.routes),
    ):
        router.add(method, path, handler, Service.CONTROL, public=True)
