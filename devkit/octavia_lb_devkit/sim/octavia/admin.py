"""Octavia's operator resources over HTTP: flavors and profiles, availability zones and profiles,
providers (quotas and amphorae have their own modules). Writes are admin-only, as in Octavia's policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from octavia_lb_devkit.sim.errors import ApiError, Service, not_found_octavia
from octavia_lb_devkit.sim.http import Call, Reply, Router
from octavia_lb_devkit.sim.octavia.amphorae import Amphorae
from octavia_lb_devkit.sim.octavia.lbs import PROVIDERS
from octavia_lb_devkit.sim.octavia.quotas import Quotas, require_admin
from octavia_lb_devkit.sim.octavia.schemas import AZ, AZPROFILE, FLAVOR, FLAVORPROFILE
from octavia_lb_devkit.sim.octavia.store import LABELS, Octavia
from octavia_lb_devkit.sim.query import Dialect, list_view, public
from octavia_lb_devkit.sim.schema import Field, Wording, unwrap, validate


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
    Quotas(o).register(router, base)
    Amphorae(o, dialect).register(router, base)
