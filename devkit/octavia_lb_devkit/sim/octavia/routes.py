"""Octavia v2 over HTTP: load balancers and their children, stats, status tree, failover, batch members.

Routes are registered under `/load-balancer/v2.0`; the app maps `/load-balancer/v2` onto the same routes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from octavia_lb_devkit.sim.errors import ApiError, Service
from octavia_lb_devkit.sim.http import Auth, Call, Reply, Router
from octavia_lb_devkit.sim.neutron.store import Neutron
from octavia_lb_devkit.sim.octavia import admin as octavia_admin
from octavia_lb_devkit.sim.octavia.children import Children
from octavia_lb_devkit.sim.octavia.hm_l7 import MonitorsAndPolicies
from octavia_lb_devkit.sim.octavia.lbs import LoadBalancers
from octavia_lb_devkit.sim.octavia.render import render, render_full, status_tree
from octavia_lb_devkit.sim.octavia.schemas import (
    HEALTHMONITOR,
    L7POLICY,
    L7RULE,
    LISTENER,
    LOADBALANCER,
    MEMBER,
    POOL,
)
from octavia_lb_devkit.sim.octavia.store import Octavia
from octavia_lb_devkit.sim.octavia.versions import version_document
from octavia_lb_devkit.sim.query import RESERVED, Dialect, list_view, split_values
from octavia_lb_devkit.sim.schema import Field, Wording, unwrap, validate

BASE = "/load-balancer/v2.0"
_OUTPUTS = {
    "id",
    "project_id",
    "provisioning_status",
    "operating_status",
    "created_at",
    "updated_at",
    "vip_address",
    "vip_port_id",
    "vip_subnet_id",
    "vip_network_id",
    "default_pool_id",
    "listener_id",
    "healthmonitor_id",
    "loadbalancer_id",
    "pool_id",
}
_NOT_FILTERS = {
    "listeners",
    "pools",
    "members",
    "healthmonitor",
    "default_pool",
    "l7policies",
    "rules",
    "redirect_pool",
    "tags",
    "additional_vips",
}
ZERO_STATS = {
    "bytes_in": 0,
    "bytes_out": 0,
    "active_connections": 0,
    "total_connections": 0,
    "request_errors": 0,
}


def _unknown_filter(name: str) -> ApiError:
    return ApiError(400, f"One or more arguments are either duplicate or invalid (unknown filter '{name}')")


@dataclass(frozen=True)
class Kind:
    """How one child resource is spelled and which functions create, update and delete it."""

    store: str
    key: str
    plural: str
    fields: tuple[Field, ...]
    parent: str | None  # URL parameter of the parent (members under pools, rules under policies)
    # Filters Octavia applies to a column the answer does not show: filter name -> private stored key.
    hidden_filters: tuple[tuple[str, str], ...] = ()
    # Request fields that are no column of Octavia's data model, so Octavia rejects them as filters.
    not_filters: frozenset[str] = frozenset()

    @property
    def filterable(self) -> set[str]:
        return ({f.name for f in self.fields} | _OUTPUTS) - _NOT_FILTERS - self.not_filters

    def apply_hidden_filters(self, call: Call, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Keep the items whose private column matches every hidden filter (repeated values: any of them)."""
        for name, key in self.hidden_filters:
            wanted = call.query_values(name)
            if wanted:
                items = [item for item in items if item.get(key) in wanted]
        return items


# Fields `render` derives (references to other objects); a filter or sort on one needs rendered items.
_DERIVED = frozenset({"listeners", "pools", "loadbalancers", "members", "l7policies", "rules"})


def _needs_rendering(call: Call) -> bool:
    keys = {key for key, _ in call.query if key not in RESERVED}
    keys |= {chunk.partition(":")[0] for chunk in split_values(call.query_values("sort"))}
    keys |= set(call.query_values("sort_key"))
    return bool(keys & _DERIVED)


