"""Octavia child objects: listeners, pools, members, health monitors, L7 policies and rules.

Each `create_*` validates Octavia's cross-field and cross-object rules, creates the object PENDING_CREATE and,
unless it is part of a fully-populated load balancer create (`nested`), starts the load balancer's update.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from octavia_lb_devkit.sim.errors import ApiError
from octavia_lb_devkit.sim.http import Auth
from octavia_lb_devkit.sim.neutron.store import Neutron
from octavia_lb_devkit.sim.octavia.schemas import PROTOCOL_SINCE
from octavia_lb_devkit.sim.octavia.states import Operation, Provisioning
from octavia_lb_devkit.sim.octavia.store import Octavia

P = Provisioning
L4 = {
    "HTTP": "TCP",
    "HTTPS": "TCP",
    "TERMINATED_HTTPS": "TCP",
    "TCP": "TCP",
    "PROMETHEUS": "TCP",
    "UDP": "UDP",
    "SCTP": "SCTP",
}
POOL_FOR_LISTENER = {
    "HTTP": {"HTTP", "PROXY", "PROXYV2"},
    "HTTPS": {"HTTPS", "PROXY", "PROXYV2", "TCP"},
    "TCP": {"HTTP", "HTTPS", "PROXY", "PROXYV2", "TCP"},
    "TERMINATED_HTTPS": {"HTTP", "PROXY", "PROXYV2"},
    "UDP": {"UDP"},
    "SCTP": {"SCTP"},
    "PROMETHEUS": set(),
}
HEADERS = {
    "X-Forwarded-For",
    "X-Forwarded-Port",
    "X-Forwarded-Proto",
    "X-Forwarded-IP",
    "X-Client-IP",
    "X-Real-IP",
}
SSL_HEADERS = {
    "X-SSL-Client-Verify",
    "X-SSL-Client-Has-Cert",
    "X-SSL-Client-DN",
    "X-SSL-Client-CN",
    "X-SSL-Issuer",
    "X-SSL-Client-SHA1",
    "X-SSL-Client-Not-Before",
    "X-SSL-Client-Not-After",
}
TLS_DEFAULTS = {
    "tls_versions": ["TLSv1.2", "TLSv1.3"],
    "alpn_protocols": ["h2", "http/1.1", "http/1.0"],
    "tls_ciphers": "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384",
}
TIMEOUT_DEFAULTS = {
    "timeout_client_data": 50000,
    "timeout_member_connect": 5000,
    "timeout_member_data": 50000,
    "timeout_tcp_inspect": 0,
}
CODES = re.compile(r"^\d{3}(\s*,\s*\d{3})*$|^\d{3}-\d{3}$")
MAX_RULES = 50


def validation(detail: str) -> ApiError:
    return ApiError(400, f"Validation failure: {detail}")


class Children:
    def __init__(self, octavia: Octavia, neutron: Neutron) -> None:
        self.o = octavia
        self.net = neutron

    def gate_value(self, field: str, value: str) -> None:
        since = PROTOCOL_SINCE.get(value)
        if since and not self.o.max_version.supports(since):
            raise ApiError(
                400,
                f"Invalid input for field/attribute {field}. Value: '{value}'. Value should be one "
                f"of the values supported by API version {self.o.max_version}",
            )

    def _begin(
        self,
        lb: dict[str, Any],
        nested: bool,
        kind: str,
        project: str,
        op: Operation,
        touched: tuple[dict[str, Any], ...],
    ) -> None:
        self.o.check_quota(kind, project)
        if not nested:
            self.o.start(lb, op, touched)

    # ---- listeners -------------------------------------------------------------------------------
    def create_listener(self, auth: Auth, attrs: dict[str, Any], nested: bool = False) -> dict[str, Any]:
        lb = self.o.get("loadbalancers", attrs["loadbalancer_id"], auth)
        if not nested:
            self.o.require_mutable_child(lb["id"])
        protocol, port = attrs["protocol"], attrs["protocol_port"]
        self.gate_value("protocol", protocol)
        for other in self.o.children(lb["id"], "listeners"):
            if (
                other["protocol_port"] == port
                and L4[other["protocol"]] == L4[protocol]
                and other["provisioning_status"] != P.PENDING_DELETE.value
            ):
                raise ApiError(
                    409,
                    f"Another Listener on this Load Balancer is already using protocol "
                    f"{protocol} and protocol_port {port}",
                )
        self._check_listener(lb, protocol, attrs)
        if attrs.get("default_pool_id"):
            self._check_default_pool(lb, protocol, attrs["default_pool_id"])
        for key, value in TLS_DEFAULTS.items():
            if key in attrs and attrs[key] is None and protocol == "TERMINATED_HTTPS":
                attrs[key] = value
        attrs.pop("default_pool", None)
        attrs.pop("l7policies", None)
        attrs["project_id"] = lb["project_id"]
        attrs.setdefault("client_ca_tls_container_ref", None)
        self._begin(lb, nested, "listeners", lb["project_id"], Operation.CHILD_CREATE, ())
        return self.o.new("listeners", attrs, lb["id"])

    def _check_listener(self, lb: dict[str, Any], protocol: str, attrs: dict[str, Any]) -> None:
        has_tls = bool(attrs.get("default_tls_container_ref") or attrs.get("sni_container_refs"))
        if protocol in ("UDP", "SCTP") and (has_tls or attrs.get("insert_headers")):
            raise (
                validation(f"{protocol} protocol listener does not support TLS.")
                if has_tls
                else ApiError(
                    400, f"insert-headers is not a valid option for a {protocol} protocol listener."
                )
            )
        if protocol == "TERMINATED_HTTPS" and not has_tls and "default_tls_container_ref" in attrs:
            raise validation(
                "An SNI or default certificate container reference must be provided for "
                "TERMINATED_HTTPS protocol listeners."
            )
        if protocol != "TERMINATED_HTTPS" and has_tls:
            raise validation(
                "Certificate container references are only allowed on TERMINATED_HTTPS protocol listeners."
            )
        headers = attrs.get("insert_headers") or {}
        if headers and protocol not in ("HTTP", "TERMINATED_HTTPS"):
            raise ApiError(400, f"insert-headers is not a valid option for a {protocol} protocol listener.")
        allowed = HEADERS | (SSL_HEADERS if protocol == "TERMINATED_HTTPS" else set())
        for name in headers:
            if name not in allowed:
                raise ApiError(400, f"{name} is not a valid option for insert_headers")
        if protocol != "TERMINATED_HTTPS" and (
            attrs.get("hsts_max_age") is not None
            or attrs.get("hsts_preload")
            or attrs.get("hsts_include_subdomains")
        ):
            raise validation(
                "The HSTS feature can only be used for listeners using the TERMINATED_HTTPS protocol."
            )
        self._check_cidrs(lb, attrs.get("allowed_cidrs"))

    def _check_cidrs(self, lb: dict[str, Any], cidrs: list[str] | None) -> None:
        versions = {ipaddress.ip_address(lb["vip_address"]).version} | {
            ipaddress.ip_address(v["ip_address"]).version for v in lb.get("additional_vips") or []
        }
        for cidr in cidrs or []:
            if ipaddress.ip_network(cidr).version not in versions:
                raise validation(
                    f"CIDR {cidr} IP version incompatible with all VIPs {lb['vip_address']} IP version."
                )

    def _check_default_pool(self, lb: dict[str, Any], protocol: str, pool_id: str) -> None:
        pool = self.o.store["pools"].get(pool_id)
        if pool is None or pool["_lb"] != lb["id"]:
            raise ApiError(404, f"Pool {pool_id} not found.")
        if pool["protocol"] not in POOL_FOR_LISTENER[protocol]:
            raise validation(
                f"The pool protocol '{pool['protocol']}' is invalid while the listener protocol is "
                f"'{protocol}'."
            )

    def update_listener(self, auth: Auth, ident: str, changes: dict[str, Any]) -> dict[str, Any]:
        listener = self.o.get("listeners", ident, auth)
        lb = self.o.require_mutable_child(listener["_lb"])
        merged = {**listener, **changes}
        self._check_listener(
            lb,
            listener["protocol"],
            {
                **changes,
                "insert_headers": merged.get("insert_headers"),
                "allowed_cidrs": merged.get("allowed_cidrs"),
            },
        )
        if changes.get("default_pool_id"):
            self._check_default_pool(lb, listener["protocol"], changes["default_pool_id"])
        for key, default in TIMEOUT_DEFAULTS.items():
            if key in changes and changes[key] is None:
                changes[key] = default  # Octavia resets a nulled timeout to its default
        listener.update(changes)
        self.o.mark(listener, P.PENDING_UPDATE)
        self.o.start(lb, Operation.CHILD_UPDATE)
        return listener

    def delete_listener(self, auth: Auth, ident: str) -> None:
        listener = self.o.get("listeners", ident, auth)
        lb = self.o.require_mutable_child(listener["_lb"])
        self.o.mark(listener, P.PENDING_DELETE)
        for policy in self.o.children(lb["id"], "l7policies"):
            if policy["listener_id"] == ident:
                self._delete_policy_tree(lb["id"], policy)
        self.o.start(lb, Operation.CHILD_DELETE)

    # ---- pools -----------------------------------------------------------------------------------
    def create_pool(
        self, auth: Auth, attrs: dict[str, Any], nested: bool = False, lb_id: str | None = None
    ) -> dict[str, Any]:
        listener = None
        self.gate_value("protocol", attrs["protocol"])
        self.gate_value("lb_algorithm", attrs["lb_algorithm"])
        if attrs.get("listener_id"):
            listener = self.o.get("listeners", attrs["listener_id"], auth)
            lb_id = listener["_lb"]
        lb_id = lb_id or attrs.get("loadbalancer_id")
        if not lb_id:
            raise validation("Must provide at least one of: loadbalancer_id, listener_id")
        if attrs.get("loadbalancer_id") and attrs["loadbalancer_id"] != lb_id:
            raise validation("The pool's loadbalancer_id does not match the listener's load balancer.")
        lb = self.o.get("loadbalancers", lb_id, auth)
        if not nested:
            self.o.require_mutable_child(lb_id)
        if listener is not None:
            if listener.get("default_pool_id"):
                raise ApiError(409, "This listener already has a default pool")
            if attrs["protocol"] not in POOL_FOR_LISTENER[listener["protocol"]]:
                raise validation(
                    f"The pool protocol '{attrs['protocol']}' is invalid while the listener protocol "
                    f"is '{listener['protocol']}'."
                )
        attrs["session_persistence"] = self._persistence(attrs.get("session_persistence"), attrs["protocol"])
        for key in ("members", "healthmonitor"):
            attrs.pop(key, None)
        # the answer lists `loadbalancers`/`listeners` instead of the ids given in the request
        attrs.pop("loadbalancer_id", None)
        attrs.pop("listener_id", None)
        attrs.update(project_id=lb["project_id"], healthmonitor_id=None)
        touched = (listener,) if listener else ()
        self._begin(lb, nested, "pools", lb["project_id"], Operation.CHILD_CREATE, touched)
        pool = self.o.new("pools", attrs, lb_id)
        if listener is not None:
            listener["default_pool_id"] = pool["id"]
        return pool

    def _persistence(self, value: Any, protocol: str) -> dict[str, Any] | None:
        if value is None:
            return None
        kinds = ("SOURCE_IP", "HTTP_COOKIE", "APP_COOKIE")
        if not isinstance(value, dict) or value.get("type") not in kinds:
            raise ApiError(
                400,
                f"Invalid input for field/attribute type. Value: "
                f"'{value.get('type') if isinstance(value, dict) else value}'. Value should be one "
                f"of: {', '.join(kinds)}",
            )
        if value["type"] == "APP_COOKIE" and not value.get("cookie_name"):
            raise validation("session_persistence cookie_name must be specified for APP_COOKIE type.")
        if value["type"] != "APP_COOKIE" and value.get("cookie_name"):
            raise validation("session_persistence cookie_name can only be specified for APP_COOKIE type.")
        if protocol not in ("UDP", "SCTP") and (
            "persistence_timeout" in value or "persistence_granularity" in value
        ):
            raise validation(
                "persistence_timeout and persistence_granularity are only for UDP and SCTP pools."
            )
        return {
            "type": value["type"],
            "cookie_name": value.get("cookie_name"),
            "persistence_timeout": value.get("persistence_timeout"),
            "persistence_granularity": value.get("persistence_granularity"),
        }

    def pool_listeners(self, pool: dict[str, Any]) -> tuple[dict[str, Any], ...]:
        return tuple(
            li for li in self.o.children(pool["_lb"], "listeners") if li.get("default_pool_id") == pool["id"]
        )

    def update_pool(self, auth: Auth, ident: str, changes: dict[str, Any]) -> dict[str, Any]:
        pool = self.o.get("pools", ident, auth)
        lb = self.o.require_mutable_child(pool["_lb"])
        if "session_persistence" in changes:
            changes["session_persistence"] = self._persistence(
                changes["session_persistence"], pool["protocol"]
            )
        if "lb_algorithm" in changes:
            self.gate_value("lb_algorithm", changes["lb_algorithm"])
        pool.update(changes)
        self.o.mark(pool, P.PENDING_UPDATE)
        self.o.start(lb, Operation.CHILD_UPDATE, self.pool_listeners(pool))
        return pool

    def delete_pool(self, auth: Auth, ident: str) -> None:
        pool = self.o.get("pools", ident, auth)
        lb = self.o.require_mutable_child(pool["_lb"])
        for policy in self.o.children(lb["id"], "l7policies"):
            if policy.get("redirect_pool_id") == ident:
                raise ApiError(409, f"Pool {ident} is in use by L7 policy {policy['id']}")
        for item in self.o.children(lb["id"], "members") + self.o.children(lb["id"], "healthmonitors"):
            if ident in (item.get("_pool"), item.get("_hm_pool")):
                self.o.mark(item, P.PENDING_DELETE)
        self.o.mark(pool, P.PENDING_DELETE)
        self.o.start(lb, Operation.CHILD_DELETE, self.pool_listeners(pool))

    # ---- members ---------------------------------------------------------------------------------
    def create_member(
        self, auth: Auth, pool_id: str, attrs: dict[str, Any], nested: bool = False
    ) -> dict[str, Any]:
        pool = self.o.get("pools", pool_id, auth)
        lb = self.o.get("loadbalancers", pool["_lb"])
        if not nested:
            self.o.require_mutable_child(lb["id"], pool)
        self._check_member(pool, attrs)
        attrs.update(
            project_id=lb["project_id"], operating_status="OFFLINE", vnic_type="normal", _pool=pool_id
        )
        self._begin(
            lb,
            nested,
            "members",
            lb["project_id"],
            Operation.CHILD_CREATE,
            (pool, *self.pool_listeners(pool)),
        )
        member = self.o.new("members", attrs, lb["id"])
        member["_pool"] = pool_id
        return member

    def _check_member(self, pool: dict[str, Any], attrs: dict[str, Any]) -> None:
        for other in self.o.children(pool["_lb"], "members"):
            if (
                other["_pool"] == pool["id"]
                and other["address"] == attrs["address"]
                and other["protocol_port"] == attrs["protocol_port"]
            ):
                raise ApiError(
                    409,
                    f"Another member on this pool is already using ip {attrs['address']} on "
                    f"protocol_port {attrs['protocol_port']}",
                )
        if attrs.get("subnet_id") and attrs["subnet_id"] not in self.net.store["subnets"]:
            raise ApiError(404, f"Subnet {attrs['subnet_id']} not found.")

    def member_of(self, auth: Auth, pool_id: str, member_id: str) -> dict[str, Any]:
        self.o.get("pools", pool_id, auth)
        member = self.o.get("members", member_id, auth)
        if member["_pool"] != pool_id:
            raise ApiError(404, f"Member {member_id} not found.")
        return member

    def update_member(self, auth: Auth, pool_id: str, ident: str, changes: dict[str, Any]) -> dict[str, Any]:
        member = self.member_of(auth, pool_id, ident)
        pool = self.o.store["pools"][pool_id]
        lb = self.o.require_mutable_child(member["_lb"], pool)
        member.update(changes)
        self.o.mark(member, P.PENDING_UPDATE)
        self.o.start(lb, Operation.CHILD_UPDATE, (pool, *self.pool_listeners(pool)))
        return member

    def delete_member(self, auth: Auth, pool_id: str, ident: str) -> None:
        member = self.member_of(auth, pool_id, ident)
        pool = self.o.store["pools"][pool_id]
        lb = self.o.require_mutable_child(member["_lb"], pool)
        self.o.mark(member, P.PENDING_DELETE)
        self.o.start(lb, Operation.CHILD_DELETE, (pool, *self.pool_listeners(pool)))

    def batch_members(self, auth: Auth, pool_id: str, wanted: list[dict[str, Any]], additive: bool) -> None:
        """PUT /pools/{id}/members: create absent, update present, delete unlisted (unless additive_only)."""
        pool = self.o.get("pools", pool_id, auth)
        lb = self.o.require_mutable_child(pool["_lb"], pool)
        keys = [(m["address"], m["protocol_port"]) for m in wanted]
        if len(set(keys)) != len(keys):
            raise validation("Member must be updated only once in the same request.")
        current = {
            (m["address"], m["protocol_port"]): m
            for m in self.o.children(lb["id"], "members")
            if m["_pool"] == pool_id
        }
        new = [m for m in wanted if (m["address"], m["protocol_port"]) not in current]
        for attrs in new:
            if attrs.get("subnet_id") and attrs["subnet_id"] not in self.net.store["subnets"]:
                raise ApiError(404, f"Subnet {attrs['subnet_id']} not found.")
        self.o.check_quota("members", lb["project_id"], len(new))
        changed = False
        for attrs in wanted:
            existing = current.get((attrs["address"], attrs["protocol_port"]))
            if existing is None:
                attrs.update(project_id=lb["project_id"], vnic_type="normal", _pool=pool_id)
                self.o.new("members", attrs, lb["id"])
                changed = True
            else:
                updates = {
                    k: v
                    for k, v in attrs.items()
                    if k
                    in (
                        "name",
                        "weight",
                        "admin_state_up",
                        "backup",
                        "monitor_address",
                        "monitor_port",
                        "tags",
                    )
                }
                if any(existing.get(k) != v for k, v in updates.items()):
                    existing.update(updates)
                    self.o.mark(existing, P.PENDING_UPDATE)
                    changed = True
        if not additive:
            for key, member in current.items():
                if key not in set(keys):
                    self.o.mark(member, P.PENDING_DELETE)
                    changed = True
        if changed:
            self.o.start(lb, Operation.CHILD_UPDATE, (pool, *self.pool_listeners(pool)))

    def _delete_policy_tree(self, lb_id: str, policy: dict[str, Any]) -> None:
        self.o.mark(policy, P.PENDING_DELETE)
        for rule in self.o.children(lb_id, "l7rules"):
            if rule["_policy"] == policy["id"]:
                self.o.mark(rule, P.PENDING_DELETE)
