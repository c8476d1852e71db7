"""docker-compose.yml: valid for docker-compose 1.29, CLI-valid commands, a cloud.conf for the simulator."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from octavia_lb_devkit.sim.state import SimConfig

from octavia_lb.cli import build_parser
from octavia_lb.common.config import load_cloud_config
from tests.manifests.render import REPO

COMPOSE = REPO / "docker-compose.yml"


def compose(
    *args: str, file: Path = COMPOSE, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs the real docker-compose 1.29 (`config` needs no engine) without our variables from the caller."""
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose not found: apt-get install -y --no-install-recommends docker-compose"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OCTAVIA_LB_", "KUBECONFIG"))}
    environment.update(env or {})
    argv = [binary, "-f", str(file), *args]
    return subprocess.run(argv, capture_output=True, text=True, env=environment, timeout=60, check=False)


def resolved(env: dict[str, str] | None = None) -> dict[str, Any]:
    done = compose("--profile", "webhook", "config", env=env)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_compose_file_is_valid() -> None:
    done = compose("config", "-q")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


def test_a_broken_compose_file_is_reported(tmp_path: Path) -> None:
    # `config -q` is a real check: the same file with a typo in a key fails
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("depends_on:", "depends_onn:", 1))
    done = compose("config", "-q", file=broken)
    assert done.returncode != 0 and "depends_onn" in done.stderr


def parse_command(service: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> argparse.Namespace:
    """The command as the CLI in the container parses it: flag defaults come from its environment."""
    with monkeypatch.context() as patch:
        for name, value in (service.get("environment") or {}).items():
            patch.setenv(name, str(value))
        return build_parser().parse_args(service["command"])


def test_services_commands_and_hardening(monkeypatch: pytest.MonkeyPatch) -> None:
    services = resolved()["services"]
    assert set(services) == {"redis", "openstack-sim", "dispatcher", "worker", "webhook"}
    ours = {name: service for name, service in services.items() if name != "redis"}
    commands = {name: parse_command(service, monkeypatch).command for name, service in ours.items()}
    assert commands == {"openstack-sim": "sim", "dispatcher": "dispatcher", "worker": "worker",
                        "webhook": "webhook"}
    assert "noeviction" in services["redis"]["command"] and "--save" in services["redis"]["command"]
    for name, service in services.items():
        assert service["image"].split(":")[-1] not in ("", "latest") and ":" in service["image"], name
        assert service["read_only"] is True, name
        if name != "redis":
            assert service["user"] == "10001:10001" and service["cap_drop"] == ["ALL"], name
    for name in ("dispatcher", "worker"):
        env = services[name]["environment"]
        assert env["OCTAVIA_LB_REDIS_URL"] == "redis://redis:6379/0"
        assert set(services[name]["depends_on"]) == {"redis", "openstack-sim"}


def test_kubeconfig_is_mounted_from_the_given_path(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    services = resolved({"KUBECONFIG": str(kubeconfig)})["services"]
    for name in ("dispatcher", "worker", "webhook"):
        mounts = services[name]["volumes"]
        assert f"{kubeconfig}:/etc/octavia-lb/kubeconfig:ro" in mounts, (name, mounts)
        assert services[name]["environment"]["OCTAVIA_LB_KUBECONFIG"] == "/etc/octavia-lb/kubeconfig"
    default = resolved({"HOME": str(tmp_path)})["services"]["worker"]["volumes"]
    assert f"{tmp_path}/.kube/config:/etc/octavia-lb/kubeconfig:ro" in default


def test_compose_cloud_conf_names_the_simulators_seeded_networks(start_openstack_sim: Any) -> None:
    services = resolved()["services"]
    mount = next(v for v in services["worker"]["volumes"] if v.endswith(":/etc/octavia-lb/cloud.conf:ro"))
    config = load_cloud_config(mount.split(":")[0])
    command = build_parser().parse_args(services["openstack-sim"]["command"])
    assert config.global_opts.auth_url == f"http://openstack-sim:{command.port}/identity/v3"
    # the compose simulator runs with this seed; a simulator with the same one has the same ids
    sim = start_openstack_sim(SimConfig(random_seed=command.random_seed))
    state = sim.control.state()["network"]
    networks = {n["name"]: n["id"] for n in state["networks"]}
    subnets = {s["name"]: s["id"] for s in state["subnets"]}
    assert config.load_balancer.floating_network_id == networks["public"]
    assert config.load_balancer.subnet_id == subnets["private-subnet"]
    # and the credentials log in, through openstacksdk over HTTP
    connection = sim.connect()
    assert connection.network.get_network(networks["public"]).name == "public"
    assert (config.global_opts.username, config.global_opts.tenant_name) == ("admin", "admin")
