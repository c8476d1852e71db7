"""The seed's `loadbalancers` section: load balancers that exist before anyone calls the Octavia API.

They stand for load balancers made outside the cluster (by hand, by another tool) that Services attach to by
id. Each entry is parsed and every reference resolved before anything is created, so a bad entry leaves no
half-made VIP port behind; the load balancer then gets its VIP port from the subnet like a normal create,
is ACTIVE/ONLINE at once, and may get a floating IP on its VIP port (which needs a router between the VIP
subnet and the floating network, so seed networks and routers first).

    loadbalancers:
      - id: 2b224530-9414-4302-8163-5abebdcdc84f     # required, a UUID
        name: shared-by-hand                          # required
        vip_subnet_id: k8s-nodes-subnet               # required, a seeded subnet's id or name
        vip_address: 10.0.1.50                        # optional, else allocated
        tags: [by-hand]                               # optional
        provider: amphora                             # optional
        flavor_id: small                              # optional, a seeded flavor's id or name
        project: admin                                # optional, the owner (default admin)
        floating_ip: {network_id: ext-net, address: 122.112.219.50}   # optional
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from typing import Any

from octavia_lb_devkit.sim.errors import ApiError
from octavia_lb_devkit.sim.http import Auth
from octavia_lb_devkit.sim.neutron import ipam
from octavia_lb_devkit.sim.neutron.l3 import L3
from octavia_lb_devkit.sim.neutron.store import Neutron
from octavia_lb_devkit.sim.octavia.lbs import PROVIDERS, LoadBalancers

LB_FIELDS = (
    "id",
    "name",
    "description",
    "vip_subnet_id",
    "vip_address",
    "tags",
    "provider",
    "flavor_id",
    "project",
    "floating_ip",
)
FIP_FIELDS = ("network_id", "floating_network_id", "address")


def problem(where: str, message: str) -> ApiError:
    return ApiError(400, f"seed: {where}: {message}")


@dataclass(frozen=True)
class SeedFloatingIp:
    network: str  # id or name of an external network
    address: str | None


@dataclass(frozen=True)
class SeedLoadBalancer:
    where: str  # "loadbalancers[<i>]", the prefix of every message about this entry
    id: str
    name: str
    description: str
    vip_subnet: str  # id or name of a seeded subnet
    vip_address: str | None
    tags: tuple[str, ...]
    provider: str | None
    flavor: str | None  # id or name of a seeded flavor
    project: str | None
    floating_ip: SeedFloatingIp | None


def parse_section(raw: Any) -> list[SeedLoadBalancer]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise problem("loadbalancers", f"must be a list of load balancers, got {type(raw).__name__}")
    specs = [parse_entry(item, f"loadbalancers[{index}]") for index, item in enumerate(raw)]
    seen: dict[str, str] = {}
    for spec in specs:
        if spec.id in seen:
            raise problem(f"{spec.where}.id", f"{spec.id!r} is already used by {seen[spec.id]}")
        seen[spec.id] = spec.where
    return specs


def parse_entry(raw: Any, where: str) -> SeedLoadBalancer:
    if not isinstance(raw, dict):
        raise problem(where, f"must be a mapping of fields, got {type(raw).__name__} {raw!r}")
    _known(raw, LB_FIELDS, where)
    address = _optional_text(raw, "vip_address", where)
    if address is not None:
        _ip(address, f"{where}.vip_address")
    return SeedLoadBalancer(
        where=where,
        id=_uuid(_text(raw, "id", where), f"{where}.id"),
        name=_text(raw, "name", where),
        description=_optional_text(raw, "description", where) or "",
        vip_subnet=_text(raw, "vip_subnet_id", where),
        vip_address=address,
        tags=_tags(raw.get("tags"), f"{where}.tags"),
        provider=_optional_text(raw, "provider", where),
        flavor=_optional_text(raw, "flavor_id", where),
        project=_optional_text(raw, "project", where),
        floating_ip=_floating_ip(raw.get("floating_ip"), f"{where}.floating_ip"),
    )


def _known(raw: dict[str, Any], fields: tuple[str, ...], where: str) -> None:
    unknown = sorted(str(key) for key in set(raw) - set(fields))
    if unknown:
        raise problem(where, f"unknown field(s) {unknown}; expected some of {list(fields)}")


def _text(raw: dict[str, Any], key: str, where: str) -> str:
    if key not in raw or raw[key] is None:
        raise problem(f"{where}.{key}", "missing; it is required")
    value = raw[key]
    if not isinstance(value, str) or not value.strip():
        raise problem(f"{where}.{key}", f"{value!r} must be a non-empty string")
    return value


def _optional_text(raw: dict[str, Any], key: str, where: str) -> str | None:
    return None if raw.get(key) is None else _text(raw, key, where)


def _uuid(value: str, where: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise problem(where, f"{value!r} must be a UUID like 2b224530-9414-4302-8163-5abebdcdc84f") from None


def _ip(value: str, where: str) -> None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise problem(where, f"{value!r} must be an IP address") from None


def _tags(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(tag, str) and tag for tag in raw):
        raise problem(where, f"{raw!r} must be a list of non-empty strings")
    return tuple(raw)


def _floating_ip(raw: Any, where: str) -> SeedFloatingIp | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise problem(where, f"must be a mapping like {{network_id: ext-net}}, got {raw!r}")
    _known(raw, FIP_FIELDS, where)
    if "network_id" in raw and "floating_network_id" in raw:
        raise problem(where, "give network_id or floating_network_id, not both")
    key = "network_id" if "network_id" in raw else "floating_network_id"
    if key not in raw:
        raise problem(f"{where}.network_id", "missing; name the external network (id or name)")
    address = _optional_text(raw, "address", where)
    if address is not None:
        _ip(address, f"{where}.address")
    return SeedFloatingIp(_text(raw, key, where), address)


class LoadBalancerSeeder:
    """Creates parsed entries: resolve every name first, then the load balancer, then its floating IP."""

    def __init__(self, neutron: Neutron, l3: L3, lbs: LoadBalancers) -> None:
        self.net, self.l3, self.lbs = neutron, l3, lbs

    def apply(self, spec: SeedLoadBalancer, auth: Auth) -> dict[str, Any]:
        existing = self.lbs.o.store["loadbalancers"].get(spec.id)
        if existing is not None:
            raise problem(f"{spec.where}.id", f"{spec.id!r} is already load balancer {existing['name']!r}")
        body = self._body(spec, auth)
        network = self._fip_network(spec)
        try:
            lb = self.lbs.create_existing(auth, spec.id, body)
        except ApiError as exc:
            raise problem(spec.where, exc.message) from exc
        if spec.floating_ip is not None and network is not None:
            self._attach_fip(spec, spec.floating_ip, network, lb, auth)
        return lb

    def _body(self, spec: SeedLoadBalancer, auth: Auth) -> dict[str, Any]:
        subnet = self._subnet(spec)
        body: dict[str, Any] = {
            "name": spec.name,
            "description": spec.description,
            "vip_subnet_id": subnet["id"],
            "project_id": auth.project_id,
        }
        if spec.vip_address is not None:
            if not ipam.contains(subnet["cidr"], spec.vip_address):
                raise problem(
                    f"{spec.where}.vip_address",
                    f"{spec.vip_address!r} is not in subnet {subnet['name']!r} ({subnet['cidr']})",
                )
            body["vip_address"] = spec.vip_address
        if spec.tags:
            body["tags"] = list(spec.tags)
        if spec.provider is not None:
            if spec.provider not in PROVIDERS:
                raise problem(
                    f"{spec.where}.provider", f"{spec.provider!r} must be one of {', '.join(PROVIDERS)}"
                )
            body["provider"] = spec.provider
        if spec.flavor is not None:
            body["flavor_id"] = self._flavor(spec)
        return body

    def _subnet(self, spec: SeedLoadBalancer) -> dict[str, Any]:
        for subnet in self.net.store["subnets"].values():
            if spec.vip_subnet in (subnet["id"], subnet["name"]):
                return subnet
        raise problem(
            f"{spec.where}.vip_subnet_id",
            f"{spec.vip_subnet!r} is not a defined subnet; seed it in 'networks' first",
        )

    def _flavor(self, spec: SeedLoadBalancer) -> str:
        for flavor in self.lbs.o.store["flavors"].values():
            if spec.flavor in (flavor["id"], flavor["name"]):
                return str(flavor["id"])
        raise problem(f"{spec.where}.flavor_id", f"{spec.flavor!r} is not a defined flavor (id or name)")

    def _fip_network(self, spec: SeedLoadBalancer) -> dict[str, Any] | None:
        if spec.floating_ip is None:
            return None
        wanted = spec.floating_ip.network
        for network in self.net.store["networks"].values():
            if wanted in (network["id"], network["name"]):
                if not network.get("router:external"):
                    raise problem(
                        f"{spec.where}.floating_ip.network_id",
                        f"{wanted!r} is not an external network (router:external is false)",
                    )
                return network
        raise problem(f"{spec.where}.floating_ip.network_id", f"{wanted!r} is not a defined network")

    def _attach_fip(
        self,
        spec: SeedLoadBalancer,
        fip: SeedFloatingIp,
        network: dict[str, Any],
        lb: dict[str, Any],
        auth: Auth,
    ) -> None:
        attrs: dict[str, Any] = {
            "floating_network_id": network["id"],
            "port_id": lb["vip_port_id"],
            "project_id": auth.project_id,
            "description": f"floating IP of load balancer {spec.name}",
            "qos_policy_id": None,
        }
        if fip.address is not None:
            attrs["floating_ip_address"] = fip.address
        try:
            made = self.l3.create_fip(auth, attrs)
        except ApiError as exc:
            self.lbs.o.remove_lb(lb)  # all or nothing: no load balancer without the floating IP asked for
            raise problem(f"{spec.where}.floating_ip", exc.message) from exc
        made["status"] = "ACTIVE"  # it existed before the simulator started: no activation delay
