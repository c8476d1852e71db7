"""Neutron v2.0 over HTTP: collection CRUD, tag sub-resources, router interfaces, quotas, extensions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from octavia_lb_devkit.sim.errors import ApiError, Service
from octavia_lb_devkit.sim.http import Auth, Call, Reply, Router
from octavia_lb_devkit.sim.neutron.l3 import L3
from octavia_lb_devkit.sim.neutron.quotas import NeutronQuotas
from octavia_lb_devkit.sim.neutron.schemas import COLLECTIONS
from octavia_lb_devkit.sim.neutron.store import Neutron
from octavia_lb_devkit.sim.query import Dialect, list_view, public
from octavia_lb_devkit.sim.schema import Wording, unwrap, validate

BASE = "/networking/v2.0"
_OUTPUTS = {
    "id",
    "status",
    "project_id",
    "tenant_id",
    "created_at",
    "updated_at",
    "revision_number",
    "subnets",
    "router:external",
    "mac_address",
    "fixed_ips",
    "floating_ip_address",
    "router_id",
    "port_id",
    "fixed_ip_address",
    "floating_network_id",
    "security_groups",
    "device_id",
    "device_owner",
}
EXTENSIONS = (
    "external-net",
    "router",
    "standard-attr-tag",
    "tag-creation",
    "security-group",
    "quotas",
    "filter-validation",
    "standard-attr-timestamp",
    "standard-attr-revisions",
    "binding",
    "allowed-address-pairs",
    "extra_dhcp_opt",
    "port-security",
    "ext-gw-mode",
)


def _unknown_filter(name: str) -> ApiError:
    return ApiError(400, f"[{name}] is invalid attribute for filtering", "HTTPBadRequest")


DIALECT = Dialect(links_always=False, max_limit=1000, unknown_filter=_unknown_filter)


def _filterable(fields: tuple[Any, ...]) -> set[str]:
    return {f.name for f in fields} | _OUTPUTS


def _fixed_ip_filter(call: Call, ports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`?fixed_ips=ip_address=10.0.0.5&fixed_ips=subnet_id=...`: every given pair must match one fixed IP."""
    wanted = [value.partition("=") for key, value in call.query if key == "fixed_ips"]
    for name, _, value in wanted:
        if name not in ("ip_address", "subnet_id", "ip_address_substr"):
            raise ApiError(
                400,
                f"Invalid input for fixed_ips. Reason: '{name}={value}' must use ip_address, "
                "subnet_id or ip_address_substr.",
                "InvalidInput",
            )

    def matches(ip: dict[str, str], name: str, value: str) -> bool:
        return value in ip["ip_address"] if name == "ip_address_substr" else ip.get(name) == value

    return [
        port
        for port in ports
        if all(any(matches(ip, name, value) for ip in port["fixed_ips"]) for name, _, value in wanted)
    ]


_HANDLED = frozenset({"fixed_ips"})


