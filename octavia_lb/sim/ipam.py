"""IP address management for simulated subnets: gateways, allocation pools, next free address (pure)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def network_of(cidr: str) -> IPNetwork:
    return ipaddress.ip_network(cidr, strict=False)


def default_gateway(cidr: str) -> str:
    return str(network_of(cidr).network_address + 1)


def default_pools(cidr: str, gateway: str | None) -> list[dict[str, str]]:
    """Neutron's default: every host address except the gateway (and, for IPv4, the broadcast)."""
    net = network_of(cidr)
    first = net.network_address + 1
    last = net.broadcast_address - (1 if net.version == 4 else 0)
    if gateway and ipaddress.ip_address(gateway) == first:
        first += 1
    if first > last:
        return []
    return [{"start": str(first), "end": str(last)}]


def contains(cidr: str, address: str) -> bool:
    try:
        return ipaddress.ip_address(address) in network_of(cidr)
    except ValueError:
        return False


def in_pools(pools: Iterable[dict[str, Any]], address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ipaddress.ip_address(p["start"]) <= ip <= ipaddress.ip_address(p["end"]) for p in pools)


def next_free(pools: Iterable[dict[str, Any]], used: set[str]) -> str | None:
    """The lowest pool address not in `used`; walks past used addresses only, so /64 pools are cheap."""
    for pool in pools:
        ip = ipaddress.ip_address(pool["start"])
        end = ipaddress.ip_address(pool["end"])
        while ip <= end:
            if str(ip) not in used:
                return str(ip)
            ip += 1
    return None


def overlaps(cidr_a: str, cidr_b: str) -> bool:
    a, b = network_of(cidr_a), network_of(cidr_b)
    return a.version == b.version and a.overlaps(b)  # type: ignore[arg-type]


def mac_address(counter: int) -> str:
    return "fa:16:3e:" + ":".join(f"{(counter >> shift) & 0xFF:02x}" for shift in (16, 8, 0))
