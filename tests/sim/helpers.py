"""Small helpers shared by the simulator tests: raw HTTP with a token, and waiting through openstacksdk."""

from __future__ import annotations

from typing import Any

import httpx
from openstack.connection import Connection


def token(conn: Connection) -> str:
    return conn.session.get_token()


def raw(conn: Connection, method: str, url: str, body: Any = None, **params: Any) -> httpx.Response:
    """A request outside openstacksdk (to see status codes and error bodies exactly)."""
    return httpx.request(
        method, url, json=body, params=params or None, headers={"X-Auth-Token": token(conn)}, timeout=10
    )


def lb_url(sim_url: str, path: str) -> str:
    return f"{sim_url}/load-balancer/v2.0{path}"


def net_url(sim_url: str, path: str) -> str:
    return f"{sim_url}/networking/v2.0{path}"


def wait_active(conn: Connection, lb_id: str) -> Any:
    return conn.load_balancer.wait_for_load_balancer(lb_id, interval=0.05, wait=20)


def private_subnet(conn: Connection) -> Any:
    return conn.network.find_subnet("private-subnet", ignore_missing=False)
