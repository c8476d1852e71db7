"""The in-cluster Redis as rendered: its exact arguments run a real redis-server, and the URL the dispatcher
and workers build from the same Secret reaches it, with noeviction and no persistence in force."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from octavia_lb_devkit.controlplane.processes import LOOPBACK, free_port, start_process
from octavia_lb_devkit.controlplane.redis import redis_server_binary

from octavia_lb.worker.settings import from_env_and_args
from tests.manifests.render import Rendering

PASSWORD = "0123456789abcdef0123456789abcdef"


def expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion in args and env values."""
    return re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], value)


def container(rendering: Rendering, name: str) -> dict[str, Any]:
    return rendering.one("Deployment", name)["spec"]["template"]["spec"]["containers"][0]


@pytest.fixture
def rendered_redis(renderings: dict[str, Rendering], tmp_path: Path) -> Any:
    spec = container(renderings["overlays/redis-in-cluster"], "octavia-lb-redis")
    args = [expand(arg, {"REDIS_PASSWORD": PASSWORD}) for arg in spec["args"]]
    port = free_port()
    args[args.index("--port") + 1] = str(port)  # the pod's 6379 may be taken on this machine
    argv = [redis_server_binary(), *args, "--bind", LOOPBACK, "--dir", str(tmp_path), "--daemonize", "no"]
    process = start_process("redis-manifest", argv, log_path=tmp_path / "redis.log", cwd=tmp_path)
    client = redis.Redis(host=LOOPBACK, port=port, password=PASSWORD)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert process.running() and time.monotonic() < deadline, (tmp_path / "redis.log").read_text()
                time.sleep(0.05)
        yield port, client
    finally:
        client.close()
        process.stop()


def test_rendered_redis_runs_as_a_queue(rendered_redis: Any) -> None:
    _port, client = rendered_redis
    assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    assert client.config_get("save") == {"save": ""}
    assert client.config_get("appendonly") == {"appendonly": "no"}
    assert int(client.config_get("maxmemory")["maxmemory"]) == 200 * 1024 * 1024


def test_rendered_redis_requires_the_password(rendered_redis: Any) -> None:
    port, _client = rendered_redis
    with redis.Redis(host=LOOPBACK, port=port) as anonymous, pytest.raises(redis.AuthenticationError):
        anonymous.ping()


def test_controllers_reach_it_with_the_url_built_from_the_secret(
    renderings: dict[str, Rendering], rendered_redis: Any
) -> None:
    port, _client = rendered_redis
    rendering = renderings["overlays/redis-in-cluster"]
    for name in ("octavia-lb-dispatcher", "octavia-lb-worker"):
        env_list = container(rendering, name)["env"]
        assert env_list[0]["valueFrom"]["secretKeyRef"] == {"name": "octavia-lb-redis", "key": "password"}
        env: dict[str, str] = {"REDIS_PASSWORD": PASSWORD}
        for entry in env_list[1:]:
            if "value" in entry:  # defined after REDIS_PASSWORD, so kubelet expands it
                env[entry["name"]] = expand(entry["value"], env)
        url = env["OCTAVIA_LB_REDIS_URL"]
        assert url == f"redis://:{PASSWORD}@octavia-lb-redis:6379/0"
        settings = from_env_and_args(env={"OCTAVIA_LB_REDIS_URL": url})
        local = settings.redis_url.replace("octavia-lb-redis:6379", f"{LOOPBACK}:{port}")
        with redis.Redis.from_url(local) as client:
            assert client.ping() is True
