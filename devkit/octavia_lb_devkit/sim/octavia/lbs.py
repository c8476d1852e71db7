"""Octavia load balancers: VIP allocation in Neutron, fully-populated create, update, delete, failover.

A fully-populated create reuses the child `create_*` functions in nested mode, so a single-call tree obeys
exactly the rules of the same objects created one by one; on any error the partial tree is rolled back.
"""

from __future__ import annotations

import uuid
from typing import Any

from octavia_lb_devkit.sim.errors import ApiError
from octavia_lb_devkit.sim.http import Auth
from octavia_lb_devkit.sim.neutron import ipam
from octavia_lb_devkit.sim.octavia.children import Children, validation
from octavia_lb_devkit.sim.octavia.hm_l7 import MonitorsAndPolicies
from octavia_lb_devkit.sim.octavia.schemas import (
    HEALTHMONITOR,
    L7POLICY,
    L7RULE,
    LISTENER,
    LOADBALANCER,
    MEMBER,
    POOL,
)
from octavia_lb_devkit.sim.octavia.states import Operation, Provisioning
from octavia_lb_devkit.sim.schema import Wording, validate

P = Provisioning
PROVIDERS = {
    "amphora": "The Octavia Amphora driver.",
    "octavia": "Deprecated alias of the Octavia Amphora driver.",
}
VIP_OWNER = "Octavia"


def _additional_specs(raw: Any) -> list[dict[str, str]]:
    """`additional_vips` as Octavia's AdditionalVipsType types it: a list of {subnet_id (UUID, mandatory),
    ip_address (IP, optional)}; WSME's message for anything else."""
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise _bad("additional_vips", raw, "Value should be a list.")
    specs = []
    for item in raw:
        subnet, address = item.get("subnet_id"), item.get("ip_address")
        if subnet is None:
            raise _bad("subnet_id", None, "Mandatory field missing.")
        try:
            uuid.UUID(str(subnet))
        except ValueError:
            raise _bad("subnet_id", subnet, "Value should be UUID format") from None
        if address is not None and not ipam.is_address(str(address)):
            raise _bad("ip_address", address, "Value should be IPv4 or IPv6 format")
        specs.append({"subnet_id": str(subnet), **({"ip_address": str(address)} if address else {})})
    return specs


def _as_additional(port: dict[str, Any], fixed_ips: list[dict[str, str]]) -> list[dict[str, str]]:
    """Octavia's AdditionalVip rendering of VIP-port fixed IPs after the first."""
    return [
        {"subnet_id": ip["subnet_id"], "ip_address": ip["ip_address"], "port_id": port["id"]}
        for ip in fixed_ips
    ]


def _bad(field: str, value: Any, reason: str) -> ApiError:
    return ApiError(400, f"Invalid input for field/attribute {field}. Value: '{value}'. {reason}")


