"""`octavia-lb sim openstack` as a real process: clouds.yaml that openstacksdk uses unchanged, cloud.conf."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openstack
import pytest
from octavia_lb_devkit.sim.server import cloud_conf_global
from openstack.config import OpenStackConfig

from octavia_lb.common.config import parse_cloud_config


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def sim_process(tmp_path: Path):
    port = _free_port()
    clouds = tmp_path / "clouds.yaml"
    command = [
        sys.executable,
        "-m",
        "octavia_lb",
        "sim",
        "openstack",
        "--port",
        str(port),
        "--random-seed",
        "7",
        "--write-clouds-yaml",
        str(clouds),
        "--print-cloud-conf",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=Path(__file__).parents[2]
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{url}/_sim/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"simulator did not start: {process.communicate()[0]}")
        time.sleep(0.1)
    yield url, clouds, process
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_cli_serves_and_writes_a_working_clouds_yaml(sim_process):
    url, clouds, process = sim_process
    region = OpenStackConfig(config_files=[str(clouds)]).get_one(cloud="sim")
    conn = openstack.connection.Connection(config=region)
    assert conn.network.find_network("public") is not None
    appcred = openstack.connection.Connection(
        config=OpenStackConfig(config_files=[str(clouds)]).get_one(cloud="sim-appcred")
    )
    assert appcred.load_balancer.find_flavor("small") is not None
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=10)[0]
    assert "[Global]" in output and f"auth-url = {url}/identity/v3" in output
    assert f"wrote {clouds}" in output


def test_cli_rejects_bad_version_with_the_value(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "octavia_lb", "sim", "openstack", "--max-api-version", "3.1"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).parents[2],
        env={**os.environ},
    )
    assert result.returncode == 2
    assert "max-api-version: '3.1' must be between 2.0 and 2.30" in result.stderr


def test_cloud_conf_section_parses_with_the_project_parser():
    opts = parse_cloud_config(cloud_conf_global("http://127.0.0.1:1")).global_opts
    assert (opts.auth_url, opts.username, opts.password, opts.tenant_name, opts.region) == (
        "http://127.0.0.1:1/identity/v3",
        "admin",
        "secret",
        "admin",
        "RegionOne",
    )