class NeutronApi:
    """HTTP handlers bound to one Neutron store."""

    def __init__(self, neutron: Neutron, l3: L3) -> None:
        self.net = neutron
        self.l3 = l3

    def render(self, kind: str, item: dict[str, Any]) -> dict[str, Any]:
        return public(self.net.render_sg(item) if kind == "security_groups" else item)

    def create(self, collection: str) -> Callable[[Call], Reply]:
        key, kind, _, fields = COLLECTIONS[collection]
        creators: dict[str, Callable[[Auth, dict[str, Any]], dict[str, Any]]] = {
            "networks": self.net.create_network,
            "subnets": self.net.create_subnet,
            "ports": self.net.create_port,
            "routers": self.l3.create_router,
            "floatingips": self.l3.create_fip,
            "security_groups": self.net.create_sg,
            "security_group_rules": self.net.create_rule,
        }

        def handler(call: Call) -> Reply:
            auth = call.require_auth()
            attrs = validate(
                unwrap(call.body, key, Wording.NEUTRON), fields, wrapper=key, wording=Wording.NEUTRON
            )
            return Reply(201, {key: self.render(kind, creators[kind](auth, attrs))})

        return handler

    def listing(self, collection: str) -> Callable[[Call], Reply]:
        _, kind, _, fields = COLLECTIONS[collection]
        plural = kind
        filterable = _filterable(fields)

        def handler(call: Call) -> Reply:
            items = [
                self.render(kind, item) | {"_seq": item["_seq"]}
                for item in self.net.listing(kind, call.require_auth())
            ]
            if kind == "ports":
                items = _fixed_ip_filter(call, items)
            return Reply(200, list_view(items, call, plural, DIALECT, filterable, handled=_HANDLED))

        return handler

    def show(self, collection: str) -> Callable[[Call], Reply]:
        key, kind, _, _ = COLLECTIONS[collection]

        def handler(call: Call) -> Reply:
            item = self.net.get(kind, call.params["id"], call.require_auth())
            return Reply(200, {key: self.render(kind, item)})

        return handler

    def update(self, collection: str) -> Callable[[Call], Reply]:
        key, kind, _, fields = COLLECTIONS[collection]
        updaters: dict[str, Callable[[Auth, str, dict[str, Any]], dict[str, Any]]] = {
            "ports": self.net.update_port,
            "routers": self.l3.update_router,
            "floatingips": self.l3.update_fip,
        }

        def generic(auth: Auth, ident: str, changes: dict[str, Any]) -> dict[str, Any]:
            return self.net.touch(self.net.owned(kind, ident, auth), changes)

        def handler(call: Call) -> Reply:
            auth = call.require_auth()
            changes = validate(
                unwrap(call.body, key, Wording.NEUTRON),
                fields,
                wrapper=key,
                wording=Wording.NEUTRON,
                update=True,
            )
            item = updaters.get(kind, generic)(auth, call.params["id"], changes)
            return Reply(200, {key: self.render(kind, item)})

        return handler

    def delete(self, collection: str) -> Callable[[Call], Reply]:
        _, kind, _, _ = COLLECTIONS[collection]
        deleters: dict[str, Callable[[Auth, str], None]] = {
            "networks": self.net.delete_network,
            "subnets": self.net.delete_subnet,
            "ports": self.net.delete_port,
            "routers": self.l3.delete_router,
            "floatingips": self.l3.delete_fip,
            "security_groups": self.net.delete_sg,
            "security_group_rules": self.net.delete_rule,
        }

        def handler(call: Call) -> Reply:
            deleters[kind](call.require_auth(), call.params["id"])
            return Reply(204)

        return handler


class TagsApi:
    """The `standard-attr-tag` sub-resources; tags are kept sorted as Neutron returns them."""

    def __init__(self, neutron: Neutron, kind: str) -> None:
        self.net = neutron
        self.kind = kind

    def _item(self, call: Call) -> dict[str, Any]:
        return self.net.owned(self.kind, call.params["id"], call.require_auth())

    def _tags_body(self, call: Call) -> list[str]:
        tags = call.body.get("tags") if isinstance(call.body, dict) else None
        if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= 255 for t in tags):
            raise ApiError(
                400,
                f"Invalid input for tags. Reason: {tags!r} is not a list of strings of 1-255 characters.",
                "InvalidInput",
            )
        return tags

    def get_all(self, call: Call) -> Reply:
        return Reply(200, {"tags": self._item(call)["tags"]})

    def replace(self, call: Call) -> Reply:
        item = self._item(call)
        self.net.touch(item, {"tags": sorted(set(self._tags_body(call)))})
        return Reply(200, {"tags": item["tags"]})

    def add_many(self, call: Call) -> Reply:
        item = self._item(call)
        self.net.touch(item, {"tags": sorted(set(item["tags"]) | set(self._tags_body(call)))})
        return Reply(201, {"tags": item["tags"]})

    def clear(self, call: Call) -> Reply:
        self.net.touch(self._item(call), {"tags": []})
        return Reply(204)

    def check(self, call: Call) -> Reply:
        if call.params["tag"] not in self._item(call)["tags"]:
            raise ApiError(404, f"Tag {call.params['tag']} could not be found.", "TagNotFound")
        return Reply(204)

    def add_one(self, call: Call) -> Reply:
        item, tag = self._item(call), call.params["tag"]
        if len(tag) > 255:
            raise ApiError(
                400, f"Invalid input for tag. Reason: '{tag}' exceeds maximum length of 255.", "InvalidInput"
            )
        self.net.touch(item, {"tags": sorted(set(item["tags"]) | {tag})})
        return Reply(201)

    def remove_one(self, call: Call) -> Reply:
        item, tag = self._item(call), call.params["tag"]
        if tag not in item["tags"]:
            raise ApiError(404, f"Tag {tag} could not be found.", "TagNotFound")
        self.net.touch(item, {"tags": [t for t in item["tags"] if t != tag]})
        return Reply(204)


