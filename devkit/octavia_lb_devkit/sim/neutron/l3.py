"""Neutron L3: routers (gateway, interfaces) and floating IPs with Neutron's association rules.

A floating IP can reach a port only through a router whose gateway is on the floating network and that has
an interface on the port's subnet; everything else gets the error Neutron gives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from octavia_lb_devkit.sim.clock import Scheduler
from octavia_lb_devkit.sim.errors import ApiError, not_found_neutron
from octavia_lb_devkit.sim.http import Auth
from octavia_lb_devkit.sim.neutron import ipam
from octavia_lb_devkit.sim.neutron.store import FLOATINGIP_OWNER, ROUTER_GATEWAY, ROUTER_INTERFACE, Neutron


class L3:
    def __init__(self, neutron: Neutron, scheduler: Scheduler, fip_delay: Callable[[], float]) -> None:
        self.net = neutron
        self.scheduler = scheduler
        self.fip_delay = fip_delay  # () -> seconds until an associated floating IP is ACTIVE

    # ---- routers ---------------------------------------------------------------------------------
    def create_router(self, auth: Auth, attrs: dict[str, Any]) -> dict[str, Any]:
        gateway = attrs.pop("external_gateway_info", None)
        router = self.net.new("routers", auth, attrs)
        router.update(
            {
                "status": "ACTIVE",
                "external_gateway_info": None,
                "availability_zones": ["nova"],
                "flavor_id": None,
            }
        )
        try:
            if gateway:
                self._set_gateway(auth, router, gateway)
        except ApiError:
            del self.net.store["routers"][router["id"]]
            raise
        return router

    def update_router(self, auth: Auth, ident: str, changes: dict[str, Any]) -> dict[str, Any]:
        router = self.net.owned("routers", ident, auth)
        if "external_gateway_info" in changes:
            gateway = changes.pop("external_gateway_info")
            self._clear_gateway(router)
            if gateway:
                self._set_gateway(auth, router, gateway)
        return self.net.touch(router, changes)

    def _set_gateway(self, auth: Auth, router: dict[str, Any], gateway: Any) -> None:
        if not isinstance(gateway, dict) or "network_id" not in gateway:
            raise ApiError(
                400,
                f"Invalid input for external_gateway_info. Reason: {gateway!r} must contain network_id.",
                "InvalidInput",
            )
        network = self.net.get("networks", gateway["network_id"], auth)
        if not network.get("router:external"):
            raise ApiError(
                400, f"Bad router request: Network {network['id']} is not an external network.", "BadRequest"
            )
        system = Auth("neutron", router["project_id"], ("admin",))
        port = self.net.create_port(
            system,
            {
                "network_id": network["id"],
                "device_owner": ROUTER_GATEWAY,
                "device_id": router["id"],
                "name": "",
                "admin_state_up": True,
                "fixed_ips": gateway.get("external_fixed_ips"),
            },
        )
        port["status"] = "ACTIVE"
        router["external_gateway_info"] = {
            "network_id": network["id"],
            "enable_snat": bool(gateway.get("enable_snat", True)),
            "external_fixed_ips": [dict(ip) for ip in port["fixed_ips"]],
        }

    def _clear_gateway(self, router: dict[str, Any]) -> None:
        for port in list(self.net.store["ports"].values()):
            if port["device_id"] == router["id"] and port["device_owner"] == ROUTER_GATEWAY:
                self.net.delete_port(
                    Auth("neutron", port["project_id"], ("admin",)), port["id"], internal=True
                )
        router["external_gateway_info"] = None

    def interfaces(self, router_id: str) -> list[dict[str, Any]]:
        return [
            p
            for p in self.net.store["ports"].values()
            if p["device_id"] == router_id and p["device_owner"] == ROUTER_INTERFACE
        ]

    def add_interface(self, auth: Auth, ident: str, body: Any) -> dict[str, Any]:
        router = self.net.owned("routers", ident, auth)
        body = body if isinstance(body, dict) else {}
        if "port_id" in body:
            port = self.net.owned("ports", body["port_id"], auth)
            if port["device_owner"]:
                raise ApiError(
                    409,
                    f"Port {port['id']} has owner {port['device_owner']} and therefore cannot be "
                    f"deleted directly via the port API.",
                    "PortInUse",
                )
            self.net.touch(port, {"device_owner": ROUTER_INTERFACE, "device_id": router["id"]})
        elif "subnet_id" in body:
            subnet = self.net.get("subnets", body["subnet_id"], auth)
            for existing in self.interfaces(ident):
                if any(ip["subnet_id"] == subnet["id"] for ip in existing["fixed_ips"]):
                    raise ApiError(
                        400,
                        f"Bad router request: Router already has a port on subnet {subnet['id']}.",
                        "BadRequest",
                    )
            port = self.net.create_port(
                auth,
                {
                    "network_id": subnet["network_id"],
                    "device_owner": ROUTER_INTERFACE,
                    "device_id": ident,
                    "name": "",
                    "fixed_ips": [{"subnet_id": subnet["id"], "ip_address": subnet["gateway_ip"]}],
                },
            )
        else:
            raise ApiError(
                400, "Bad router request: Either subnet_id or port_id must be specified.", "BadRequest"
            )
        port["status"] = "ACTIVE"
        return self._interface_info(router, port)

    def remove_interface(self, auth: Auth, ident: str, body: Any) -> dict[str, Any]:
        router = self.net.owned("routers", ident, auth)
        body = body if isinstance(body, dict) else {}
        port = next(
            (
                p
                for p in self.interfaces(ident)
                if p["id"] == body.get("port_id")
                or any(ip["subnet_id"] == body.get("subnet_id") for ip in p["fixed_ips"])
            ),
            None,
        )
        if port is None:
            wanted = body.get("subnet_id") or body.get("port_id")
            raise ApiError(
                404, f"Router {ident} does not have an interface with id {wanted}", "RouterInterfaceNotFound"
            )
        subnets = {ip["subnet_id"] for ip in port["fixed_ips"]}
        for fip in self.net.store["floatingips"].values():
            if fip["router_id"] == ident and self._port_subnet(fip) in subnets:
                raise ApiError(
                    409,
                    f"Router interface for subnet {next(iter(subnets))} on router {ident} cannot be "
                    "deleted, as it is required by one or more floating IPs.",
                    "RouterInterfaceInUseByFloatingIP",
                )
        info = self._interface_info(router, port)
        self.net.delete_port(auth, port["id"], internal=True)
        return info

    def _port_subnet(self, fip: dict[str, Any]) -> str | None:
        port = self.net.store["ports"].get(fip["port_id"] or "")
        if port is None:
            return None
        return next(
            (ip["subnet_id"] for ip in port["fixed_ips"] if ip["ip_address"] == fip["fixed_ip_address"]), None
        )

    def _interface_info(self, router: dict[str, Any], port: dict[str, Any]) -> dict[str, Any]:
        subnet_ids = [ip["subnet_id"] for ip in port["fixed_ips"]]
        return {
            "id": router["id"],
            "subnet_id": subnet_ids[0] if subnet_ids else None,
            "subnet_ids": subnet_ids,
            "port_id": port["id"],
            "network_id": port["network_id"],
            "project_id": router["project_id"],
            "tenant_id": router["project_id"],
            "tags": router["tags"],
        }

    def delete_router(self, auth: Auth, ident: str) -> None:
        router = self.net.owned("routers", ident, auth)
        if self.interfaces(ident):
            raise ApiError(409, f"Router {ident} still has ports", "RouterInUse")
        self._clear_gateway(router)
        del self.net.store["routers"][ident]

    # ---- floating IPs ----------------------------------------------------------------------------
    def create_fip(self, auth: Auth, attrs: dict[str, Any]) -> dict[str, Any]:
        network_id = attrs.pop("floating_network_id")
        network = self.net.store["networks"].get(network_id)
        if network is None:
            raise not_found_neutron("Network", network_id)
        if not network.get("router:external"):
            raise ApiError(
                400,
                f"Bad floatingip request: Network {network_id} is not a valid external network.",
                "BadRequest",
            )
        if attrs.get("floating_ip_address") and not auth.is_admin:
            raise ApiError(
                403,
                "(rule:create_floatingip and rule:create_floatingip:floating_ip_address) is "
                "disallowed by policy",
                "PolicyNotAuthorized",
            )
        subnet_id = attrs.pop("subnet_id", None)
        if subnet_id and subnet_id not in network["subnets"]:
            raise ApiError(
                400,
                f"Bad floatingip request: Subnet {subnet_id} is not part of network {network_id}.",
                "BadRequest",
            )
        project = attrs.get("project_id") or auth.project_id
        self.net.check_quota("floatingips", project)
        port_id, fixed = attrs.pop("port_id", None), attrs.pop("fixed_ip_address", None)
        target = self._association(auth, network_id, port_id, fixed, None) if port_id else None
        fip_port = self._fip_port(network, subnet_id, attrs.pop("floating_ip_address", None))
        attrs.update(
            {
                "floating_network_id": network_id,
                "floating_ip_address": fip_port["fixed_ips"][0]["ip_address"],
                "port_id": None,
                "fixed_ip_address": None,
                "router_id": None,
                "status": "DOWN",
                "port_details": None,
                "port_forwardings": [],
                "qos_network_policy_id": None,
                "dns_domain": "",
                "dns_name": "",
                "_port": fip_port["id"],
            }
        )
        fip = self.net.new("floatingips", auth, attrs)
        fip_port["device_id"] = fip["id"]
        if target:
            self._associate(fip, *target)
        return fip

    def _fip_port(
        self, network: dict[str, Any], subnet_id: str | None, address: str | None
    ) -> dict[str, Any]:
        subnets = [self.net.store["subnets"][s] for s in network["subnets"]]
        candidates = [s for s in subnets if (s["id"] == subnet_id if subnet_id else s["ip_version"] == 4)]
        spec: dict[str, str] = {}
        if address:
            spec["ip_address"] = address
            owner = next((s for s in candidates if ipam.contains(s["cidr"], address)), None)
            if owner is None:
                raise ApiError(
                    400,
                    f"Bad floatingip request: IP address {address} is not a valid IP for the "
                    "specified subnet.",
                    "BadRequest",
                )
            spec["subnet_id"] = owner["id"]
            if address in self.net.used_ips[owner["id"]]:
                raise ApiError(
                    409,
                    f"IP address {address} already allocated in subnet {owner['id']}",
                    "IpAddressAlreadyAllocated",
                )
        else:
            free = next((s for s in candidates if self._has_free(s)), None)
            if free is None:
                raise ApiError(
                    409,
                    f"No more IP addresses available on network {network['id']}.",
                    "IpAddressGenerationFailure",
                )
            spec["subnet_id"] = free["id"]
        system = Auth("neutron", network["project_id"], ("admin",))
        return self.net.create_port(
            system,
            {
                "network_id": network["id"],
                "device_owner": FLOATINGIP_OWNER,
                "device_id": "",
                "name": "",
                "fixed_ips": [spec],
                "security_groups": [],
            },
        )

    def _has_free(self, subnet: dict[str, Any]) -> bool:
        return ipam.next_free(subnet["allocation_pools"], self.net.used_ips[subnet["id"]]) is not None

    def _association(
        self, auth: Auth, network_id: str, port_id: str, fixed: str | None, fip_id: str | None
    ) -> tuple[dict[str, Any], str, str]:
        """(port, fixed IP, router id) for associating, or the error Neutron gives."""
        port = self.net.store["ports"].get(port_id)
        if port is None or not self.net.visible("ports", port, auth):
            raise not_found_neutron("Port", port_id)
        ips = port["fixed_ips"]
        if fixed is None:
            v4 = [ip for ip in ips if ":" not in ip["ip_address"]]
            if len(v4) != 1:
                raise ApiError(
                    400,
                    f"Bad floatingip request: Port {port_id} has multiple fixed IPv4 addresses. "
                    "Must provide a specific IPv4 address when assigning a floating IP.",
                    "BadRequest",
                )
            chosen = v4[0]
        else:
            chosen = next((ip for ip in ips if ip["ip_address"] == fixed), None)
            if chosen is None:
                raise ApiError(
                    400,
                    f"Bad floatingip request: Port {port_id} does not have fixed ip {fixed}.",
                    "BadRequest",
                )
        router_id = self._router_between(network_id, chosen["subnet_id"])
        if router_id is None:
            raise ApiError(
                404,
                f"External network {network_id} is not reachable from subnet "
                f"{chosen['subnet_id']}.  Therefore, cannot associate Port {port_id} with a "
                "Floating IP.",
                "ExternalGatewayForFloatingIPNotFound",
            )
        for other in self.net.store["floatingips"].values():
            if (
                other["id"] != fip_id
                and other["port_id"] == port_id
                and other["fixed_ip_address"] == chosen["ip_address"]
                and other["floating_network_id"] == network_id
            ):
                raise ApiError(
                    409,
                    f"Cannot associate floating IP {other['floating_ip_address']} ({other['id']}) "
                    f"with port {port_id} using fixed IP {chosen['ip_address']}, as that fixed IP "
                    f"already has a floating IP on external network {network_id}.",
                    "FloatingIPPortAlreadyAssociated",
                )
        return port, chosen["ip_address"], router_id

    def _router_between(self, network_id: str, subnet_id: str) -> str | None:
        for router in self.net.store["routers"].values():
            gateway = router.get("external_gateway_info") or {}
            if gateway.get("network_id") != network_id:
                continue
            if any(
                ip["subnet_id"] == subnet_id for p in self.interfaces(router["id"]) for ip in p["fixed_ips"]
            ):
                return router["id"]
        return None

    def _associate(self, fip: dict[str, Any], port: dict[str, Any], fixed: str, router_id: str) -> None:
        details = {
            k: port[k]
            for k in (
                "name",
                "network_id",
                "mac_address",
                "admin_state_up",
                "status",
                "device_id",
                "device_owner",
            )
        }
        self.net.touch(
            fip,
            {
                "port_id": port["id"],
                "fixed_ip_address": fixed,
                "router_id": router_id,
                "port_details": details,
                "status": "DOWN",
            },
        )
        fip_id, port_id = fip["id"], port["id"]

        def activate() -> None:
            current = self.net.store["floatingips"].get(fip_id)
            if current is not None and current["port_id"] == port_id:
                current["status"] = "ACTIVE"

        self.scheduler.at(self.fip_delay(), activate)

    def update_fip(self, auth: Auth, ident: str, changes: dict[str, Any]) -> dict[str, Any]:
        fip = self.net.owned("floatingips", ident, auth)
        if "port_id" in changes:
            port_id, fixed = changes.pop("port_id"), changes.pop("fixed_ip_address", None)
            if port_id is None:
                self.net._disassociate(fip)
            else:
                target = self._association(auth, fip["floating_network_id"], port_id, fixed, ident)
                self._associate(fip, *target)
        return self.net.touch(fip, changes)

    def delete_fip(self, auth: Auth, ident: str) -> None:
        fip = self.net.owned("floatingips", ident, auth)
        port = self.net.store["ports"].get(fip["_port"])
        if port is not None:
            self.net.delete_port(Auth("neutron", port["project_id"], ("admin",)), port["id"], internal=True)
        del self.net.store["floatingips"][ident]
