"""Running the simulator: `octavia-lb sim openstack`, a background-thread server for tests and the local
stack, and the clouds.yaml / cloud.conf that point clients at it."""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
import yaml

from octavia_lb_devkit.sim.app import Simulator
from octavia_lb_devkit.sim.errors import ApiError
from octavia_lb_devkit.sim.octavia.versions import LATEST, ApiVersion
from octavia_lb_devkit.sim.seed import load_seed_file
from octavia_lb_devkit.sim.state import SimConfig


def clouds_yaml(url: str, region: str = "RegionOne") -> dict[str, Any]:
    """Clouds `sim` (admin, password), `sim-appcred` (application credential) and `sim-demo` (a member)."""
    common = {"region_name": region, "interface": "public", "identity_api_version": 3}
    return {
        "clouds": {
            "sim": {
                "auth": {
                    "auth_url": f"{url}/identity",
                    "username": "admin",
                    "password": "secret",
                    "project_name": "admin",
                    "user_domain_id": "default",
                    "project_domain_id": "default",
                },
                **common,
            },
            "sim-appcred": {
                "auth_type": "v3applicationcredential",
                "auth": {
                    "auth_url": f"{url}/identity/v3",
                    "application_credential_id": "ac123",
                    "application_credential_secret": "s3cr3t",
                },
                **common,
            },
            "sim-demo": {
                "auth": {
                    "auth_url": f"{url}/identity",
                    "username": "demo",
                    "password": "demo",
                    "project_name": "demo",
                    "user_domain_id": "default",
                    "project_domain_id": "default",
                },
                **common,
            },
        }
    }


def write_clouds_yaml(path: str | Path, url: str) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(clouds_yaml(url), sort_keys=False))
    return target


def cloud_conf_global(url: str, region: str = "RegionOne") -> str:
    """The `[Global]` section of an OCCM cloud.conf for the simulator's admin user."""
    return "\n".join(
        [
            "[Global]",
            f"auth-url = {url}/identity/v3",
            "username = admin",
            "password = secret",
            "tenant-name = admin",
            "domain-id = default",
            "user-domain-id = default",
            f"region = {region}",
            "",
        ]
    )


def config_from_args(args: argparse.Namespace) -> SimConfig:
    seed = load_seed_file(args.seed_file) if getattr(args, "seed_file", None) else None
    raw_version = getattr(args, "max_api_version", None)
    version = ApiVersion.parse(raw_version) if raw_version else LATEST
    return SimConfig(profile=args.profile, random_seed=args.random_seed, max_api_version=version, seed=seed)


class SimulatorServer:
    """The simulator on a loopback port in a daemon thread: `url = SimulatorServer().start()`, `.stop()`."""

    def __init__(self, config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.simulator = Simulator(config)
        self.host, self.port = host, port
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self.url = f"http://{self.host}:{self.port}"
        config = uvicorn.Config(self.simulator, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="openstack-sim", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"simulator did not start on {self.url} within {timeout}s")
            time.sleep(0.01)
        return self.url

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> SimulatorServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args)
        simulator = Simulator(config)  # applies the seed: a bad entry ends here, with its message
    except (ValueError, ApiError) as exc:
        print(f"octavia-lb sim openstack: {exc}", file=sys.stderr)
        return 2
    url = f"http://{args.host}:{args.port}"
    if args.write_clouds_yaml:
        print(f"wrote {write_clouds_yaml(args.write_clouds_yaml, url)} (clouds: sim, sim-appcred, sim-demo)")
    if args.print_cloud_conf:
        print(cloud_conf_global(url))
    print(
        f"OpenStack simulator ({config.profile}, Octavia API up to {config.max_api_version}) on {url}; "
        f"control API at {url}/_sim/",
        flush=True,
    )
    uvicorn.run(
        simulator,
        host=args.host,
        port=args.port,
        log_level="warning",
        lifespan="off",
        access_log=False,
    )
    return 0
