"""Octavia's operator resources over HTTP: flavors and profiles, availability zones and profiles,
providers, quotas and amphorae. Writes here are admin-only, as in Octavia's default policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from octavia_lb.sim.errors import ApiError, Service, not_found_octavia
from octavia_lb.sim.http import Call, Reply, Router
from octavia_lb.sim.octavia import LABELS, Octavia
from octavia_lb.sim.octavia_lbs import PROVIDERS
from octavia_lb.sim.octavia_schemas import AZ, AZPROFILE, FLAVOR, FLAVORPROFILE, QUOTA_NAMES
from octavia_lb.sim.query import Dialect, list_view, public
from octavia_lb.sim.schema import Field, Wording, unwrap, validate
from octavia_lb.sim.states import Operation

FORBIDDEN = "Policy does not allow this request to be performed."


def require_admin(call: Call) -> None:
    if not call.require_auth().is_admin:
        raise ApiError(403, FORBIDDEN)


class Catalogue:
    """Generic CRUD for one operator resource kind (key field `id`, or `name` for availability zones)."""

    def __init__(
        self,
        octavia: Octavia,
        kind: str,
        key: str,
        plural: str,
        fields: tuple[Field, ...],
        since: str | None,
        admin_read: bool,
        key_field: str = "id",
        in_use: Callable[[str], str | None] | None = None,
    ) -> None:
        self.o, self.kind, self.key, self.plural, self.fields = octavia, kind, key, plural, fields
        self.since, self.admin_read, self.key_field, self.in_use = since, admin_read, key_field, in_use

    def _gate(self, call: Call) -> None:
        if self.since and not self.o.max_version.supports(self.since):
            raise ApiError(404, "The resource could not be found.")
        if self.admin_read:
            require_admin(call)
        else:
            call.require_auth()

    def _get(self, ident: str) -> dict[str, Any]:
        item = self.o.store[self.kind].get(ident)
        if item is None:
            raise not_found_octavia(LABELS[self.kind], ident)
        return item

    def listing(self, call: Call, dialect: Dialect) -> Reply:
        self._gate(call)
        filterable = {f.name for f in self.fields} | {"id"}
        return Reply(
            200,
            list_view(
                list(self.o.store[self.kind].values()), call, self.plural, dialect, filterable, self.key_field
            ),
        )

    def show(self, call: Call) -> Reply:
        self._gate(call)
        return Reply(200, {self.key: public(self._get(call.params["id"]))})

    def create(self, call: Call) -> Reply:
        self._gate(call)
        require_admin(call)
        attrs = validate(
            unwrap(call.body, self.key, Wording.OCTAVIA),
            self.fields,
            wrapper=self.key,
            wording=Wording.OCTAVIA,
            version=self.o.max_version,
        )
        self._check_refs(attrs)
        if self.key_field == "name":
            if attrs["name"] in self.o.store[self.kind]:
                raise ApiError(409, f"A {LABELS[self.kind]} of {attrs['name']} already exists.")
            item = {**attrs, "_seq": len(self.o.store[self.kind]), "id": attrs["name"]}
            self.o.store[self.kind][attrs["name"]] = item
            return Reply(201, {self.key: {k: v for k, v in public(item).items() if k != "id"}})
        item = self.o.new(self.kind, attrs)
        item.pop("created_at"), item.pop("updated_at")
        return Reply(201, {self.key: public(item)})

    def _check_refs(self, attrs: dict[str, Any]) -> None:
        for field, kind in (
            ("flavor_profile_id", "flavorprofiles"),
            ("availability_zone_profile_id", "availabilityzoneprofiles"),
        ):
            if field in attrs and attrs[field] not in self.o.store[kind]:
                raise not_found_octavia(LABELS[kind], attrs[field])
        if attrs.get("provider_name") is not None and attrs["provider_name"] not in PROVIDERS:
            raise ApiError(400, f"Provider '{attrs['provider_name']}' is not enabled.")

    def update(self, call: Call) -> Reply:
        self._gate(call)
        require_admin(call)
        item = self._get(call.params["id"])
        changes = validate(
            unwrap(call.body, self.key, Wording.OCTAVIA),
            self.fields,
            wrapper=self.key,
            wording=Wording.OCTAVIA,
            version=self.o.max_version,
            update=True,
        )
        item.update(changes)
        shown = public(item)
        if self.key_field == "name":
            shown.pop("id", None)
        return Reply(200, {self.key: shown})

    def delete(self, call: Call) -> Reply:
        self._gate(call)
        require_admin(call)
        ident = call.params["id"]
        self._get(ident)
        user = self.in_use(ident) if self.in_use else None
        if user:
            raise ApiError(409, f"{LABELS[self.kind]} {ident} is in use by {user}.")
        del self.o.store[self.kind][ident]
        return Reply(204)


def _flavor_user(o: Octavia) -> Callable[[str], str | None]:
    return lambda ident: next(
        (lb["id"] for lb in o.store["loadbalancers"].values() if lb.get("flavor_id") == ident), None
    )


def _zone_user(o: Octavia) -> Callable[[str], str | None]:
    return lambda ident: next(
        (lb["id"] for lb in o.store["loadbalancers"].values() if lb.get("availability_zone") == ident), None
    )


def _profile_user(o: Octavia, kind: str, field: str) -> Callable[[str], str | None]:
    return lambda ident: next(
        (item["id"] for item in o.store[kind].values() if item.get(field) == ident), None
    )


def catalogues(o: Octavia) -> dict[str, Catalogue]:
    return {
        "flavorprofiles": Catalogue(
            o,
            "flavorprofiles",
            "flavorprofile",
            "flavorprofiles",
            FLAVORPROFILE,
            "2.6",
            True,
            in_use=_profile_user(o, "flavors", "flavor_profile_id"),
        ),
        "flavors": Catalogue(o, "flavors", "flavor", "flavors", FLAVOR, "2.6", False, in_use=_flavor_user(o)),
        "availabilityzoneprofiles": Catalogue(
            o,
            "availabilityzoneprofiles",
            "availability_zone_profile",
            "availability_zone_profiles",
            AZPROFILE,
            "2.14",
            True,
            in_use=_profile_user(o, "availabilityzones", "availability_zone_profile_id"),
        ),
        "availabilityzones": Catalogue(
            o,
            "availabilityzones",
            "availability_zone",
            "availability_zones",
            AZ,
            "2.14",
            False,
            key_field="name",
            in_use=_zone_user(o),
        ),
    }


def _quota_body(o: Octavia, project: str) -> dict[str, Any]:
    quota = o.quota_for(project)
    return {
        "project_id": project,
        **quota,
        "loadbalancer": quota["load_balancer"],
        "healthmonitor": quota["health_monitor"],
    }


def add_routes(router: Router, o: Octavia, base: str, dialect: Dialect) -> None:
    svc = Service.LOAD_BALANCER
    for path, cat in catalogues(o).items():
        router.add("GET", f"{base}/lbaas/{path}", lambda call, c=cat: c.listing(call, dialect), svc)
        router.add("POST", f"{base}/lbaas/{path}", cat.create, svc)
        router.add("GET", f"{base}/lbaas/{path}/{{id}}", cat.show, svc)
        router.add("PUT", f"{base}/lbaas/{path}/{{id}}", cat.update, svc)
        router.add("DELETE", f"{base}/lbaas/{path}/{{id}}", cat.delete, svc)

    def providers(call: Call) -> Reply:
        call.require_auth()
        return Reply(200, {"providers": [{"name": n, "description": d} for n, d in PROVIDERS.items()]})

    def capabilities(kind: str, entries: list[dict[str, str]], since: str) -> Callable[[Call], Reply]:
        def handler(call: Call) -> Reply:
            require_admin(call)
            if not o.max_version.supports(since):
                raise ApiError(404, "The resource could not be found.")
            if call.params["provider"] not in PROVIDERS:
                raise ApiError(400, f"Provider '{call.params['provider']}' is not enabled.")
            return Reply(200, {kind: entries})

        return handler

    router.add("GET", f"{base}/lbaas/providers", providers, svc)
    router.add(
        "GET",
        f"{base}/lbaas/providers/{{provider}}/flavor_capabilities",
        capabilities(
            "flavor_capabilities",
            [
                {
                    "name": "loadbalancer_topology",
                    "description": "The load balancer topology. "
                    "One of: SINGLE - One amphora per load balancer. ACTIVE_STANDBY - Two amphora "
                    "per load balancer.",
                },
                {"name": "compute_flavor", "description": "The compute driver flavor ID."},
            ],
            "2.6",
        ),
        svc,
    )
    router.add(
        "GET",
        f"{base}/lbaas/providers/{{provider}}/availability_zone_capabilities",
        capabilities(
            "availability_zone_capabilities",
            [{"name": "compute_zone", "description": "The compute availability zone."}],
            "2.14",
        ),
        svc,
    )
    _quota_routes(router, o, base)
    _amphora_routes(router, o, base, dialect)


def _quota_routes(router: Router, o: Octavia, base: str) -> None:
    svc = Service.LOAD_BALANCER

    def listing(call: Call) -> Reply:
        auth = call.require_auth()
        projects = [p for p in o.quotas if auth.is_admin or p == auth.project_id]
        return Reply(200, {"quotas": [_quota_body(o, p) for p in projects], "quotas_links": []})

    def show(call: Call) -> Reply:
        auth = call.require_auth()
        project = call.params["project"]
        if not auth.is_admin and project != auth.project_id:
            raise ApiError(403, FORBIDDEN)
        return Reply(200, {"quota": _quota_body(o, project)})

    def defaults(call: Call) -> Reply:
        call.require_auth()
        return Reply(
            200,
            {
                "quota": {k: v for k, v in _quota_body(o, "").items() if k != "project_id"}
                | {
                    name: -1
                    for name in (
                        "load_balancer",
                        "loadbalancer",
                        "listener",
                        "pool",
                        "member",
                        "health_monitor",
                        "healthmonitor",
                        "l7policy",
                        "l7rule",
                    )
                }
            },
        )

    def update(call: Call) -> Reply:
        require_admin(call)
        body = unwrap(call.body, "quota", Wording.OCTAVIA)
        changes = {}
        for name, value in body.items():
            if name not in QUOTA_NAMES:
                raise ApiError(
                    400,
                    f"Invalid input for field/attribute quota. Value: '{name}'. Unknown attribute "
                    f"for argument quota: {name}",
                )
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not -1 <= value <= 2_000_000_000
            ):
                raise ApiError(
                    400,
                    f"Invalid input for field/attribute {name}. Value: '{value}'. Value should be "
                    "between -1 and 2000000000",
                )
            changes[QUOTA_NAMES[name]] = -1 if value is None else value
        o.quotas.setdefault(call.params["project"], {}).update(changes)
        return Reply(202, {"quota": _quota_body(o, call.params["project"])})

    def reset(call: Call) -> Reply:
        require_admin(call)
        if o.quotas.pop(call.params["project"], None) is None:
            raise ApiError(404, f"Quota {call.params['project']} not found.")
        return Reply(202)

    router.add("GET", f"{base}/lbaas/quotas", listing, svc)
    router.add("GET", f"{base}/lbaas/quotas/defaults", defaults, svc)
    router.add("GET", f"{base}/lbaas/quotas/{{project}}", show, svc)
    router.add("PUT", f"{base}/lbaas/quotas/{{project}}", update, svc)
    router.add("DELETE", f"{base}/lbaas/quotas/{{project}}", reset, svc)


def _amphora_routes(router: Router, o: Octavia, base: str, dialect: Dialect) -> None:
    svc = Service.LOAD_BALANCER
    filterable = {
        "loadbalancer_id",
        "compute_id",
        "role",
        "status",
        "lb_network_ip",
        "ha_ip",
        "vrrp_ip",
        "ha_port_id",
        "vrrp_port_id",
        "image_id",
        "compute_flavor",
        "cached_zone",
        "id",
    }

    def listing(call: Call) -> Reply:
        require_admin(call)
        return Reply(
            200, list_view(list(o.store["amphorae"].values()), call, "amphorae", dialect, filterable)
        )

    def amphora(call: Call) -> dict[str, Any]:
        require_admin(call)
        return o.get("amphorae", call.params["id"])

    def show(call: Call) -> Reply:
        return Reply(200, {"amphora": public(amphora(call))})

    def stats(call: Call) -> Reply:
        amp = amphora(call)
        return Reply(
            200,
            {
                "amphora_stats": [
                    {
                        "id": amp["id"],
                        "loadbalancer_id": amp["loadbalancer_id"],
                        "listener_id": li["id"],
                        "active_connections": 0,
                        "bytes_in": 0,
                        "bytes_out": 0,
                        "request_errors": 0,
                        "total_connections": 0,
                    }
                    for li in o.children(amp["loadbalancer_id"], "listeners")
                ]
            },
        )

    def configure(call: Call) -> Reply:
        amphora(call)
        if not o.max_version.supports("2.7"):
            raise ApiError(404, "The resource could not be found.")
        return Reply(202)

    def failover(call: Call) -> Reply:
        amp = amphora(call)
        lb = o.get("loadbalancers", amp["loadbalancer_id"])
        o.require_mutable_lb(lb, allow_error=True)
        o.start(lb, Operation.LB_FAILOVER)
        return Reply(202)

    def delete(call: Call) -> Reply:
        amp = amphora(call)
        if not o.max_version.supports("2.21"):
            raise ApiError(404, "The resource could not be found.")
        if amp["status"] != "ERROR":
            raise ApiError(409, f"Amphora {amp['id']} is not in ERROR state and cannot be deleted.")
        del o.store["amphorae"][amp["id"]]
        return Reply(204)

    router.add("GET", f"{base}/octavia/amphorae", listing, svc)
    router.add("GET", f"{base}/octavia/amphorae/{{id}}", show, svc)
    router.add("GET", f"{base}/octavia/amphorae/{{id}}/stats", stats, svc)
    router.add("PUT", f"{base}/octavia/amphorae/{{id}}/config", configure, svc)
    router.add("PUT", f"{base}/octavia/amphorae/{{id}}/failover", failover, svc)
    router.add("DELETE", f"{base}/octavia/amphorae/{{id}}", delete, svc)
