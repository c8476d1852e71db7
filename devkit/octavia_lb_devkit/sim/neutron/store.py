"""Neutron's state and rules: networks, subnets, ports with IPAM, routers, floating IPs, security groups.

Objects are plain dicts (their API representation plus private `_` keys) kept per collection. Every method
takes the caller's `Auth` for project ownership and admin-only policy, and raises `ApiError` with the
exception type and message Neutron uses.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from typing import Any

from octavia_lb_devkit.sim.clock import Clock
from octavia_lb_devkit.sim.errors import ApiError, not_found_neutron
from octavia_lb_devkit.sim.http import Auth
from octavia_lb_devkit.sim.neutron import ipam
from octavia_lb_devkit.sim.neutron.schemas import QUOTA_DEFAULTS

KIND_NAMES = {
    "networks": "Network",
    "subnets": "Subnet",
    "ports": "Port",
    "routers": "Router",
    "floatingips": "FloatingIP",
    "security_groups": "SecurityGroup",
    "security_group_rules": "SecurityGroupRule",
}
QUOTA_OF = {
    "networks": "network",
    "subnets": "subnet",
    "ports": "port",
    "routers": "router",
    "floatingips": "floatingip",
    "security_groups": "security_group",
    "security_group_rules": "security_group_rule",
}
ROUTER_INTERFACE = "network:router_interface"
ROUTER_GATEWAY = "network:router_gateway"
FLOATINGIP_OWNER = "network:floatingip"


class Neutron:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.store: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in KIND_NAMES}
        self.quotas: dict[str, dict[str, int]] = {}
        self.used_ips: dict[str, set[str]] = {}
        self.last_ip: dict[str, str] = {}  # per subnet, where the next allocation starts looking
        self._seq = itertools.count()
        self.new_id: Callable[[], str] = lambda: str(uuid.uuid4())  # replaced by a seeded source
        self._macs = itertools.count(1)

    # ---- generic helpers -------------------------------------------------------------------------
    def new(self, kind: str, auth: Auth, attrs: dict[str, Any]) -> dict[str, Any]:
        project = attrs.pop("project_id", None) or attrs.pop("tenant_id", None) or auth.project_id
        attrs.pop("tenant_id", None)
        if project != auth.project_id and not auth.is_admin:
            raise ApiError(
                403, f"Not authorized to create {kind} for project {project}.", "PolicyNotAuthorized"
            )
        self.check_quota(kind, project)
        stamp = self.clock.neutron_stamp()
        item = {
            "id": self.new_id(),
            **attrs,
            "project_id": project,
            "tenant_id": project,
            "tags": sorted(set(attrs.get("tags") or [])),
            "created_at": stamp,
            "updated_at": stamp,
            "revision_number": 0,
            "_seq": next(self._seq),
        }
        self.store[kind][item["id"]] = item
        return item

    def visible(self, kind: str, item: dict[str, Any], auth: Auth) -> bool:
        if auth.is_admin or item["project_id"] == auth.project_id:
            return True
        if kind == "networks":
            return bool(item.get("shared") or item.get("router:external"))
        if kind == "subnets":
            return bool(self.store["networks"].get(item["network_id"], {}).get("shared"))
        return kind == "security_groups" and bool(item.get("shared"))

    def get(self, kind: str, ident: str, auth: Auth) -> dict[str, Any]:
        item = self.store[kind].get(ident)
        if item is None or not self.visible(kind, item, auth):
            raise not_found_neutron(KIND_NAMES[kind], ident)
        return item

    def listing(self, kind: str, auth: Auth) -> list[dict[str, Any]]:
        if kind == "security_groups":
            self.default_sg(auth.project_id)
        return [item for item in self.store[kind].values() if self.visible(kind, item, auth)]

    def owned(self, kind: str, ident: str, auth: Auth) -> dict[str, Any]:
        """For writes: visible is not enough, the caller must own the object (or be admin)."""
        item = self.get(kind, ident, auth)
        if not auth.is_admin and item["project_id"] != auth.project_id:
            raise ApiError(
                403, f"Not authorized to modify {KIND_NAMES[kind]} {ident}.", "PolicyNotAuthorized"
            )
        return item

    def touch(self, item: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        item.update(changes)
        item["updated_at"] = self.clock.neutron_stamp()
        item["revision_number"] += 1
        return item

    def quota_for(self, project: str) -> dict[str, int]:
        return {**QUOTA_DEFAULTS, **self.quotas.get(project, {})}

    def usage(self, kind: str, project: str) -> int:
        return sum(1 for item in self.store[kind].values() if item["project_id"] == project)

    def check_quota(self, kind: str, project: str) -> None:
        resource = QUOTA_OF[kind]
        limit = self.quota_for(project)[resource]
        if limit >= 0 and self.usage(kind, project) >= limit:
            raise ApiError(409, f"Quota exceeded for resources: ['{resource}'].", "OverQuota")

    # ---- networks and subnets --------------------------------------------------------------------
    def create_network(self, auth: Auth, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("router:external") and not auth.is_admin:
            raise ApiError(
                403,
                "(rule:create_network and rule:create_network:router:external) is disallowed by policy",
                "PolicyNotAuthorized",
            )
        network = self.new("networks", auth, attrs)
        network.update(
            {
                "status": "ACTIVE",
                "subnets": [],
                "availability_zones": ["nova"],
                "ipv4_address_scope": None,
                "ipv6_address_scope": None,
            }
        )
        return network

    def delete_network(self, auth: Auth, ident: str) -> None:
        network = self.owned("networks", ident, auth)
        in_use = [p for p in self.store["ports"].values() if p["network_id"] == ident]
        if in_use:
            raise ApiError(
                409,
                f"Unable to complete operation on network {ident}. There are one or more ports "
                "still in use on the network.",
                "NetworkInUse",
            )
        for subnet_id in list(network["subnets"]):
            self.store["subnets"].pop(subnet_id, None)
            self.used_ips.pop(subnet_id, None)
        del self.store["networks"][ident]

    def create_subnet(self, auth: Auth, attrs: dict[str, Any]) -> dict[str, Any]:
        network = self.get("networks", attrs["network_id"], auth)
        cidr = attrs.get("cidr")
        if not cidr:
            raise ApiError(
                400,
                "Bad subnets request: a cidr must be specified in the absence of a subnet pool.",
                "BadRequest",
            )
        version = ipam.network_of(cidr).version
        if attrs["ip_version"] != version:
            raise ApiError(
                400,
                f"Invalid input for operation: Cidr {cidr} does not match ip_version {attrs['ip_version']}.",
                "InvalidInput",
            )
        for other in network["subnets"]:
            other_cidr = self.store["subnets"][other]["cidr"]
            if ipam.overlaps(cidr, other_cidr):
                raise ApiError(
                    400,
                    f"Invalid input for operation: Requested subnet with cidr: {cidr} for "
                    f"network: {network['id']} overlaps with another subnet.",
                    "InvalidInput",
                )
        if "gateway_ip" not in attrs:
            attrs["gateway_ip"] = ipam.default_gateway(cidr)
        attrs["allocation_pools"] = self._pools(cidr, attrs.get("gateway_ip"), attrs.get("allocation_pools"))
        subnet = self.new("subnets", auth, attrs)
        subnet.setdefault("subnetpool_id", None)
        subnet["router:external"] = bool(network.get("router:external"))
        network["subnets"].append(subnet["id"])
        self.used_ips[subnet["id"]] = set()
        return subnet

    def _pools(self, cidr: str, gateway: str | None, pools: Any) -> list[dict[str, str]]:
        if pools is None:
            return ipam.default_pools(cidr, gateway)
        if not isinstance(pools, list) or not all(
            isinstance(p, dict) and {"start", "end"} <= set(p) for p in pools
        ):
            raise ApiError(
                400,
                f"Invalid input for allocation_pools. Reason: {pools!r} is not a list of "
                "{start, end} ranges.",
                "InvalidInput",
            )
        for pool in pools:
            if not (ipam.contains(cidr, pool["start"]) and ipam.contains(cidr, pool["end"])):
                raise ApiError(
                    400,
                    f"The allocation pool {pool['start']}-{pool['end']} spans beyond the subnet cidr {cidr}.",
                    "OutOfBoundsAllocationPool",
                )
        return [{"start": p["start"], "end": p["end"]} for p in pools]

    def delete_subnet(self, auth: Auth, ident: str) -> None:
        subnet = self.owned("subnets", ident, auth)
        users = [
            p
            for p in self.store["ports"].values()
            if any(ip["subnet_id"] == ident for ip in p["fixed_ips"])
            and p["device_owner"] != ROUTER_INTERFACE
        ]
        if users:
            raise ApiError(
                409,
                f"Unable to complete operation on subnet {ident}: One or more ports have an IP "
                "allocation from this subnet.",
                "SubnetInUse",
            )
        network = self.store["networks"][subnet["network_id"]]
        network["subnets"].remove(ident)
        self.used_ips.pop(ident, None)
        del self.store["subnets"][ident]

    # ---- ports -----------------------------------------------------------------------------------
    def create_port(self, auth: Auth, attrs: dict[str, Any]) -> dict[str, Any]:
        network = self.get("networks", attrs["network_id"], auth)
        self.check_quota("ports", attrs.get("project_id") or auth.project_id)
        wanted = attrs.pop("fixed_ips", None)
        fixed_ips = self._allocate(network, wanted)
        project = attrs.get("project_id") or auth.project_id
        if attrs.get("security_groups") is None:
            attrs["security_groups"] = (
                [self.default_sg(project)["id"]]
                if _gets_default_group(attrs.get("device_owner") or "")
                else []
            )
        if attrs.get("port_security_enabled") is None:
            attrs["port_security_enabled"] = bool(network.get("port_security_enabled", True))
        try:
            port = self.new("ports", auth, attrs)
        except ApiError:
            self._release(fixed_ips)
            raise
        port.update(
            {
                "fixed_ips": fixed_ips,
                "status": "DOWN",
                "mac_address": attrs.get("mac_address") or ipam.mac_address(next(self._macs)),
                "binding:vif_type": "unbound",
                "binding:vif_details": {},
                "dns_name": "",
                "dns_assignment": [],
            }
        )
        return port

    def _allocate(self, network: dict[str, Any], wanted: Any) -> list[dict[str, str]]:
        subnets = [self.store["subnets"][s] for s in network["subnets"]]
        if wanted is None:
            subnets.sort(key=lambda s: s["ip_version"])
            wanted = [{"subnet_id": subnets[0]["id"]}] if subnets else []
        if not isinstance(wanted, list) or not all(isinstance(w, dict) for w in wanted):
            raise ApiError(
                400,
                f"Invalid input for fixed_ips. Reason: {wanted!r} is not a list of "
                "{subnet_id, ip_address}.",
                "InvalidInput",
            )
        allocated: list[dict[str, str]] = []
        try:
            for spec in wanted:
                allocated.append(self._allocate_one(network, subnets, spec))
        except ApiError:
            self._release(allocated)
            raise
        return allocated

    def _allocate_one(
        self, network: dict[str, Any], subnets: list[dict[str, Any]], spec: dict[str, Any]
    ) -> dict[str, str]:
        address = spec.get("ip_address")
        subnet = next((s for s in subnets if s["id"] == spec.get("subnet_id")), None)
        if subnet is None and spec.get("subnet_id"):
            raise ApiError(
                400,
                f"Invalid input for operation: Failed to create port on network "
                f"{network['id']}, because fixed_ips included invalid subnet "
                f"{spec['subnet_id']}.",
                "InvalidInput",
            )
        if subnet is None:
            subnet = next((s for s in subnets if address and ipam.contains(s["cidr"], address)), None)
        if subnet is None:
            raise ApiError(
                400,
                f"Invalid input for operation: IP address {address} is not a valid IP for "
                "any subnet on the network.",
                "InvalidInput",
            )
        used = self.used_ips[subnet["id"]]
        if address:
            if not ipam.contains(subnet["cidr"], address):
                raise ApiError(
                    400,
                    f"IP address {address} is not a valid IP for the specified subnet.",
                    "InvalidIpForSubnet",
                )
            if address in used:
                raise ApiError(
                    409,
                    f"IP address {address} already allocated in subnet {subnet['id']}",
                    "IpAddressAlreadyAllocated",
                )
        else:
            address = ipam.next_free(subnet["allocation_pools"], used, self.last_ip.get(subnet["id"]))
            if address is None:
                raise ApiError(
                    409,
                    f"No more IP addresses available on network {network['id']}.",
                    "IpAddressGenerationFailure",
                )
        used.add(address)
        self.last_ip[subnet["id"]] = address
        return {"subnet_id": subnet["id"], "ip_address": address}

    def _release(self, fixed_ips: list[dict[str, str]]) -> None:
        for ip in fixed_ips:
            self.used_ips.get(ip["subnet_id"], set()).discard(ip["ip_address"])

    def update_port(self, auth: Auth, ident: str, changes: dict[str, Any]) -> dict[str, Any]:
        port = self.owned("ports", ident, auth)
        if changes.get("security_groups"):
            self._check_port_groups(auth, port, changes)
        if "fixed_ips" in changes:
            network = self.store["networks"][port["network_id"]]
            self._release(port["fixed_ips"])
            try:
                changes["fixed_ips"] = self._allocate(network, changes["fixed_ips"])
            except ApiError:
                for ip in port["fixed_ips"]:
                    self.used_ips[ip["subnet_id"]].add(ip["ip_address"])
                raise
        return self.touch(port, changes)

    def _check_port_groups(self, auth: Auth, port: dict[str, Any], changes: dict[str, Any]) -> None:
        for group_id in changes["security_groups"]:
            self.get("security_groups", group_id, auth)  # 404 SecurityGroupNotFound
        if not changes.get("port_security_enabled", port.get("port_security_enabled", True)):
            raise ApiError(
                409,
                f"Port {port['id']} does not have an IP address or port security is disabled: "
                "security groups cannot be applied.",
                "PortSecurityAndIPRequiredForSecurityGroups",
            )

    def delete_port(self, auth: Auth, ident: str, internal: bool = False) -> None:
        port = self.owned("ports", ident, auth)
        if not internal and port["device_owner"] in (ROUTER_INTERFACE, ROUTER_GATEWAY, FLOATINGIP_OWNER):
            raise ApiError(
                409,
                f"Port {ident} cannot be deleted directly via the port API: has device owner "
                f"{port['device_owner']}.",
                "ServicePortInUse",
            )
        for fip in self.store["floatingips"].values():
            if fip["port_id"] == ident:
                self._disassociate(fip)
        self._release(port["fixed_ips"])
        del self.store["ports"][ident]

    # ---- security groups -------------------------------------------------------------------------
    def default_sg(self, project: str) -> dict[str, Any]:
        for group in self.store["security_groups"].values():
            if group["project_id"] == project and group["name"] == "default":
                return group
        system = Auth("neutron", project, ("admin",))
        group = self.new(
            "security_groups",
            system,
            {"name": "default", "description": "Default security group", "stateful": True, "shared": False},
        )
        group["security_group_rules"] = []
        self._default_egress(system, group)
        return group

    def create_sg(self, auth: Auth, attrs: dict[str, Any]) -> dict[str, Any]:
        group = self.new("security_groups", auth, attrs)
        group["security_group_rules"] = []
        self._default_egress(auth, group)  # as Neutron does for every new group
        return group

    def _default_egress(self, auth: Auth, group: dict[str, Any]) -> None:
        for ethertype in ("IPv4", "IPv6"):
            self.create_rule(
                auth,
                {
                    "security_group_id": group["id"],
                    "direction": "egress",
                    "ethertype": ethertype,
                    "protocol": None,
                    "port_range_min": None,
                    "port_range_max": None,
                    "remote_ip_prefix": None,
                    "remote_group_id": None,
                    "remote_address_group_id": None,
                    "description": "",
                },
            )

    def create_rule(self, auth: Auth, attrs: dict[str, Any]) -> dict[str, Any]:
        group = self.get("security_groups", attrs["security_group_id"], auth)
        low, high = attrs.get("port_range_min"), attrs.get("port_range_max")
        if low is not None and high is not None and low > high:
            raise ApiError(
                400,
                "For TCP/UDP protocols, port_range_min must be <= port_range_max",
                "SecurityGroupInvalidPortRange",
            )
        key = (
            "direction",
            "ethertype",
            "protocol",
            "port_range_min",
            "port_range_max",
            "remote_ip_prefix",
            "remote_group_id",
        )
        for rule_id in group["security_group_rules"]:
            rule = self.store["security_group_rules"][rule_id]
            if all(rule.get(k) == attrs.get(k) for k in key):
                raise ApiError(
                    409,
                    f"Security group rule already exists. Rule id is {rule_id}.",
                    "SecurityGroupRuleExists",
                )
        rule = self.new("security_group_rules", auth, attrs)
        rule.pop("tags", None)
        group["security_group_rules"].append(rule["id"])
        return rule

    def delete_rule(self, auth: Auth, ident: str) -> None:
        rule = self.owned("security_group_rules", ident, auth)
        group = self.store["security_groups"].get(rule["security_group_id"])
        if group:
            group["security_group_rules"].remove(ident)
        del self.store["security_group_rules"][ident]

    def delete_sg(self, auth: Auth, ident: str) -> None:
        group = self.owned("security_groups", ident, auth)
        if any(ident in p["security_groups"] for p in self.store["ports"].values()):
            raise ApiError(409, f"Security Group {ident} in use.", "SecurityGroupInUse")
        for rule_id in list(group["security_group_rules"]):
            self.store["security_group_rules"].pop(rule_id, None)
        del self.store["security_groups"][ident]

    def render_sg(self, group: dict[str, Any]) -> dict[str, Any]:
        rules = [self.store["security_group_rules"][r] for r in group["security_group_rules"]]
        return {**group, "security_group_rules": rules}

    # Floating IPs and routers live in neutron_l3.py; port deletion still has to release a floating IP.
    def _disassociate(self, fip: dict[str, Any]) -> None:
        self.touch(
            fip,
            {
                "port_id": None,
                "fixed_ip_address": None,
                "router_id": None,
                "port_details": None,
                "status": "DOWN",
            },
        )


def _gets_default_group(device_owner: str) -> bool:
    """Neutron puts the project's default group on instance ports and plain ports, not on its own."""
    return device_owner == "" or device_owner.startswith("compute:")