def _meta_routes(router: Router, root_of: Callable[[Call], str]) -> None:
    svc = Service.NETWORK

    def versions(call: Call) -> Reply:
        href = f"{root_of(call)}/networking/v2.0/"
        return Reply(
            200, {"versions": [{"id": "v2.0", "status": "CURRENT", "links": [{"href": href, "rel": "self"}]}]}
        )

    def ext(alias: str) -> dict[str, Any]:
        return {
            "alias": alias,
            "name": alias,
            "description": f"The {alias} extension.",
            "updated": "2013-01-20T00:00:00-00:00",
            "links": [],
        }

    def extensions(call: Call) -> Reply:
        call.require_auth()
        return Reply(200, {"extensions": [ext(a) for a in EXTENSIONS]})

    def extension(call: Call) -> Reply:
        call.require_auth()
        alias = call.params["alias"]
        if alias not in EXTENSIONS:
            raise ApiError(404, f"Extension with alias {alias} does not exist", "HTTPNotFound")
        return Reply(200, {"extension": ext(alias)})

    router.add("GET", "/networking", versions, svc, public=True)
    router.add("GET", BASE, versions, svc, public=True)
    router.add("GET", f"{BASE}/extensions", extensions, svc)
    router.add("GET", f"{BASE}/extensions/{{alias}}", extension, svc)


def add_routes(router: Router, neutron: Neutron, l3: L3, root_of: Callable[[Call], str]) -> None:
    api = NeutronApi(neutron, l3)
    svc = Service.NETWORK
    for collection, (_, kind, _, _) in COLLECTIONS.items():
        path = f"{BASE}/{collection}"
        router.add("GET", path, api.listing(collection), svc)
        router.add("POST", path, api.create(collection), svc)
        router.add("GET", f"{path}/{{id}}", api.show(collection), svc)
        router.add("PUT", f"{path}/{{id}}", api.update(collection), svc)
        router.add("DELETE", f"{path}/{{id}}", api.delete(collection), svc)
        if kind != "security_group_rules":
            tags = TagsApi(neutron, kind)
            router.add("GET", f"{path}/{{id}}/tags", tags.get_all, svc)
            router.add("PUT", f"{path}/{{id}}/tags", tags.replace, svc)
            router.add("POST", f"{path}/{{id}}/tags", tags.add_many, svc)
            router.add("DELETE", f"{path}/{{id}}/tags", tags.clear, svc)
            router.add("GET", f"{path}/{{id}}/tags/{{tag}}", tags.check, svc)
            router.add("PUT", f"{path}/{{id}}/tags/{{tag}}", tags.add_one, svc)
            router.add("DELETE", f"{path}/{{id}}/tags/{{tag}}", tags.remove_one, svc)

    def add_interface(call: Call) -> Reply:
        return Reply(200, l3.add_interface(call.require_auth(), call.params["id"], call.body))

    def remove_interface(call: Call) -> Reply:
        return Reply(200, l3.remove_interface(call.require_auth(), call.params["id"], call.body))

    router.add("PUT", f"{BASE}/routers/{{id}}/add_router_interface", add_interface, svc)
    router.add("PUT", f"{BASE}/routers/{{id}}/remove_router_interface", remove_interface, svc)
    NeutronQuotas(neutron).register(router, BASE)
    _meta_routes(router, root_of)
