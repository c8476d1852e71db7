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


def is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def in_pools(pools: Iterable[dict[str, Any]], address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ipaddress.ip_address(p["start"]) <= ip <= ipaddress.ip_address(p["end"]) for p in pools)


def next_free(pools: Iterable[dict[str, Any]], used: set[str], after: str | None = None) -> str | None:
    """The first pool address not in `used`, searching from just past `after` (the last one handed out)
    and then from the start of the pools, like Neutron's allocator walking forward.

    Each walk steps only over used addresses, so it is bounded by `len(used)` even in a /64.
    """
    pools = list(pools)
    if after is not None:
        hint = ipaddress.ip_address(after) + 1
        for pool in pools:
            start, end = ipaddress.ip_address(pool["start"]), ipaddress.ip_address(pool["end"])
            if hint <= end:  # `after` always comes from this subnet, so the IP versions match
                found = _walk(max(start, hint), end, used)
                if found:
                    return found
    for pool in pools:
        found = _walk(ipaddress.ip_address(pool["start"]), ipaddress.ip_address(pool["end"]), used)
        if found:
            return found
    return None


def _walk(ip: Any, end: Any, used: set[str]) -> str | None:
    for _ in range(len(used) + 1):
        if ip > end:
            return None
        if str(ip) not in used:
            return str(ip)
        ip += 1
    return None


def overlaps(cidr_a: str, cidr_b: str) -> bool:
    a, b = network_of(cidr_a), network_of(cidr_b)
    return a.version == b.version and a.overlaps(b)  # type: ignore[arg-type]


def mac_address(counter: int) -> str:
    return "fa:16:3e:" + ":".join(f"{(counter >> shift) & 0xFF:02x}" for shift in (16, 8, 0))
