"""Octavia quotas over HTTP: per-project limits (both spellings of each name), admin-only changes."""

from __future__ import annotations

from typing import Any

from octavia_lb_devkit.sim.errors import ApiError, Service
from octavia_lb_devkit.sim.http import Call, Reply, Router
from octavia_lb_devkit.sim.octavia.schemas import QUOTA_NAMES
from octavia_lb_devkit.sim.octavia.store import Octavia
from octavia_lb_devkit.sim.schema import Wording, unwrap

FORBIDDEN = "Policy does not allow this request to be performed."
MAX_QUOTA = 2_000_000_000


def require_admin(call: Call) -> None:
    if not call.require_auth().is_admin:
        raise ApiError(403, FORBIDDEN)


def quota_body(o: Octavia, project: str) -> dict[str, Any]:
    """openstacksdk reads `load_balancer`/`health_monitor`; the api-ref spells them without the underscore."""
    quota = o.quota_for(project)
    return {
        "project_id": project,
        **quota,
        "loadbalancer": quota["load_balancer"],
        "healthmonitor": quota["health_monitor"],
    }


class Quotas:
    def __init__(self, octavia: Octavia) -> None:
        self.o = octavia

    def listing(self, call: Call) -> Reply:
        auth = call.require_auth()
        projects = [p for p in self.o.quotas if auth.is_admin or p == auth.project_id]
        return Reply(200, {"quotas": [quota_body(self.o, p) for p in projects], "quotas_links": []})

    def show(self, call: Call) -> Reply:
        auth = call.require_auth()
        project = call.params["project"]
        if not auth.is_admin and project != auth.project_id:
            raise ApiError(403, FORBIDDEN)
        return Reply(200, {"quota": quota_body(self.o, project)})

    def defaults(self, call: Call) -> Reply:
        call.require_auth()
        body = quota_body(self.o, "")  # an unknown project has only the defaults
        body.pop("project_id")
        return Reply(200, {"quota": {name: -1 for name in body}})

    def update(self, call: Call) -> Reply:
        require_admin(call)
        changes = {}
        for name, value in unwrap(call.body, "quota", Wording.OCTAVIA).items():
            if name not in QUOTA_NAMES:
                raise ApiError(
                    400,
                    f"Invalid input for field/attribute quota. Value: '{name}'. Unknown attribute "
                    f"for argument quota: {name}",
                )
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not -1 <= value <= MAX_QUOTA
            ):
                raise ApiError(
                    400,
                    f"Invalid input for field/attribute {name}. Value: '{value}'. Value should be "
                    f"between -1 and {MAX_QUOTA}",
                )
            changes[QUOTA_NAMES[name]] = -1 if value is None else value
        self.o.quotas.setdefault(call.params["project"], {}).update(changes)
        return Reply(202, {"quota": quota_body(self.o, call.params["project"])})

    def reset(self, call: Call) -> Reply:
        require_admin(call)
        if self.o.quotas.pop(call.params["project"], None) is None:
            raise ApiError(404, f"Quota {call.params['project']} not found.")
        return Reply(202)

    def register(self, router: Router, base: str) -> None:
        svc, path = Service.LOAD_BALANCER, f"{base}/lbaas/quotas"
        router.add("GET", path, self.listing, svc)
        router.add("GET", f"{path}/defaults", self.defaults, svc)
        router.add("GET", f"{path}/{{project}}", self.show, svc)
        router.add("PUT", f"{path}/{{project}}", self.update, svc)
        router.add("DELETE", f"{path}/{{project}}", self.reset, svc)
