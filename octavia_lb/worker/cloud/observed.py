"""What exists in OpenStack as typed frozen snapshots (`os_*`): read by the gateway, compared by the planner.

Typed ids keep a listener id from being passed where a pool id is wanted. The snapshots carry only the
fields the planner compares, in the same shapes as the desired model (tuples, None for "unset").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NewType

LoadBalancerId = NewType("LoadBalancerId", str)
ListenerId = NewType("ListenerId", str)
PoolId = NewType("PoolId", str)
MonitorId = NewType("MonitorId", str)
FloatingIpId = NewType("FloatingIpId", str)

ACTIVE = "ACTIVE"
ERROR = "ERROR"
_PROVIDER_ID = re.compile(r"^openstack://[^/]*/(?P<id>[^/]+)$")


def server_id(provider_id: str) -> str:
    """A Node's Nova server id from its providerID: `openstack:///<id>` or `openstack://<region>/<id>` →
    `<id>`; "" for anything else."""
    match = _PROVIDER_ID.match(provider_id)
    return match.group("id") if match else ""


@dataclass(frozen=True)
class OsLoadBalancer:
    id: LoadBalancerId
    name: str
    provisioning_status: str
    vip_address: str
    vip_port_id: str
    vip_subnet_id: str
    tags: tuple[str, ...]
    pool_ids: frozenset[str] = frozenset()
    additional_vips: tuple[tuple[str, str], ...] = ()  # (subnet_id, ip_address) of each additional VIP

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> OsLoadBalancer:
        return cls(
            id=LoadBalancerId(body["id"]),
            name=body.get("name") or "",
            provisioning_status=body.get("provisioning_status") or "",
            vip_address=body.get("vip_address") or "",
            vip_port_id=body.get("vip_port_id") or "",
            vip_subnet_id=body.get("vip_subnet_id") or "",
            tags=tuple(body.get("tags") or ()),
            pool_ids=frozenset(p["id"] for p in body.get("pools") or ()),
            additional_vips=tuple(
                (vip.get("subnet_id") or "", vip.get("ip_address") or "")
                for vip in body.get("additional_vips") or ()
            ),
        )

    def vip_of(self, family: str) -> str | None:
        """The VIP address of `family` ("IPv4"/"IPv6"): the primary one or an additional one."""
        for address in (self.vip_address, *(ip for _, ip in self.additional_vips)):
            if address and (":" in address) == (family == "IPv6"):
                return address
        return None

    @property
    def pending(self) -> bool:
        return self.provisioning_status.startswith("PENDING_")


@dataclass(frozen=True)
class OsListener:
    id: ListenerId
    name: str
    protocol: str
    port: int
    connection_limit: int
    timeouts: tuple[int, int, int, int]
    allowed_cidrs: tuple[str, ...]
    insert_headers: tuple[tuple[str, str], ...]
    tls_container_ref: str | None
    tags: tuple[str, ...]
    default_pool_id: PoolId | None

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> OsListener:
        return cls(
            id=ListenerId(body["id"]),
            name=body.get("name") or "",
            protocol=body["protocol"],
            port=int(body["protocol_port"]),
            connection_limit=int(body.get("connection_limit", -1)),
            timeouts=(
                int(body.get("timeout_client_data") or 0),
                int(body.get("timeout_member_connect") or 0),
                int(body.get("timeout_member_data") or 0),
                int(body.get("timeout_tcp_inspect") or 0),
            ),
            allowed_cidrs=tuple(body.get("allowed_cidrs") or ()),
            insert_headers=tuple(sorted((body.get("insert_headers") or {}).items())),
            tls_container_ref=body.get("default_tls_container_ref") or None,
            tags=tuple(body.get("tags") or ()),
            default_pool_id=PoolId(body["default_pool_id"]) if body.get("default_pool_id") else None,
        )

    @property
    def key(self) -> tuple[str, int]:
        return (self.protocol, self.port)


@dataclass(frozen=True)
class OsMember:
    id: str
    name: str
    address: str
    protocol_port: int
    subnet_id: str | None
    monitor_port: int | None

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> OsMember:
        return cls(
            body["id"],
            body.get("name") or "",
            body["address"],
            int(body["protocol_port"]),
            body.get("subnet_id"),
            body.get("monitor_port"),
        )

    @property
    def key(self) -> tuple[str, str, int, int | None]:
        return (self.name, self.address, self.protocol_port, self.monitor_port)


@dataclass(frozen=True)
class OsMonitor:
    id: MonitorId
    name: str
    type: str
    delay: int
    timeout: int
    max_retries: int
    max_retries_down: int
    http_method: str | None
    url_path: str | None
    expected_codes: str | None

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> OsMonitor:
        http = body.get("type") in ("HTTP", "HTTPS")
        return cls(
            MonitorId(body["id"]),
            body.get("name") or "",
            body["type"],
            int(body["delay"]),
            int(body["timeout"]),
            int(body["max_retries"]),
            int(body.get("max_retries_down") or 3),
            body.get("http_method") if http else None,
            body.get("url_path") if http else None,
            body.get("expected_codes") if http else None,
        )


@dataclass(frozen=True)
class OsPool:
    id: PoolId
    name: str
    protocol: str
    lb_algorithm: str
    session_persistence: str | None
    listener_ids: tuple[str, ...]
    member_ids: frozenset[str]
    monitor_id: MonitorId | None

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> OsPool:
        persistence = body.get("session_persistence") or {}
        return cls(
            PoolId(body["id"]),
            body.get("name") or "",
            body["protocol"],
            body["lb_algorithm"],
            persistence.get("type"),
            tuple(li["id"] for li in body.get("listeners") or ()),
            frozenset(m["id"] for m in body.get("members") or ()),
            MonitorId(body["healthmonitor_id"]) if body.get("healthmonitor_id") else None,
        )


@dataclass(frozen=True)
class OsFloatingIP:
    id: FloatingIpId
    address: str
    port_id: str | None
    network_id: str
    description: str

    @classmethod
    def from_api(cls, body: Any) -> OsFloatingIP:
        return cls(
            FloatingIpId(body["id"]),
            body["floating_ip_address"],
            body.get("port_id"),
            body.get("floating_network_id") or "",
            body.get("description") or "",
        )


@dataclass(frozen=True)
class OsSecurityRule:
    id: str
    direction: str
    protocol: str | None
    ethertype: str
    remote_ip_prefix: str | None
    port_range_min: int | None
    port_range_max: int | None
    remote_group_id: str | None

    @classmethod
    def from_api(cls, body: Any) -> OsSecurityRule:
        return cls(
            body["id"],
            body.get("direction") or "",
            body.get("protocol"),
            body.get("ethertype") or "",
            body.get("remote_ip_prefix"),
            body.get("port_range_min"),
            body.get("port_range_max"),
            body.get("remote_group_id"),
        )


@dataclass(frozen=True)
class OsSecurityGroup:
    id: str
    name: str
    rules: tuple[OsSecurityRule, ...]

    @classmethod
    def from_api(cls, body: Any) -> OsSecurityGroup:
        rules = body.get("security_group_rules") or ()
        return cls(body["id"], body.get("name") or "", tuple(OsSecurityRule.from_api(r) for r in rules))


@dataclass(frozen=True)
class OsPort:
    id: str
    device_id: str
    addresses: tuple[tuple[str, str], ...]  # (subnet_id, ip_address) of each fixed IP
    security_groups: tuple[str, ...]
    port_security_enabled: bool

    @classmethod
    def from_api(cls, body: Any) -> OsPort:
        fixed = body.get("fixed_ips") or ()
        return cls(
            body["id"],
            body.get("device_id") or "",
            tuple((f.get("subnet_id") or "", f.get("ip_address") or "") for f in fixed),
            tuple(_either(body, "security_groups", "security_group_ids") or ()),
            _either(body, "port_security_enabled", "is_port_security_enabled") is not False,
        )


def _either(body: Any, api_name: str, sdk_name: str) -> Any:
    """A field under Neutron's name, or under openstacksdk's attribute name (`Resource.to_dict()`)."""
    return body[api_name] if api_name in body else body.get(sdk_name)


@dataclass(frozen=True)
class PoolState:
    """A pool with its members and monitor."""

    pool: OsPool
    members: tuple[OsMember, ...]
    monitor: OsMonitor | None


@dataclass(frozen=True)
class ListenerState:
    listener: OsListener
    pool: PoolState | None


@dataclass(frozen=True)
class Observed:
    """One load balancer with every listener/pool/member/monitor, and the floating IP on its VIP port."""

    lb: OsLoadBalancer
    listeners: tuple[ListenerState, ...]
    orphan_pools: tuple[PoolState, ...]
    floating_ip: OsFloatingIP | None