class OctaviaApi:
    def __init__(self, octavia: Octavia, neutron: Neutron) -> None:
        self.o = octavia
        self.children = Children(octavia, neutron)
        self.hm_l7 = MonitorsAndPolicies(self.children)
        self.lbs = LoadBalancers(self.children, self.hm_l7)
        self.dialect = Dialect(
            links_always=True,
            max_limit=1000,
            unknown_filter=_unknown_filter,
            tags_enabled=octavia.max_version.supports("2.5"),
        )

    def body(self, call: Call, kind: Kind, update: bool = False) -> dict[str, Any]:
        return validate(
            unwrap(call.body, kind.key, Wording.OCTAVIA),
            kind.fields,
            wrapper=kind.key,
            wording=Wording.OCTAVIA,
            version=self.o.max_version,
            update=update,
        )

    def listing(self, kind: Kind) -> Callable[[Call], Reply]:
        def handler(call: Call) -> Reply:
            auth = call.require_auth()
            if kind.parent == "pool_id":
                pool = self.o.get("pools", call.params["pool_id"], auth)
                # through the load balancer's index: scanning every member of the cloud per call made a
                # per-pool read cost O(all members)
                items = [
                    m
                    for m in self._visible_children(pool["_lb"], "members", auth)
                    if m["_pool"] == pool["id"]
                ]
            elif kind.parent == "policy_id":
                policy = self.o.get("l7policies", call.params["policy_id"], auth)
                children = self._visible_children(policy["_lb"], "l7rules", auth)
                items = [r for r in children if r["_policy"] == policy["id"]]
            else:
                items = self.o.visible(kind.store, auth)
            if kind.parent:
                items = self._scoped_by_parent_filter(call, items)
            items = kind.apply_hidden_filters(call, items)
            handled = frozenset(name for name, _ in kind.hidden_filters)
            if kind.parent:
                handled |= {"pool_id", "l7policy_id"}
            if _needs_rendering(call):
                items = [render(self.o, kind.store, item) | {"_seq": item["_seq"]} for item in items]
                page_render = None
            else:  # filters and sort keys on stored columns only: render just the page (5,000 items, 5 pages)
                page_render = partial(render, self.o, kind.store)
            return Reply(
                200,
                list_view(
                    items,
                    call,
                    kind.plural,
                    self.dialect,
                    kind.filterable,
                    handled=handled,
                    render=page_render,
                ),
            )

        return handler

    def _visible_children(self, lb_id: str, kind: str, auth: Auth) -> list[dict[str, Any]]:
        return [
            item
            for item in self.o.children(lb_id, kind)
            if auth.is_admin or item.get("project_id", auth.project_id) == auth.project_id
        ]

    @staticmethod
    def _scoped_by_parent_filter(call: Call, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """openstacksdk repeats the parent id as a filter (`?l7policy_id=`); Octavia's DB has that column."""
        parent = call.params.get("pool_id") or call.params.get("policy_id")
        names = ("pool_id", "l7policy_id")
        wanted = [v for k, v in call.query if k in names]
        return items if all(v == parent for v in wanted) else []

    def show(self, kind: Kind) -> Callable[[Call], Reply]:
        def handler(call: Call) -> Reply:
            auth = call.require_auth()
            if kind.parent == "pool_id":
                item = self.children.member_of(auth, call.params["pool_id"], call.params["id"])
            elif kind.parent == "policy_id":
                item = self.hm_l7.rule_of(auth, call.params["policy_id"], call.params["id"])
            else:
                item = self.o.get(kind.store, call.params["id"], auth)
            return Reply(200, {kind.key: render(self.o, kind.store, item)})

        return handler

    def write(
        self,
        kind: Kind,
        status: int,
        action: Callable[[Auth, Call, dict[str, Any]], dict[str, Any]],
        update: bool = False,
    ) -> Callable[[Call], Reply]:
        def handler(call: Call) -> Reply:
            auth = call.require_auth()
            item = action(auth, call, self.body(call, kind, update))
            return Reply(status, {kind.key: render(self.o, kind.store, item)})

        return handler

    def remove(self, action: Callable[[Auth, Call], None]) -> Callable[[Call], Reply]:
        def handler(call: Call) -> Reply:
            action(call.require_auth(), call)
            return Reply(204)

        return handler


KINDS = {
    "loadbalancers": Kind("loadbalancers", "loadbalancer", "loadbalancers", LOADBALANCER, None),
    # Octavia also accepts its column name `load_balancer_id`, which openstacksdk's listener query sends.
    "listeners": Kind(
        "listeners", "listener", "listeners", LISTENER, None, hidden_filters=(("load_balancer_id", "_lb"),)
    ),
    # A pool's answer lists `loadbalancers: [{"id"}]`, yet Octavia filters `?loadbalancer_id=` (or the column
    # name `load_balancer_id`) on its column;
    # `listener_id` is only a create field (the pool table has no such column): Octavia answers 400.
    "pools": Kind(
        "pools",
        "pool",
        "pools",
        POOL,
        None,
        hidden_filters=(("loadbalancer_id", "_lb"), ("load_balancer_id", "_lb")),
        not_filters=frozenset({"listener_id"}),
    ),
    "members": Kind("members", "member", "members", MEMBER, "pool_id"),
    # A monitor's answer lists `pools: [{"id"}]`; Octavia filters `?pool_id=` on its column.
    "healthmonitors": Kind(
        "healthmonitors",
        "healthmonitor",
        "healthmonitors",
        HEALTHMONITOR,
        None,
        hidden_filters=(("pool_id", "_hm_pool"),),
    ),
    "l7policies": Kind("l7policies", "l7policy", "l7policies", L7POLICY, None),
    "l7rules": Kind("l7rules", "rule", "rules", L7RULE, "policy_id"),
}


def _lb_routes(router: Router, api: OctaviaApi) -> None:
    svc, kind, path = Service.LOAD_BALANCER, KINDS["loadbalancers"], f"{BASE}/lbaas/loadbalancers"
    lbs, o = api.lbs, api.o

    def create(call: Call) -> Reply:
        lb = lbs.create(call.require_auth(), api.body(call, kind))
        return Reply(201, {"loadbalancer": render_full(o, lb)})

    def delete(call: Call) -> Reply:
        lbs.delete(call.require_auth(), call.params["id"], call.query_flag("cascade"))
        return Reply(204)

    def failover(call: Call) -> Reply:
        lbs.failover(call.require_auth(), call.params["id"])
        return Reply(202)

    def stats(call: Call) -> Reply:
        o.get("loadbalancers", call.params["id"], call.require_auth())
        return Reply(200, {"stats": dict(ZERO_STATS)})

    def status(call: Call) -> Reply:
        return Reply(200, status_tree(o, o.get("loadbalancers", call.params["id"], call.require_auth())))

    router.add("GET", path, api.listing(kind), svc)
    router.add("POST", path, create, svc)
    router.add("GET", f"{path}/{{id}}", api.show(kind), svc)
    router.add(
        "PUT",
        f"{path}/{{id}}",
        api.write(kind, 200, lambda a, c, b: lbs.update(a, c.params["id"], b), update=True),
        svc,
    )
    router.add("DELETE", f"{path}/{{id}}", delete, svc)
    router.add("GET", f"{path}/{{id}}/stats", stats, svc)
    router.add("GET", f"{path}/{{id}}/status", status, svc)
    router.add("PUT", f"{path}/{{id}}/failover", failover, svc)


def _child_routes(router: Router, api: OctaviaApi) -> None:
    svc, ch, x = Service.LOAD_BALANCER, api.children, api.hm_l7
    simple = {
        "listeners": (
            lambda a, c, b: api.lbs.create_listener(a, b),
            lambda a, c, b: ch.update_listener(a, c.params["id"], b),
            lambda a, c: ch.delete_listener(a, c.params["id"]),
        ),
        "pools": (
            lambda a, c, b: api.lbs.create_pool(a, b),
            lambda a, c, b: ch.update_pool(a, c.params["id"], b),
            lambda a, c: ch.delete_pool(a, c.params["id"]),
        ),
        "healthmonitors": (
            lambda a, c, b: x.create_hm(a, b),
            lambda a, c, b: x.update_hm(a, c.params["id"], b),
            lambda a, c: x.delete_hm(a, c.params["id"]),
        ),
        "l7policies": (
            lambda a, c, b: api.lbs.create_policy(a, b),
            lambda a, c, b: x.update_policy(a, c.params["id"], b),
            lambda a, c: x.delete_policy(a, c.params["id"]),
        ),
    }
    for name, (create, update, delete) in simple.items():
        kind, path = KINDS[name], f"{BASE}/lbaas/{name}"
        router.add("GET", path, api.listing(kind), svc)
        router.add("POST", path, api.write(kind, 201, create), svc)
        router.add("GET", f"{path}/{{id}}", api.show(kind), svc)
        router.add("PUT", f"{path}/{{id}}", api.write(kind, 200, update, update=True), svc)
        router.add("DELETE", f"{path}/{{id}}", api.remove(delete), svc)

    def listener_stats(call: Call) -> Reply:
        api.o.get("listeners", call.params["id"], call.require_auth())
        return Reply(200, {"stats": dict(ZERO_STATS)})

    router.add("GET", f"{BASE}/lbaas/listeners/{{id}}/stats", listener_stats, svc)


def _member_and_rule_routes(router: Router, api: OctaviaApi) -> None:
    svc, ch, x = Service.LOAD_BALANCER, api.children, api.hm_l7
    members, path = KINDS["members"], f"{BASE}/lbaas/pools/{{pool_id}}/members"
    router.add("GET", path, api.listing(members), svc)
    router.add(
        "POST",
        path,
        api.write(members, 201, lambda a, c, b: ch.create_member(a, c.params["pool_id"], b)),
        svc,
    )
    router.add("PUT", path, lambda call: _batch(api, call), svc)
    router.add("GET", f"{path}/{{id}}", api.show(members), svc)
    router.add(
        "PUT",
        f"{path}/{{id}}",
        api.write(
            members,
            200,
            lambda a, c, b: ch.update_member(a, c.params["pool_id"], c.params["id"], b),
            update=True,
        ),
        svc,
    )
    router.add(
        "DELETE",
        f"{path}/{{id}}",
        api.remove(lambda a, c: ch.delete_member(a, c.params["pool_id"], c.params["id"])),
        svc,
    )

    rules, path = KINDS["l7rules"], f"{BASE}/lbaas/l7policies/{{policy_id}}/rules"
    router.add("GET", path, api.listing(rules), svc)
    router.add(
        "POST", path, api.write(rules, 201, lambda a, c, b: x.create_rule(a, c.params["policy_id"], b)), svc
    )
    router.add("GET", f"{path}/{{id}}", api.show(rules), svc)
    router.add(
        "PUT",
        f"{path}/{{id}}",
        api.write(
            rules,
            200,
            lambda a, c, b: x.update_rule(a, c.params["policy_id"], c.params["id"], b),
            update=True,
        ),
        svc,
    )
    router.add(
        "DELETE",
        f"{path}/{{id}}",
        api.remove(lambda a, c: x.delete_rule(a, c.params["policy_id"], c.params["id"])),
        svc,
    )


def _batch(api: OctaviaApi, call: Call) -> Reply:
    auth = call.require_auth()
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get("members"), list):
        raise ApiError(
            400, f"Invalid input for field/attribute members. Value: '{body}'. Mandatory field missing."
        )
    additive = call.query_flag("additive_only")
    if additive and not api.o.max_version.supports("2.11"):
        raise _unknown_filter("additive_only")
    wanted = [
        validate(m, MEMBER, wrapper="member", wording=Wording.OCTAVIA, version=api.o.max_version)
        if isinstance(m, dict)
        else _bad_member(m)
        for m in body["members"]
    ]
    api.children.batch_members(auth, call.params["pool_id"], wanted, additive)
    return Reply(202)


def _bad_member(value: Any) -> dict[str, Any]:
    raise ApiError(
        400, f"Invalid input for field/attribute members. Value: '{value}'. Value should be an object."
    )


def add_routes(
    router: Router, octavia: Octavia, neutron: Neutron, root_of: Callable[[Call], str]
) -> OctaviaApi:
    api = OctaviaApi(octavia, neutron)
    svc = Service.LOAD_BALANCER

    def versions(call: Call) -> Reply:
        return Reply(200, version_document(f"{root_of(call)}/load-balancer", octavia.max_version))

    router.add("GET", "/load-balancer", versions, svc, public=True)
    _lb_routes(router, api)
    _child_routes(router, api)
    _member_and_rule_routes(router, api)
    octavia_admin.add_routes(router, octavia, BASE, api.dialect)
    return api
