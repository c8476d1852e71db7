"""Neutron quotas over HTTP: per-project limits with usage details; changes are admin-only."""

from __future__ import annotations

from octavia_lb_devkit.sim.errors import ApiError, Service
from octavia_lb_devkit.sim.http import Call, Reply, Router
from octavia_lb_devkit.sim.neutron.schemas import QUOTA_DEFAULTS
from octavia_lb_devkit.sim.neutron.store import QUOTA_OF, Neutron
from octavia_lb_devkit.sim.schema import Wording, unwrap

KIND_OF = {resource: kind for kind, resource in QUOTA_OF.items()}


def _require_admin(call: Call, action: str) -> None:
    if not call.require_auth().is_admin:
        raise ApiError(403, f"rule:{action}_quota is disallowed by policy", "PolicyNotAuthorized")


class NeutronQuotas:
    def __init__(self, neutron: Neutron) -> None:
        self.net = neutron

    def listing(self, call: Call) -> Reply:
        call.require_auth()
        quotas = [{**self.net.quota_for(p), "project_id": p, "tenant_id": p} for p in self.net.quotas]
        return Reply(200, {"quotas": quotas})

    def show(self, call: Call) -> Reply:
        call.require_auth()
        return Reply(200, {"quota": self.net.quota_for(call.params["project"])})

    def defaults(self, call: Call) -> Reply:
        call.require_auth()
        return Reply(200, {"quota": dict(QUOTA_DEFAULTS)})

    def details(self, call: Call) -> Reply:
        call.require_auth()
        project = call.params["project"]
        details = {
            resource: {
                "limit": limit,
                "reserved": 0,
                "used": self.net.usage(KIND_OF[resource], project) if resource in KIND_OF else 0,
            }
            for resource, limit in self.net.quota_for(project).items()
        }
        return Reply(200, {"quota": details})

    def update(self, call: Call) -> Reply:
        _require_admin(call, "update")
        body = unwrap(call.body, "quota", Wording.NEUTRON)
        for name, value in body.items():
            if name not in QUOTA_DEFAULTS:
                raise ApiError(400, f"Unrecognized attribute(s) '{name}'", "HTTPBadRequest")
            if isinstance(value, bool) or not isinstance(value, int) or value < -1:
                raise ApiError(
                    400,
                    f"Invalid input for {name}. Reason: '{value}' should be an integer >= -1.",
                    "InvalidInput",
                )
        self.net.quotas.setdefault(call.params["project"], {}).update(body)
        return Reply(200, {"quota": self.net.quota_for(call.params["project"])})

    def reset(self, call: Call) -> Reply:
        _require_admin(call, "delete")
        self.net.quotas.pop(call.params["project"], None)
        return Reply(204)

    def register(self, router: Router, base: str) -> None:
        svc, path = Service.NETWORK, f"{base}/quotas"
        router.add("GET", path, self.listing, svc)
        router.add("GET", f"{path}/{{project}}", self.show, svc)
        router.add("GET", f"{path}/{{project}}/default", self.defaults, svc)
        router.add("GET", f"{path}/{{project}}/details", self.details, svc)
        router.add("PUT", f"{path}/{{project}}", self.update, svc)
        router.add("DELETE", f"{path}/{{project}}", self.reset, svc)