class LoadBalancers:
    def __init__(self, children: Children, hm_l7: MonitorsAndPolicies) -> None:
        self.c = children
        self.x = hm_l7
        self.o = children.o
        self.net = children.net
        self.o.on_lb_deleted.append(self._release_vip)

    def _check(self, raw: Any, fields: tuple[Any, ...], wrapper: str) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise ApiError(
                400,
                f"Invalid input for field/attribute {wrapper}. Value: '{raw}'. Value should be an object.",
            )
        return validate(
            dict(raw), fields, wrapper=wrapper, wording=Wording.OCTAVIA, version=self.o.max_version
        )

    # ---- create ----------------------------------------------------------------------------------
    def create(self, auth: Auth, attrs: dict[str, Any]) -> dict[str, Any]:
        listeners, pools = attrs.pop("listeners", None), attrs.pop("pools", None)
        project = attrs.pop("project_id", None) or auth.project_id
        if project != auth.project_id and not auth.is_admin:
            raise ApiError(403, "Policy does not allow this request to be performed.")
        if attrs["provider"] not in PROVIDERS:
            raise ApiError(400, f"Provider '{attrs['provider']}' is not enabled.")
        self._check_flavor_and_zone(attrs)
        self.o.check_quota("loadbalancers", project)
        lb = self._record(self.o.new_id(), project, attrs)
        try:
            self._populate(auth, lb, listeners or [], pools or [])
        except ApiError:
            self.o.remove_lb(lb)
            raise
        self._amphorae(lb)
        self.o.start(lb, Operation.LB_CREATE)
        return lb

    def create_existing(self, auth: Auth, lb_id: str, raw: dict[str, Any]) -> dict[str, Any]:
        """A load balancer that is already built (the seed's): chosen id, ACTIVE/ONLINE, no build scheduled.

        It gets its VIP port and amphorae exactly as a created one does; no quota applies (it exists already).
        """
        attrs = self._check(raw, LOADBALANCER, "loadbalancer")
        project = attrs.pop("project_id", None) or auth.project_id
        if attrs["provider"] not in PROVIDERS:
            raise ApiError(400, f"Provider '{attrs['provider']}' is not enabled.")
        self._check_flavor_and_zone(attrs)
        lb = self._record(lb_id, project, attrs)
        self._amphorae(lb)
        lb["provisioning_status"] = P.ACTIVE.value
        self.o.derive_operating(lb)
        return lb

    def _record(self, lb_id: str, project: str, attrs: dict[str, Any]) -> dict[str, Any]:
        vip = self._vip(lb_id, project, attrs)
        return self.o.new(
            "loadbalancers",
            {
                "id": lb_id,
                **attrs,
                **vip,
                "project_id": project,
                "vip_vnic_type": attrs.get("vip_vnic_type") or "normal",
            },
        )

    def _check_flavor_and_zone(self, attrs: dict[str, Any]) -> None:
        flavor_id = attrs.get("flavor_id")
        if flavor_id:
            flavor = self.o.store["flavors"].get(flavor_id)
            if flavor is None:
                raise ApiError(400, f"Validation failure: Invalid flavor_id {flavor_id}.")
            if not flavor["enabled"]:
                raise ApiError(400, f"The selected flavor is not allowed in this deployment: {flavor_id}")
        zone = attrs.get("availability_zone")
        if zone:
            record = self.o.store["availabilityzones"].get(zone)
            if record is None:
                raise ApiError(400, f"Validation failure: Invalid availability zone {zone}.")
            if not record["enabled"]:
                raise ApiError(
                    400, f"The selected availability_zone is not allowed in this deployment: {zone}"
                )

    def _vip(self, lb_id: str, project: str, attrs: dict[str, Any]) -> dict[str, Any]:
        port_id, subnet_id = attrs.pop("vip_port_id", None), attrs.pop("vip_subnet_id", None)
        network_id, address = attrs.pop("vip_network_id", None), attrs.pop("vip_address", None)
        extra = _additional_specs(attrs.pop("additional_vips", None) or [])
        if port_id:
            port = self.net.store["ports"].get(port_id)
            if port is None or not port["fixed_ips"]:
                raise ApiError(400, f"Validation failure: Port {port_id} not found or has no fixed IP.")
            ip, *more = port["fixed_ips"]
            # a given port is used as it is (allocate_vip): its other fixed IPs become the additional VIPs
            return {
                "vip_port_id": port_id,
                "vip_address": ip["ip_address"],
                "vip_subnet_id": ip["subnet_id"],
                "vip_network_id": port["network_id"],
                "additional_vips": _as_additional(port, more),
            }
        subnet = self._vip_subnet(subnet_id, network_id, address)
        self._check_additional(subnet, extra)
        system = Auth("octavia", project, ("admin",))
        spec = {"subnet_id": subnet["id"], **({"ip_address": address} if address else {})}
        try:
            port = self.net.create_port(
                system,
                {
                    "network_id": subnet["network_id"],
                    # Octavia puts every VIP on the one VIP port: the primary first, then each additional
                    "fixed_ips": [spec, *extra],
                    "name": f"octavia-lb-{lb_id}",
                    "device_owner": VIP_OWNER,
                    "device_id": f"lb-{lb_id}",
                    "admin_state_up": False,
                    "security_groups": [],
                    "project_id": project,
                },
            )
        except ApiError as exc:
            if exc.kind == "IpAddressAlreadyAllocated":
                raise ApiError(409, f"The VIP IP address is already in use: {address}") from exc
            raise
        ip, *more = port["fixed_ips"]
        return {
            "vip_port_id": port["id"],
            "vip_address": ip["ip_address"],
            "vip_subnet_id": ip["subnet_id"],
            "vip_network_id": port["network_id"],
            "additional_vips": _as_additional(port, more),
        }

    def _check_additional(self, primary: dict[str, Any], extra: list[dict[str, str]]) -> None:
        """Octavia's multi-VIP rules (load_balancer.py _validate_subnets_share_network_but_no_duplicates):
        one VIP per subnet, every subnet on the primary VIP's network; families may be mixed."""
        seen = {primary["id"]}
        for spec in extra:
            if spec["subnet_id"] in seen:
                raise validation("Duplicate VIP subnet(s) specified. Only one IP can be bound per subnet.")
            seen.add(spec["subnet_id"])
        for spec in extra:
            subnet = self.net.store["subnets"].get(spec["subnet_id"])
            if subnet is None:
                raise validation(f"Subnet {spec['subnet_id']} not found")
            if subnet["network_id"] != primary["network_id"]:
                raise validation("All VIP subnets must belong to the same network.")
            if spec.get("ip_address") and not ipam.contains(subnet["cidr"], spec["ip_address"]):
                raise validation(f"VIP address {spec['ip_address']} is not in subnet {subnet['id']}.")

    def _vip_subnet(
        self, subnet_id: str | None, network_id: str | None, address: str | None
    ) -> dict[str, Any]:
        if subnet_id:
            subnet = self.net.store["subnets"].get(subnet_id)
            if subnet is None or (network_id and subnet["network_id"] != network_id):
                raise ApiError(400, f"Subnet {subnet_id} not found.")
        elif network_id:
            network = self.net.store["networks"].get(network_id)
            if network is None:
                raise ApiError(400, f"Network {network_id} not found.")
            subnets = sorted(
                (self.net.store["subnets"][s] for s in network["subnets"]), key=lambda s: s["ip_version"]
            )
            if address:
                subnets = [s for s in subnets if ipam.contains(s["cidr"], address)]
            if not subnets:
                raise validation("Supplied network does not contain a subnet.")
            subnet = subnets[0]
        else:
            raise validation("VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.")
        if address and not ipam.contains(subnet["cidr"], address):
            raise validation(f"VIP address {address} is not in subnet {subnet['id']}.")
        return subnet

    def _release_vip(self, lb: dict[str, Any]) -> None:
        port = self.net.store["ports"].get(lb["vip_port_id"])
        if port is not None and port["device_owner"] == VIP_OWNER:
            self.net.delete_port(Auth("octavia", port["project_id"], ("admin",)), port["id"], internal=True)

    def _amphorae(self, lb: dict[str, Any]) -> None:
        flavor = self.o.store["flavors"].get(lb.get("flavor_id") or "")
        profile = self.o.store["flavorprofiles"].get(flavor["flavor_profile_id"]) if flavor else None
        roles = (
            ["MASTER", "BACKUP"] if profile and "ACTIVE_STANDBY" in profile["flavor_data"] else ["STANDALONE"]
        )
        for index, role in enumerate(roles):
            amp_id = self.o.new_id()
            self.o.new(
                "amphorae",
                {
                    "id": amp_id,
                    "loadbalancer_id": lb["id"],
                    "compute_id": self.o.new_id(),
                    "lb_network_ip": f"192.168.0.{(self.o.rng.randrange(2, 250))}",
                    "vrrp_ip": None,
                    "ha_ip": lb["vip_address"],
                    "vrrp_port_id": None,
                    "ha_port_id": lb["vip_port_id"],
                    "cert_expiration": "2030-01-01T00:00:00",
                    "cert_busy": False,
                    "role": role,
                    "status": "ALLOCATED",
                    "vrrp_interface": None,
                    "vrrp_id": 1,
                    "vrrp_priority": 100 - index,
                    "cached_zone": "nova",
                    "image_id": self.o.new_id(),
                    "compute_flavor": self.o.new_id(),
                },
                lb["id"],
            )

    # ---- fully-populated create -----------------------------------------------------------------
    def _populate(self, auth: Auth, lb: dict[str, Any], listeners: Any, pools: Any) -> None:
        if not isinstance(listeners, list) or not isinstance(pools, list):
            raise ApiError(400, "Invalid input for field/attribute listeners. Value should be a list.")
        definitions: dict[str, dict[str, Any]] = {}
        for raw in pools:
            if not isinstance(raw, dict) or not raw.get("name"):
                raise validation("Pools must be named when creating a fully populated loadbalancer.")
            if raw["name"] in definitions:
                raise validation("Pool names must be unique when creating a fully populated loadbalancer.")
            definitions[raw["name"]] = raw
        created: dict[str, dict[str, Any]] = {}

        def pool_by_name(ref: Any) -> dict[str, Any]:
            name = ref.get("name") if isinstance(ref, dict) else None
            if isinstance(ref, dict) and set(ref) - {"name"}:
                return self._full_pool(auth, lb, ref)  # an inline, full definition
            if name not in definitions:
                raise validation(f"Pool '{name}' was referenced but no full definition was found.")
            if name not in created:
                created[name] = self._full_pool(auth, lb, definitions[name])
            return created[name]

        for raw in listeners:
            body = dict(raw) if isinstance(raw, dict) else raw
            default_ref = body.pop("default_pool", None) if isinstance(body, dict) else None
            policies = body.pop("l7policies", None) if isinstance(body, dict) else None
            if isinstance(body, dict):
                body["loadbalancer_id"] = lb["id"]
                if default_ref is not None:
                    body["default_pool_id"] = pool_by_name(default_ref)["id"]
            listener = self.c.create_listener(auth, self._check(body, LISTENER, "listener"), nested=True)
            for policy in policies or []:
                self._full_policy(auth, listener, policy, pool_by_name)
        for name in definitions:
            pool_by_name({"name": name})

    def _full_pool(
        self, auth: Auth, lb: dict[str, Any], raw: dict[str, Any], validated: bool = False
    ) -> dict[str, Any]:
        body = dict(raw)
        members, monitor = body.pop("members", None) or [], body.pop("healthmonitor", None)
        attrs = body if validated else self._check(body, POOL, "pool")
        pool = self.c.create_pool(auth, attrs, nested=True, lb_id=lb["id"])
        for member in members:
            self.c.create_member(auth, pool["id"], self._check(member, MEMBER, "member"), nested=True)
        if monitor is not None:
            hm = dict(monitor) if isinstance(monitor, dict) else monitor
            if isinstance(hm, dict):
                hm["pool_id"] = pool["id"]
            self.x.create_hm(auth, self._check(hm, HEALTHMONITOR, "healthmonitor"), nested=True)
        return pool

    def _full_policy(self, auth: Auth, listener: dict[str, Any], raw: Any, pool_by_name: Any) -> None:
        body = dict(raw) if isinstance(raw, dict) else {}
        rules = body.pop("rules", None) or []
        if "redirect_pool" in body:
            body["redirect_pool_id"] = pool_by_name(body.pop("redirect_pool"))["id"]
        body["listener_id"] = listener["id"]
        policy = self.x.create_policy(auth, self._check(body, L7POLICY, "l7policy"), nested=True)
        for rule in rules:
            self.x.create_rule(auth, policy["id"], self._check(rule, L7RULE, "rule"), nested=True)

    # ---- single-object creates that carry nested children ----------------------------------------
    def create_listener(self, auth: Auth, attrs: dict[str, Any]) -> dict[str, Any]:
        """POST /listeners, optionally with a nested `default_pool` and `l7policies`."""
        default_ref, policies = attrs.pop("default_pool", None), attrs.pop("l7policies", None)
        if default_ref is None and not policies:
            return self.c.create_listener(auth, attrs)
        lb = self.o.get("loadbalancers", attrs["loadbalancer_id"], auth)
        self.o.require_mutable_child(lb["id"])

        def build() -> dict[str, Any]:
            if default_ref is not None:
                attrs["default_pool_id"] = self._full_pool(auth, lb, self._definition(default_ref))["id"]
            listener = self.c.create_listener(auth, attrs, nested=True)
            for policy in policies or []:
                self._full_policy(
                    auth, listener, policy, lambda ref: self._full_pool(auth, lb, self._definition(ref))
                )
            return listener

        return self._nested(lb, build)

    def create_pool(self, auth: Auth, attrs: dict[str, Any]) -> dict[str, Any]:
        """POST /pools, optionally with nested `members` and a `healthmonitor`."""
        if attrs.get("members") is None and attrs.get("healthmonitor") is None:
            return self.c.create_pool(auth, attrs)
        owner = (
            self.o.get("listeners", attrs["listener_id"], auth)["_lb"] if attrs.get("listener_id") else None
        )
        lb = self.o.get("loadbalancers", owner or attrs.get("loadbalancer_id") or "", auth)
        self.o.require_mutable_child(lb["id"])
        return self._nested(lb, lambda: self._full_pool(auth, lb, attrs, validated=True))

    def create_policy(self, auth: Auth, attrs: dict[str, Any]) -> dict[str, Any]:
        """POST /l7policies, optionally with nested `rules`."""
        rules = attrs.pop("rules", None)
        if not rules:
            return self.x.create_policy(auth, attrs)
        lb = self.o.get("loadbalancers", self.o.get("listeners", attrs["listener_id"], auth)["_lb"])
        self.o.require_mutable_child(lb["id"])

        def build() -> dict[str, Any]:
            policy = self.x.create_policy(auth, attrs, nested=True)
            for rule in rules:
                self.x.create_rule(auth, policy["id"], self._check(rule, L7RULE, "rule"), nested=True)
            return policy

        return self._nested(lb, build)

    def _definition(self, ref: Any) -> dict[str, Any]:
        if not isinstance(ref, dict) or set(ref) <= {"name"}:
            raise validation("A nested pool needs its full definition (protocol and lb_algorithm) here.")
        return ref

    def _nested(self, lb: dict[str, Any], build: Any) -> dict[str, Any]:
        """Create a small tree in nested mode, undo it on error, then start one load balancer update."""
        before = set(self.o.by_lb.get(lb["id"], {}))
        try:
            made = build()
        except ApiError:
            for ident, item in list(self.o.by_lb.get(lb["id"], {}).items()):
                if ident not in before:
                    self.o.remove(item)
            raise
        self.o.start(
            lb, Operation.CHILD_CREATE, tuple(self.c.pool_listeners(made)) if made["_kind"] == "pools" else ()
        )
        return made

    # ---- update, delete, failover ----------------------------------------------------------------
    def update(self, auth: Auth, ident: str, changes: dict[str, Any]) -> dict[str, Any]:
        lb = self.o.get("loadbalancers", ident, auth)
        self.o.require_mutable_lb(lb)
        lb.update(changes)
        self.o.start(lb, Operation.LB_UPDATE)
        return lb

    def delete(self, auth: Auth, ident: str, cascade: bool) -> None:
        lb = self.o.get("loadbalancers", ident, auth)
        self.o.require_mutable_lb(lb, allow_error=True)
        tree = self.o.tree(ident)
        if tree and not cascade:
            raise validation(f"Cannot delete Load Balancer {ident} - it has children")
        for item in tree:
            self.o.mark(item, P.PENDING_DELETE)
        self.o.mark(lb, P.PENDING_DELETE)
        self.o.start(lb, Operation.LB_DELETE)

    def failover(self, auth: Auth, ident: str) -> None:
        if not auth.is_admin:
            raise ApiError(403, "Policy does not allow this request to be performed.")
        lb = self.o.get("loadbalancers", ident, auth)
        self.o.require_mutable_lb(lb, allow_error=True)
        self.o.start(lb, Operation.LB_FAILOVER)
