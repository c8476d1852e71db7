"""Octavia health monitors (with Octavia's validation ranges and type rules) and L7 policies and rules."""

from __future__ import annotations

from typing import Any

from octavia_lb_devkit.sim.errors import ApiError
from octavia_lb_devkit.sim.http import Auth
from octavia_lb_devkit.sim.octavia.children import CODES, MAX_RULES, Children, validation
from octavia_lb_devkit.sim.octavia.states import Operation, Provisioning

P = Provisioning
HTTP_TYPES = ("HTTP", "HTTPS")
UDP_MIN_DELAY = 3
REDIRECT_CODES = (301, 302, 303, 307, 308)


class MonitorsAndPolicies:
    def __init__(self, children: Children) -> None:
        self.c = children
        self.o = children.o

    # ---- health monitors -------------------------------------------------------------------------
    def create_hm(self, auth: Auth, attrs: dict[str, Any], nested: bool = False) -> dict[str, Any]:
        pool = self.o.get("pools", attrs["pool_id"], auth)
        lb = self.o.get("loadbalancers", pool["_lb"])
        if not nested:
            self.o.require_mutable_child(lb["id"], pool)
        if pool.get("healthmonitor_id"):
            raise ApiError(409, "This pool already has a health monitor")
        self._check_hm(attrs["type"], pool["protocol"], attrs)
        if attrs["type"] in HTTP_TYPES:
            attrs.setdefault("http_method", "GET")
            attrs.setdefault("url_path", "/")
            attrs.setdefault("expected_codes", "200")
        else:
            for key in ("http_method", "url_path", "expected_codes"):
                attrs.setdefault(key, None)
        if self.o.max_version.supports("2.10"):
            attrs.setdefault("http_version", None)
            attrs.setdefault("domain_name", None)
        pool_id = attrs.pop("pool_id")
        attrs.update(project_id=lb["project_id"], _hm_pool=pool_id)
        self.c._begin(
            lb,
            nested,
            "healthmonitors",
            lb["project_id"],
            Operation.CHILD_CREATE,
            (pool, *self.c.pool_listeners(pool)),
        )
        monitor = self.o.new("healthmonitors", attrs, lb["id"])
        pool["healthmonitor_id"] = monitor["id"]
        return monitor

    def _check_hm(self, kind: str, pool_protocol: str, attrs: dict[str, Any]) -> None:
        if kind not in HTTP_TYPES:
            for key in ("http_method", "url_path", "expected_codes", "http_version", "domain_name"):
                if attrs.get(key) is not None:
                    raise ApiError(400, f"{key} is not a valid option for health monitors of type {kind}")
        if kind in ("UDP-CONNECT", "SCTP") and pool_protocol not in ("UDP", "SCTP"):
            raise validation(f"The {kind} type is only supported for pools of type UDP or SCTP.")
        if pool_protocol in ("UDP", "SCTP"):
            allowed = ("UDP-CONNECT", "SCTP") + (
                ("TCP", "HTTP") if self.o.max_version.supports("2.16") else ()
            )
            if kind not in allowed:
                raise validation(
                    f"The associated pool protocol is {pool_protocol}, so only a "
                    f"{', '.join(allowed)} health monitor is supported."
                )
        if kind == "UDP-CONNECT" and attrs.get("delay") is not None and attrs["delay"] < UDP_MIN_DELAY:
            raise validation(
                f"The request delay value {attrs['delay']} should be larger than {UDP_MIN_DELAY} "
                "for UDP-CONNECT health monitor type."
            )
        codes = attrs.get("expected_codes")
        if codes is not None and not CODES.match(codes):
            raise ApiError(
                400,
                f"Invalid input for field/attribute expected_codes. Value: '{codes}'. Value "
                "should match the pattern ^(\\d{3}(\\s*,\\s*\\d{3})*)$|^(\\d{3}-\\d{3})$",
            )
        path = attrs.get("url_path")
        if path is not None and not path.startswith("/"):
            raise ApiError(
                400,
                f"Invalid input for field/attribute url_path. Value: '{path}'. Value must be a "
                "valid URL path",
            )
        version = attrs.get("http_version")
        if version is not None and version not in (1.0, 1.1):
            raise ApiError(
                400,
                f"Invalid input for field/attribute http_version. Value: '{version}'. Value "
                "should be one of: 1.0, 1.1",
            )
        if attrs.get("domain_name") and version != 1.1:
            raise ApiError(400, "http_version 1.1 is required when domain_name is set.")

    def update_hm(self, auth: Auth, ident: str, changes: dict[str, Any]) -> dict[str, Any]:
        monitor = self.o.get("healthmonitors", ident, auth)
        pool = self.o.store["pools"][monitor["_hm_pool"]]
        lb = self.o.require_mutable_child(monitor["_lb"], pool)
        self._check_hm(
            monitor["type"], pool["protocol"], {**changes, "delay": changes.get("delay", monitor["delay"])}
        )
        monitor.update(changes)
        self.o.mark(monitor, P.PENDING_UPDATE)
        self.o.start(lb, Operation.CHILD_UPDATE, (pool, *self.c.pool_listeners(pool)))
        return monitor

    def delete_hm(self, auth: Auth, ident: str) -> None:
        monitor = self.o.get("healthmonitors", ident, auth)
        pool = self.o.store["pools"][monitor["_hm_pool"]]
        lb = self.o.require_mutable_child(monitor["_lb"], pool)
        self.o.mark(monitor, P.PENDING_DELETE)
        self.o.start(lb, Operation.CHILD_DELETE, (pool, *self.c.pool_listeners(pool)))

    # ---- L7 policies -----------------------------------------------------------------------------
    def create_policy(self, auth: Auth, attrs: dict[str, Any], nested: bool = False) -> dict[str, Any]:
        listener = self.o.get("listeners", attrs["listener_id"], auth)
        lb = self.o.get("loadbalancers", listener["_lb"])
        if not nested:
            self.o.require_mutable_child(lb["id"])
        self._check_action(lb["id"], attrs)
        attrs.pop("rules", None)
        attrs.pop("redirect_pool", None)
        siblings = sorted(
            (p for p in self.o.children(lb["id"], "l7policies") if p["listener_id"] == listener["id"]),
            key=lambda p: p["position"],
        )
        position = attrs.get("position") or len(siblings) + 1
        position = min(position, len(siblings) + 1)
        for sibling in siblings:
            if sibling["position"] >= position:
                sibling["position"] += 1  # inserting shifts the policies at and after the position
        attrs.update(position=position, project_id=lb["project_id"])
        self.c._begin(lb, nested, "l7policies", lb["project_id"], Operation.CHILD_CREATE, (listener,))
        return self.o.new("l7policies", attrs, lb["id"])

    def _check_action(self, lb_id: str, attrs: dict[str, Any]) -> None:
        action = attrs.get("action")
        needs = {
            "REDIRECT_TO_URL": "redirect_url",
            "REDIRECT_TO_POOL": "redirect_pool_id",
            "REDIRECT_PREFIX": "redirect_prefix",
        }
        if action in needs and not attrs.get(needs[action]):
            raise validation(f"An action of {action} requires a {needs[action]}.")
        if action == "REDIRECT_TO_POOL":
            pool = self.o.store["pools"].get(attrs["redirect_pool_id"])
            if pool is None or pool["_lb"] != lb_id:
                raise ApiError(404, f"Pool {attrs['redirect_pool_id']} not found.")
        code = attrs.get("redirect_http_code")
        if code is not None:
            if action not in ("REDIRECT_TO_URL", "REDIRECT_PREFIX"):
                raise validation(
                    f"redirect_http_code is only valid for REDIRECT_TO_URL and REDIRECT_PREFIX "
                    f"actions, not {action}."
                )
            if code not in REDIRECT_CODES:
                raise ApiError(
                    400,
                    f"Invalid input for field/attribute redirect_http_code. Value: '{code}'. "
                    f"Value should be one of: {', '.join(map(str, REDIRECT_CODES))}",
                )
        elif action in ("REDIRECT_TO_URL", "REDIRECT_PREFIX"):
            attrs["redirect_http_code"] = 302

    def update_policy(self, auth: Auth, ident: str, changes: dict[str, Any]) -> dict[str, Any]:
        policy = self.o.get("l7policies", ident, auth)
        lb = self.o.require_mutable_child(policy["_lb"])
        self._check_action(lb["id"], {**policy, **changes})
        policy.update(changes)
        self.o.mark(policy, P.PENDING_UPDATE)
        self.o.start(lb, Operation.CHILD_UPDATE, (self.o.store["listeners"][policy["listener_id"]],))
        return policy

    def delete_policy(self, auth: Auth, ident: str) -> None:
        policy = self.o.get("l7policies", ident, auth)
        lb = self.o.require_mutable_child(policy["_lb"])
        self.c._delete_policy_tree(lb["id"], policy)
        self.o.start(lb, Operation.CHILD_DELETE, (self.o.store["listeners"][policy["listener_id"]],))

    # ---- L7 rules --------------------------------------------------------------------------------
    def create_rule(
        self, auth: Auth, policy_id: str, attrs: dict[str, Any], nested: bool = False
    ) -> dict[str, Any]:
        policy = self.o.get("l7policies", policy_id, auth)
        lb = self.o.get("loadbalancers", policy["_lb"])
        if not nested:
            self.o.require_mutable_child(lb["id"])
        rules = [r for r in self.o.children(lb["id"], "l7rules") if r["_policy"] == policy_id]
        if len(rules) >= MAX_RULES:
            raise ApiError(409, f"Too many rules on L7 policy {policy_id}")
        if attrs["type"] in ("HEADER", "COOKIE", "SSL_DN_FIELD") and not attrs.get("key"):
            raise validation(f"L7rule type {attrs['type']} needs a key.")
        attrs.update(project_id=lb["project_id"], _policy=policy_id)
        self.c._begin(
            lb,
            nested,
            "l7rules",
            lb["project_id"],
            Operation.CHILD_CREATE,
            (policy, self.o.store["listeners"][policy["listener_id"]]),
        )
        return self.o.new("l7rules", attrs, lb["id"])

    def rule_of(self, auth: Auth, policy_id: str, rule_id: str) -> dict[str, Any]:
        self.o.get("l7policies", policy_id, auth)
        rule = self.o.get("l7rules", rule_id, auth)
        if rule["_policy"] != policy_id:
            raise ApiError(404, f"L7 Rule {rule_id} not found.")
        return rule

    def update_rule(self, auth: Auth, policy_id: str, ident: str, changes: dict[str, Any]) -> dict[str, Any]:
        rule = self.rule_of(auth, policy_id, ident)
        lb = self.o.require_mutable_child(rule["_lb"])
        rule.update(changes)
        self.o.mark(rule, P.PENDING_UPDATE)
        self.o.start(lb, Operation.CHILD_UPDATE, (self.o.store["l7policies"][policy_id],))
        return rule

    def delete_rule(self, auth: Auth, policy_id: str, ident: str) -> None:
        rule = self.rule_of(auth, policy_id, ident)
        lb = self.o.require_mutable_child(rule["_lb"])
        self.o.mark(rule, P.PENDING_DELETE)
        self.o.start(lb, Operation.CHILD_DELETE, (self.o.store["l7policies"][policy_id],))
