"""OpenStack simulator benchmark: request rate for GET and POST on one core, and memory with 1,000 LBs.

Run with `python -m bench.sim` (or `python bench/sim.py`). It starts, on 127.0.0.1 and pinned to CPU 0:
- a bare Starlette app served by the same uvicorn (one JSON GET route, one POST route that parses the body):
  the ceiling for any Python HTTP service on this machine, measured in the same run;
- `octavia-lb sim openstack` (the `fast` profile);
and drives both with wrk pinned to CPU 1 (1 thread, 16 connections, 5 s each; the bare endpoint is measured
right before every simulator row, so each ratio compares runs under the same machine load). Rows:
- `GET lb`: `GET /load-balancer/v2.0/lbaas/loadbalancers/{id}` with a token (auth, clock, render);
- `GET list`: the same list of 50 load balancers (filters, sorting, pagination);
- `POST network`: `POST /networking/v2.0/networks` (validation, quota, store; no quota limit);
- `POST lb`: `POST /load-balancer/v2.0/lbaas/loadbalancers` (VIP port + IPAM, amphora, scheduling).
Each rate is printed next to the bare endpoint's as a ratio. Target: >= 500 requests/s for every row.
Memory: RSS of the simulator process after startup and after creating 1,000 fully-populated load balancers
(a listener, a pool with two members and a health monitor each), and the RSS per load balancer.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson

REPO = Path(__file__).resolve().parents[1]
DURATION_S = 5
LOAD_BALANCERS = 1_000
BARE_APP = """
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

async def get(request: Request) -> JSONResponse:
    return JSONResponse({"loadbalancer": {"id": "x", "provisioning_status": "ACTIVE"}})

async def post(request: Request) -> JSONResponse:
    body = await request.json()
    return JSONResponse({"network": {"id": "x", **body["network"]}}, status_code=201)

app = Starlette(routes=[Route("/get", get), Route("/post", post, methods=["POST"])])
uvicorn.run(app, host="127.0.0.1", port=int(__import__("sys").argv[1]), log_level="warning", access_log=False)
"""
LUA = """
wrk.method = "{method}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Auth-Token"] = "{token}"
wrk.body = '{body}'
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _server(command: list[str], health: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(["taskset", "-c", "0", *command], cwd=REPO, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(health, timeout=1).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command} did not start")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wrk(url: str, method: str = "GET", body: str = "", token: str = "") -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA.format(method=method, token=token, body=body))
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", "-c16", f"-d{DURATION_S}s", "-s", script.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    Path(script.name).unlink()
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} error responses from {method} {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def _login(url: str) -> tuple[str, str]:
    auth = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": "admin", "domain": {"id": "default"}, "password": "secret"}},
            },
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}},
        }
    }
    response = httpx.post(f"{url}/identity/v3/auth/tokens", json=auth)
    return response.headers["X-Subject-Token"], response.json()["token"]["project"]["id"]


def _subnet(
    url: str, headers: dict[str, str], project: str, quota: dict[str, int], name: str, cidr: str
) -> dict[str, Any]:
    """Lift the project's `quota` (-1: unlimited), then create network `name` with an IPv4 subnet `cidr`."""
    httpx.put(
        f"{url}/networking/v2.0/quotas/{project}", json={"quota": quota}, headers=headers
    ).raise_for_status()
    net = httpx.post(
        f"{url}/networking/v2.0/networks", json={"network": {"name": name}}, headers=headers
    ).json()
    return httpx.post(
        f"{url}/networking/v2.0/subnets",
        headers=headers,
        json={"subnet": {"network_id": net["network"]["id"], "ip_version": 4, "cidr": cidr}},
    ).json()["subnet"]


def _prepare(url: str, token: str, project: str) -> tuple[str, str]:
    headers = {"X-Auth-Token": token}
    subnet = _subnet(url, headers, project, {"network": -1, "port": -1}, "bench", "10.128.0.0/12")
    lb = httpx.post(
        f"{url}/load-balancer/v2.0/lbaas/loadbalancers",
        headers=headers,
        json={"loadbalancer": {"vip_subnet_id": subnet["id"]}},
    ).json()["loadbalancer"]
    for _ in range(49):
        httpx.post(
            f"{url}/load-balancer/v2.0/lbaas/loadbalancers",
            headers=headers,
            json={"loadbalancer": {"vip_subnet_id": subnet["id"]}},
        ).raise_for_status()
    return subnet["id"], lb["id"]


