"""The Neutron security group of a Service's NodePorts (cloud.conf `manage-security-groups = true`).

As OCCM does (occm-semantics §5.7): one group per Service, `lb-sg-<uid>-<ns>-<name>`, holding exactly one
ingress rule per NodePort (and the health-check NodePort) from the member subnet's CIDR (each family's, for
a dual-stack Service), or from each source range on `ovn`, whose load balancers do not filter by listener
CIDR; every other rule, the defaults Neutron adds to a new group included, is deleted. The group is put on
the Neutron port of every member node (the server's port with port security on that holds the member
address) and taken off ports of nodes that left. When the Service goes, the group is taken off every port
and deleted.

`wanted_rules` is pure; `SecurityGroups` does the Neutron calls, each one idempotent, so a run that
fails half-way is finished by the next.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from octavia_lb.common import naming
from octavia_lb.common.model import OVN, DesiredService, NodeView
from octavia_lb.worker.cloud.errors import PermanentError, ReconcileError
from octavia_lb.worker.cloud.features import server_id
from octavia_lb.worker.cloud.gateway import Gateway
from octavia_lb.worker.cloud.observed import OsPort, OsSecurityGroup, OsSecurityRule

log = logging.getLogger(__name__)


@dataclass(frozen=True, order=True)
class Rule:
    """What OCCM compares rules on: direction, protocol (any case), ethertype, remote prefix, port range."""

    protocol: str
    port: int
    remote_ip_prefix: str
    ethertype: str
    direction: str = "ingress"

    def body(self, group_id: str) -> dict[str, Any]:
        return {
            "security_group_id": group_id,
            "direction": self.direction,
            "protocol": self.protocol,
            "ethertype": self.ethertype,
            "port_range_min": self.port,
            "port_range_max": self.port,
            "remote_ip_prefix": self.remote_ip_prefix,
        }


def ethertype(cidr: str) -> str:
    return "IPv6" if ipaddress.ip_network(cidr, strict=False).version == 6 else "IPv4"


def wanted_rules(
    node_ports: Iterable[tuple[str, int]], sources: Iterable[str], health_port: int = 0, member_cidr: str = ""
) -> frozenset[Rule]:
    """One ingress rule per (protocol, NodePort) and source CIDR, plus TCP to the health-check NodePort from
    the member subnet (as OCCM: the health checks come from the load balancer, whatever the sources).

    NodePort 0 (allocateLoadBalancerNodePorts: false) opens nothing.
    """
    ports = {(protocol.lower(), port) for protocol, port in node_ports if port}
    rules = {Rule(protocol, port, cidr, ethertype(cidr)) for protocol, port in ports for cidr in sources}
    if health_port and member_cidr:
        rules.add(Rule("tcp", health_port, member_cidr, ethertype(member_cidr)))
    return frozenset(rules)


def rule_of(observed: OsSecurityRule) -> Rule | None:
    """The comparable form of a Neutron rule, or None for one we would never create (always deleted)."""
    low, high = observed.port_range_min, observed.port_range_max
    if (
        observed.protocol is None
        or observed.remote_ip_prefix is None
        or observed.remote_group_id
        or low is None
        or low != high
    ):
        return None
    return Rule(
        observed.protocol.lower(), low, observed.remote_ip_prefix, observed.ethertype, observed.direction
    )


def rule_changes(wanted: frozenset[Rule], observed: Sequence[OsSecurityRule]) -> tuple[list[Rule], list[str]]:
    """(rules to create, ids of rules to delete)."""
    have: dict[Rule, str] = {}
    stale: list[str] = []
    for rule in observed:
        key = rule_of(rule)
        if key is None or key not in wanted or key in have:
            stale.append(rule.id)
        else:
            have[key] = rule.id
    return sorted(wanted - set(have)), stale


def member_ports(ports: Sequence[OsPort], address: str, subnet_id: str | None) -> list[OsPort]:
    """A node's ports that carry its member address (on the member subnet, when one is set) and can hold
    a security group (port security on)."""
    return [
        port
        for port in ports
        if port.port_security_enabled
        and any(ip == address and (not subnet_id or subnet == subnet_id) for subnet, ip in port.addresses)
    ]


@contextmanager
def _explained(prefix: str) -> Iterator[None]:
    """Re-raise a failed call with `prefix` in front of its message (and its kind kept, for the retry)."""
    try:
        yield
    except ReconcileError as exc:
        raise type(exc)(f"{prefix}: {exc.message}") from exc


class SecurityGroups:
    """Neutron calls for one Service's security group."""

    def __init__(self, gateway: Gateway, service: Mapping[str, Any], cluster: str) -> None:
        meta = service["metadata"]
        self.gateway = gateway
        self.service = service
        self.key = f"{meta['namespace']}/{meta['name']}"
        self.name = naming.security_group_name(meta.get("uid", ""), meta["namespace"], meta["name"])
        self.description = naming.security_group_description(cluster, meta["namespace"], meta["name"])

    @dataclass(frozen=True)
    class Place:
        """The load balancer's VIP subnet and provider, and the Service's source ranges."""

        vip_subnet_id: str
        provider: str
        source_ranges: Sequence[str]

    def ensure(self, want: DesiredService, nodes: Sequence[NodeView], place: Place) -> None:
        with _explained(f"failed when reconciling security groups for LB service {self.key}"):
            members = [m for listener in want.listeners for m in listener.pool.members]
            subnet_id = next((m.subnet_id for m in members if m.subnet_id), None) or place.vip_subnet_id
            # a dual-stack Service's members sit on a subnet of each family: open the NodePorts from both
            subnets = list(dict.fromkeys([subnet_id, *(m.subnet_id for m in members if m.subnet_id)]))
            cidrs: list[str] = []
            for subnet in subnets:
                cidr = self.gateway.subnet_cidr(subnet) if subnet else None
                if cidr is None:
                    raise PermanentError(
                        f"cannot find the member subnet {subnet!r} to open the NodePorts from"
                    )
                cidrs.append(cidr)
            ports = (self.service.get("spec") or {}).get("ports") or ()
            node_ports = [(p.get("protocol") or "TCP", int(p.get("nodePort") or 0)) for p in ports]
            # OCCM opens spec.healthCheckNodePort whenever it is set, whatever the monitor type
            health_port = int((self.service.get("spec") or {}).get("healthCheckNodePort") or 0)
            sources = list(place.source_ranges) if place.provider == OVN and place.source_ranges else cidrs
            group = self.gateway.find_security_group(self.name) or self._create()
            wanted = frozenset().union(*(wanted_rules(node_ports, sources, health_port, c) for c in cidrs))
            create, delete = rule_changes(wanted, group.rules)
            for rule in create:
                self.gateway.create_security_group_rule(rule.body(group.id))
            for rule_id in delete:
                self.gateway.delete_security_group_rule(rule_id)
            on = {m.address: m.subnet_id or subnet_id for m in members}
            holders = [(n, a, on[a]) for n in nodes for _, a in n.addresses if a in on]  # serial names differ
            self._attach(group.id, holders)

    def _create(self) -> OsSecurityGroup:
        log.info("%s: create security group %s", self.key, self.name)
        return self.gateway.create_security_group(self.name, self.description)

    def _attach(self, group_id: str, members: list[tuple[NodeView, str, str]]) -> None:
        wanted: set[str] = set()
        for node, address, subnet_id in members:
            server = server_id(node.provider_id)
            ports = self.gateway.ports(device_id=server) if server else []
            for port in member_ports(ports, address, subnet_id):
                wanted.add(port.id)
                if group_id not in port.security_groups:
                    self.gateway.set_port_security_groups(port.id, [*port.security_groups, group_id])
        for port in self.gateway.ports(security_groups=[group_id]):
            if port.id not in wanted:  # its node left, or no longer holds the member address
                self._detach(port, group_id)

    def _detach(self, port: OsPort, group_id: str) -> None:
        self.gateway.set_port_security_groups(port.id, [g for g in port.security_groups if g != group_id])

    def delete(self) -> None:
        """Off every port, then gone; nothing to do when it does not exist."""
        with _explained(f"failed to delete security group {self.name}"):
            group = self.gateway.find_security_group(self.name)
            if group is None:
                return
            for port in self.gateway.ports(security_groups=[group.id]):
                self._detach(port, group.id)
            log.info("%s: delete security group %s", self.key, self.name)
            self.gateway.delete_security_group(group.id)
