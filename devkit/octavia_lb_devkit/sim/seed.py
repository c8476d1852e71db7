"""Seed data: who can log in and what the simulated cloud already has (networks, router, flavors, zones).

The built-in seed is the `DEFAULT_SEED` document; a YAML file of the same shape replaces it. Sections:
`projects`, `users`, `application_credentials`, `networks` (with nested `subnets`), `routers`,
`flavorprofiles`, `flavors`, `availability_zone_profiles`, `availability_zones`, `quotas`, and
`loadbalancers` (pre-existing, ACTIVE load balancers with chosen ids; see `seed_lbs`). Sections are applied
in that order, so a load balancer can use the networks, routers and flavors of the same document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from octavia_lb_devkit.sim.errors import ApiError
from octavia_lb_devkit.sim.http import Auth
from octavia_lb_devkit.sim.keystone.api import AppCredential, Identity, User
from octavia_lb_devkit.sim.neutron.l3 import L3
from octavia_lb_devkit.sim.neutron.store import Neutron
from octavia_lb_devkit.sim.octavia.lbs import LoadBalancers
from octavia_lb_devkit.sim.octavia.seed_lbs import LoadBalancerSeeder, parse_section
from octavia_lb_devkit.sim.octavia.store import Octavia

DEFAULT_SEED: dict[str, Any] = {
    "projects": [{"id": "admin-project", "name": "admin"}, {"id": "demo-project", "name": "demo"}],
    "users": [
        {
            "id": "admin-user",
            "name": "admin",
            "password": "secret",
            "project": "admin",
            "roles": ["admin", "member", "reader"],
        },
        {
            "id": "demo-user",
            "name": "demo",
            "password": "demo",
            "project": "demo",
            "roles": ["member", "reader"],
        },
    ],
    "application_credentials": [{"id": "ac123", "name": "octavia-lb", "secret": "s3cr3t", "user": "admin"}],
    "networks": [
        {
            "name": "public",
            "router:external": True,
            "project": "admin",
            "subnets": [
                {
                    "name": "public-subnet",
                    "ip_version": 4,
                    "cidr": "172.24.4.0/24",
                    "tags": ["public", "ipv4"],
                },
                {
                    "name": "public-subnet-v6",
                    "ip_version": 6,
                    "cidr": "2001:db8::/64",
                    "tags": ["public", "ipv6"],
                    "ipv6_address_mode": "slaac",
                    "ipv6_ra_mode": "slaac",
                },
            ],
        },
        {
            "name": "private",
            "project": "admin",
            "subnets": [
                {"name": "private-subnet", "ip_version": 4, "cidr": "10.0.0.0/24", "tags": ["k8s"]},
                # the second family of dual-stack load balancers (Octavia additional_vips, same network)
                {"name": "private-subnet-v6", "ip_version": 6, "cidr": "fd00:20::/64", "tags": ["k8s"]},
            ],
        },
    ],
    "routers": [
        {
            "name": "router1",
            "project": "admin",
            "external_network": "public",
            "interfaces": ["private-subnet"],
        }
    ],
    "flavorprofiles": [
        {
            "name": "amphora-single",
            "provider_name": "amphora",
            "flavor_data": json.dumps({"loadbalancer_topology": "SINGLE"}),
        },
        {
            "name": "amphora-act-stdby",
            "provider_name": "amphora",
            "flavor_data": json.dumps({"loadbalancer_topology": "ACTIVE_STANDBY"}),
        },
    ],
    "flavors": [
        {"name": "small", "description": "single amphora", "profile": "amphora-single"},
        {"name": "ha", "description": "active/standby amphorae", "profile": "amphora-act-stdby"},
    ],
    "availability_zone_profiles": [
        {
            "name": "az1-profile",
            "provider_name": "amphora",
            "availability_zone_data": json.dumps({"compute_zone": "nova"}),
        }
    ],
    "availability_zones": [{"name": "az1", "description": "the only zone", "profile": "az1-profile"}],
}


def load_seed_file(path: str | Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"seed-file: cannot read {str(path)!r}: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(
            f"seed-file: {str(path)!r} must hold a mapping of sections, got {type(data).__name__}"
        )
    return data


class Seeder:
    """Applies a seed document through the same store methods the API uses, so seeded objects are valid."""

    def __init__(
        self, identity: Identity, neutron: Neutron, l3: L3, octavia: Octavia, lbs: LoadBalancers
    ) -> None:
        self.identity, self.net, self.l3, self.o = identity, neutron, l3, octavia
        self.lbs = LoadBalancerSeeder(neutron, l3, lbs)

    def apply(self, data: dict[str, Any]) -> dict[str, int]:
        known = {
            "projects",
            "users",
            "application_credentials",
            "networks",
            "routers",
            "flavorprofiles",
            "flavors",
            "availability_zone_profiles",
            "availability_zones",
            "quotas",
            "loadbalancers",
        }
        unknown = sorted(set(data) - known)
        if unknown:
            raise ApiError(400, f"seed: unknown section(s) {unknown}; expected some of {sorted(known)}")
        load_balancers = parse_section(data.get("loadbalancers"))  # shape errors before any change
        for project in data.get("projects", []):
            self.identity.projects[project["id"]] = project["name"]
        for user in data.get("users", []):
            self.identity.users[user["id"]] = User(
                user["id"],
                user["name"],
                user["password"],
                self._project(user["project"]),
                tuple(user.get("roles", [])),
            )
        for cred in data.get("application_credentials", []):
            owner = next(u for u in self.identity.users.values() if user_matches(u, cred["user"]))
            self.identity.app_creds[cred["id"]] = AppCredential(
                cred["id"], cred.get("name", cred["id"]), cred["secret"], owner.id
            )
        for network in data.get("networks", []):
            self._network(network)
        for router in data.get("routers", []):
            self._router(router)
        self._octavia(data)
        for spec in load_balancers:
            self.lbs.apply(spec, self._admin(spec.project))
        return {section: len(data.get(section) or []) for section in known}

    def _project(self, name_or_id: str) -> str:
        for pid, name in self.identity.projects.items():
            if name_or_id in (pid, name):
                return pid
        raise ApiError(400, f"seed: project {name_or_id!r} is not defined in 'projects'")

    def _admin(self, project: str | None) -> Auth:
        return Auth("seed", self._project(project or "admin"), ("admin",))

    def _network(self, spec: dict[str, Any]) -> None:
        spec = dict(spec)
        subnets, auth = spec.pop("subnets", []), self._admin(spec.pop("project", None))
        attrs = {
            "name": "",
            "description": "",
            "admin_state_up": True,
            "shared": False,
            "router:external": False,
            "mtu": 1500,
            "port_security_enabled": True,
            "availability_zone_hints": [],
            "qos_policy_id": None,
            "is_default": False,
            **spec,
        }
        network = self.net.create_network(auth, attrs)
        for subnet in subnets:
            attrs = {
                "description": "",
                "enable_dhcp": True,
                "dns_nameservers": [],
                "host_routes": [],
                "ipv6_address_mode": None,
                "ipv6_ra_mode": None,
                "service_types": [],
                "segment_id": None,
                "dns_publish_fixed_ip": False,
                **subnet,
                "network_id": network["id"],
            }
            self.net.create_subnet(auth, attrs)

    def _by_name(self, kind: str, name: str) -> dict[str, Any]:
        for item in self.net.store[kind].values():
            if item["name"] == name or item["id"] == name:
                return item
        raise ApiError(400, f"seed: {kind} {name!r} is not defined")

    def _router(self, spec: dict[str, Any]) -> None:
        auth = self._admin(spec.get("project"))
        gateway = None
        if spec.get("external_network"):
            gateway = {
                "network_id": self._by_name("networks", spec["external_network"])["id"],
                "enable_snat": True,
            }
        router = self.l3.create_router(
            auth,
            {
                "name": spec["name"],
                "description": "",
                "admin_state_up": True,
                "external_gateway_info": gateway,
                "tags": spec.get("tags", []),
            },
        )
        for subnet in spec.get("interfaces", []):
            self.l3.add_interface(auth, router["id"], {"subnet_id": self._by_name("subnets", subnet)["id"]})

    def _octavia(self, data: dict[str, Any]) -> None:
        profiles: dict[str, str] = {}
        for spec in data.get("flavorprofiles", []):
            profiles[spec["name"]] = self._plain("flavorprofiles", spec)["id"]
        for spec in data.get("flavors", []):
            spec = dict(spec)
            profile = spec.pop("profile")
            self._plain(
                "flavors",
                {
                    "description": "",
                    "enabled": True,
                    **spec,
                    "flavor_profile_id": profiles.get(profile, profile),
                },
            )
        zone_profiles: dict[str, str] = {}
        for spec in data.get("availability_zone_profiles", []):
            zone_profiles[spec["name"]] = self._plain("availabilityzoneprofiles", spec)["id"]
        for spec in data.get("availability_zones", []):
            spec = dict(spec)
            profile = spec.pop("profile")
            item = {
                "description": "",
                "enabled": True,
                **spec,
                "availability_zone_profile_id": zone_profiles.get(profile, profile),
                "_seq": len(self.o.store["availabilityzones"]),
                "id": spec["name"],
            }
            self.o.store["availabilityzones"][spec["name"]] = item
        for project, limits in (data.get("quotas") or {}).items():
            self.o.quotas[self._project(project)] = dict(limits)

    def _plain(self, kind: str, attrs: dict[str, Any]) -> dict[str, Any]:
        item = self.o.new(kind, dict(attrs))
        item.pop("created_at"), item.pop("updated_at")
        return item


def user_matches(user: User, name_or_id: str) -> bool:
    return name_or_id in (user.id, user.name)