def _full_lb(subnet_id: str, index: int) -> dict[str, object]:
    pool = {
        "name": "p",
        "protocol": "HTTP",
        "lb_algorithm": "ROUND_ROBIN",
        "healthmonitor": {"type": "HTTP", "delay": 5, "timeout": 3, "max_retries": 3},
        "members": [{"address": f"192.0.2.{i}", "protocol_port": 8080} for i in (1, 2)],
    }
    return {
        "loadbalancer": {
            "name": f"kube_service_bench_{index}",
            "vip_subnet_id": subnet_id,
            "tags": ["bench"],
            "listeners": [{"protocol": "HTTP", "protocol_port": 80, "default_pool": {"name": "p"}}],
            "pools": [pool],
        }
    }


def rates() -> list[tuple[str, float, float]]:
    """Each row measures the bare endpoint right before the simulator, so both see the same machine load."""
    bare_port, sim_port = _free_port(), _free_port()
    bare, sim = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{sim_port}"
    command = [sys.executable, "-m", "octavia_lb", "sim", "openstack", "--port", str(sim_port)]
    post_body = '{"network": {"name": "n"}}'
    with (
        _server([sys.executable, "-c", BARE_APP, str(bare_port)], f"{bare}/get"),
        _server(command, f"{sim}/_sim/health"),
    ):
        token, project = _login(sim)
        subnet_id, lb_id = _prepare(sim, token, project)
        lbaas = f"{sim}/load-balancer/v2.0/lbaas/loadbalancers"
        lb_body = orjson.dumps({"loadbalancer": {"vip_subnet_id": subnet_id}}).decode()
        rows = []
        for name, method, url, body in (
            ("GET lb", "GET", f"{lbaas}/{lb_id}", ""),
            ("GET list (50)", "GET", lbaas, ""),
            ("POST network", "POST", f"{sim}/networking/v2.0/networks", post_body),
            ("POST lb", "POST", lbaas, lb_body),
        ):
            baseline = _wrk(f"{bare}/get") if method == "GET" else _wrk(f"{bare}/post", "POST", post_body)
            rows.append((name, _wrk(url, method, body, token), baseline))
    return rows


def memory() -> tuple[float, float]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "octavia_lb", "sim", "openstack", "--port", str(port)]
    with _server(command, f"{url}/_sim/health") as process:
        token, project = _login(url)
        headers = {"X-Auth-Token": token}
        subnet = _subnet(url, headers, project, {"port": -1}, "m", "10.64.0.0/16")
        empty = _rss_mb(process.pid)
        with httpx.Client(base_url=url, headers=headers) as client:
            for index in range(LOAD_BALANCERS):
                client.post(
                    "/load-balancer/v2.0/lbaas/loadbalancers", json=_full_lb(subnet["id"], index)
                ).raise_for_status()
            client.post("/_sim/clock/advance", json={"seconds": 5}).raise_for_status()
            listed = client.get("/load-balancer/v2.0/lbaas/loadbalancers", params={"tags": "bench"}).json()
        if len(listed["loadbalancers"]) != LOAD_BALANCERS:
            raise RuntimeError(
                f"expected {LOAD_BALANCERS} load balancers, listed {len(listed['loadbalancers'])}"
            )
        return empty, _rss_mb(process.pid)


def main() -> None:
    print(
        f"OpenStack simulator, one server core (CPU 0), wrk on CPU 1, 16 connections, {DURATION_S} s per row"
    )
    print(f"{'row':<16}{'req/s':>10}{'bare req/s':>12}{'ratio':>8}{'>= 500':>8}")
    for name, rate, bare in rates():
        print(f"{name:<16}{rate:>10.0f}{bare:>12.0f}{rate / bare:>8.2f}{'yes' if rate >= 500 else 'NO':>8}")
    empty, full = memory()
    print(
        f"RSS: empty simulator {empty:.1f} MB; with {LOAD_BALANCERS} fully-populated load balancers "
        f"{full:.1f} MB "
        f"({full / empty:.2f}x; {(full - empty) * 1024 / LOAD_BALANCERS:.1f} KB per load balancer)"
    )


if __name__ == "__main__":
    main()
