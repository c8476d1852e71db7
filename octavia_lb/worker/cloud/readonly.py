"""A read-only stand-in for the Gateway, so `octavia-lb plan --live` can run the worker's own code.

Every method of `Gateway` is classified here: reads go to the real gateway; writes are recorded, answered
with what the cloud would answer (a made-up id), and never sent. Anything else — a method added to the
Gateway later and not classified — raises, so a new write cannot slip through by default.
`tests/unit/test_plan_readonly.py` keeps the classification equal to the Gateway's methods.

The Neutron side (floating IP, security group) reads between its planner's stages, so the preview runs the
worker's own `reconcile.floating_ip` / `reconcile.security_group` on this recorder: their steps go through
the worker's executor (`reconcile.apply.run_step`) into the recorded writes, which the preview reports. The
Octavia side is planned and simulated without a gateway (`preview.converge`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from octavia_lb.worker.cloud.observed import (
    FloatingIpId,
    OsFloatingIP,
    OsLoadBalancer,
    OsPort,
    OsSecurityGroup,
    OsSecurityRule,
)

READS = frozenset(
    {
        "provider",
        "features",
        "get_load_balancer",
        "find_load_balancers",
        "list_listeners",
        "list_pools",
        "list_members",
        "get_monitor",
        "floating_ips",
        "subnet_network",
        "subnet_placement",
        "family_subnets",
        "subnet_cidr",
        "subnets",
        "external_network",
        "subnet_of_address",
        "has_key_manager",
        "key_manager_get",
        "find_security_group",
        "ports",
        "list_all",  # the resync's bulk lists
        "neutron_list",
    }
)
WRITES = frozenset(
    {
        "create_load_balancer",
        "update_load_balancer",
        "delete_load_balancer",
        "create_listener",
        "update_listener",
        "delete_listener",
        "create_pool",
        "update_pool",
        "delete_pool",
        "replace_members",
        "create_member",
        "delete_member",
        "create_monitor",
        "update_monitor",
        "delete_monitor",
        "create_floating_ip",
        "attach_floating_ip",
        "delete_floating_ip",
        "create_security_group",
        "delete_security_group",
        "create_security_group_rule",
        "delete_security_group_rule",
        "set_port_security_groups",
    }
)
# Neutron gives every new security group these two rules; the worker deletes them, and so must the plan.
_DEFAULT_EGRESS = ("IPv4", "IPv6")


class ReadOnlyViolation(RuntimeError):
    """A Gateway method that is neither a known read nor a recorded write was called during a plan."""


@dataclass(frozen=True)
class Write:
    """A write the worker made on the recorder: the Gateway method and its arguments."""

    call: str
    args: tuple[Any, ...]


@dataclass
class Recorder:
    """Wraps a Gateway (or anything offering its reads); remembers what reads returned, to name things."""

    inner: Any
    writes: list[Write] = field(default_factory=list)
    seen_fips: dict[str, OsFloatingIP] = field(default_factory=dict)
    seen_ports: dict[str, OsPort] = field(default_factory=dict)
    seen_groups: dict[str, OsSecurityGroup] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle and friends probe for these: not Gateway methods
            raise AttributeError(name)
        if name in READS:
            value = getattr(self.inner, name)
            return self._remembering(name, value) if callable(value) else value
        if name in WRITES:
            return self._recording(name)
        raise ReadOnlyViolation(f"Gateway.{name} is not classified as a read or a write; refusing to call it")

    def _remembering(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def read(*args: Any, **kwargs: Any) -> Any:
            if name in ("ports", "floating_ips") and _made_up(args, kwargs):
                return []  # nothing exists yet on a port or group the plan itself would create
            result = method(*args, **kwargs)
            for item in result if isinstance(result, list) else [result]:
                if isinstance(item, OsFloatingIP):
                    self.seen_fips[item.id] = item
                elif isinstance(item, OsPort):
                    self.seen_ports[item.id] = item
                elif isinstance(item, OsSecurityGroup):
                    self.seen_groups[item.id] = item
            return result

        return read

    def _recording(self, name: str) -> Callable[..., Any]:
        def write(*args: Any) -> Any:
            self.writes.append(Write(name, args))
            answer = _ANSWERS[name](*args) if name in _ANSWERS else None
            if isinstance(answer, OsSecurityGroup):
                self.seen_groups[answer.id] = answer  # its default rules are deleted next, by id
            return answer

        return write


def is_made_up(value: Any) -> bool:
    """An id the plan invented for an object that does not exist yet."""
    return isinstance(value, str) and value.startswith("(")


def _made_up(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    values = [*args, *kwargs.values()]
    flat = [v for value in values for v in (value if isinstance(value, list | tuple) else [value])]
    return any(is_made_up(v) for v in flat)


def _new_lb(body: dict[str, Any]) -> OsLoadBalancer:
    return OsLoadBalancer.from_api(
        {**body, "id": "(new load balancer)", "provisioning_status": "PENDING_CREATE"}
    )


def _new_fip(body: dict[str, Any]) -> OsFloatingIP:
    address = body.get("floating_ip_address") or "(new floating IP)"
    return OsFloatingIP(
        FloatingIpId("(new floating IP)"),
        address,
        body.get("port_id"),
        body.get("floating_network_id") or "",
        body.get("description") or "",
    )


def _new_group(name: str, description: str) -> OsSecurityGroup:
    rules = tuple(
        OsSecurityRule(f"(default egress {family})", "egress", None, family, None, None, None, None)
        for family in _DEFAULT_EGRESS
    )
    return OsSecurityGroup("(new security group)", name, rules)


_ANSWERS: dict[str, Callable[..., Any]] = {
    "create_load_balancer": _new_lb,
    "create_floating_ip": _new_fip,
    "create_security_group": _new_group,
}
