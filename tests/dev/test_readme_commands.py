"""The README's commands exactly as a newcomer types them: `make run`, `make status`, `make down`, with no
flags, in a fresh copy of the repository (no .venv, no .dev), default state folder `.dev`.

Every other dev test passes an absolute temporary --state-dir; this one is what caught redis-server failing
on the relative default `.dev`. The copy holds the tracked files of this checkout (in CI: a clean clone),
so it also proves that `make run` builds its own virtualenv and finds the Debian packages it needs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from octavia_lb_devkit.dev.cloud import SHARED_LB_FIP

from tests.dev.helpers import alive, all_started_pids

pytestmark = pytest.mark.cluster
REPO = Path(__file__).resolve().parents[2]
MAKE_RUN_TIMEOUT_S = 600  # a new virtualenv (pip) plus the stack; the kube-apiserver is cached by then


def fresh_copy(target: Path) -> Path:
    """The tracked files of this checkout, as a clone would have them (nothing generated)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def make(checkout: Path, target: str, timeout: float) -> subprocess.CompletedProcess[str]:
    # the environment a new user has: nothing of this test run's virtualenv leaks into `make`
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    return subprocess.run(
        ["make", target], cwd=checkout, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_make_run_status_down_as_the_readme_says(tmp_path: Path) -> None:
    checkout = fresh_copy(tmp_path / "octavia-lb")
    assert not (checkout / ".venv").exists() and not (checkout / ".dev").exists()
    state = checkout / ".dev"
    try:
        run = make(checkout, "run", MAKE_RUN_TIMEOUT_S)
        status = make(checkout, "status", 120)
        started = all_started_pids(state) if (state / "pids").is_dir() else set()
    finally:
        down = make(checkout, "down", 180)
    out = run.stdout
    assert run.returncode == 0, out[-4000:] + run.stderr[-4000:]
    assert (checkout / ".venv" / "bin" / "octavia-lb").is_file(), "make run made its own virtualenv"
    assert "[machine] Debian packages for `make run`: present" in out

    # every bad example refused, with the webhook's (or the API server's) own message
    for path in sorted((checkout / "examples" / "bad").glob("*.yaml")):
        line = next(line for line in out.splitlines() if line.startswith(f"  {path.name}: "))
        assert "ACCEPTED" not in line and len(line) > len(path.name) + 20, line
    assert "  bool.yaml: loadbalancer.openstack.org/keep-floatingip: \"True\" is not a boolean" in out

    # EXTERNAL-IPs from the simulated cloud
    table = out.split("$ kubectl get svc -A", 1)[1]
    row = next(line for line in table.splitlines() if " loadbalanced-service " in line)
    assert re.search(r"\s122\.112\.219\.\d+\s", row), row
    assert " 122.112.219.229 " in next(line for line in table.splitlines() if " nginx-fixed-ip " in line)
    for name in ("service-1", "service-2"):
        assert f" {SHARED_LB_FIP} " in next(line for line in table.splitlines() if f" {name} " in line)
    assert "still pending" not in out, out[-3000:]

    assert status.returncode == 0, status.stdout + status.stderr
    for part in ("redis", "etcd", "kube-apiserver", "openstack-sim", "webhook", "dispatcher", "worker"):
        assert re.search(rf"^{part}\s+\d+\s+\d+\s+healthy", status.stdout, re.M), status.stdout

    assert down.returncode == 0, down.stdout + down.stderr
    assert started and [pid for pid in started if alive(pid)] == []
    assert (state / "redis.log").is_file(), "logs stay in .dev after make down"
