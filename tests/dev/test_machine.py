"""`python3 -m octavia_lb_devkit.controlplane.machine run|test`, the first step of `make run` and `make test`,
run as the real module in a subprocess: quick and silent about apt when everything is present, and,
without root, one line naming the exact apt-get command plus a non-zero exit, not a half-done install."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from octavia_lb_devkit.controlplane import machine

REPO = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3"  # the user `nobody` cannot read root's pyenv


def test_present_machine_is_ready_in_seconds_without_calling_apt() -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "octavia_lb_devkit.controlplane.machine", "test"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    took = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[machine] Debian packages for `make test`: present" in done.stdout
    assert "installing Debian packages" not in done.stdout and "apt-get" not in done.stdout
    assert "[build] reusing " in done.stdout, "the cached kube-apiserver is reused, not rebuilt"
    assert took < 15, f"took {took:.1f}s"


def readable_copy() -> Path:
    """The stdlib-only package files in a folder `nobody` can read (the checkout may sit under /root)."""
    root = Path(tempfile.mkdtemp(prefix="octavia-lb-machine-", dir="/tmp"))
    root.chmod(0o755)
    for name in ("__init__.py", *(f"controlplane/{m}.py" for m in ("__init__", "build", "machine"))):
        (root / "octavia_lb_devkit" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "devkit" / "octavia_lb_devkit" / name, root / "octavia_lb_devkit" / name)
    for path in root.rglob("*"):
        path.chmod(0o755)
    return root


def test_without_root_names_the_exact_apt_get_command_and_fails() -> None:
    """As `nobody`, with a PATH where redis-server, etcd, wrk and docker-compose cannot be found."""
    root = readable_copy()
    env = {"PATH": str(root / "bin"), "HOME": str(root), "PYTHONPATH": str(root)}
    try:
        done = subprocess.run(
            ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             SYSTEM_PYTHON, "-m", "octavia_lb_devkit.controlplane.machine", "test"],
            cwd=root, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        shutil.rmtree(root)
    assert done.returncode == 1, done.stdout + done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("[machine] error: ")]
    needs = "`make test` needs redis-server, etcd, wrk (webhook benchmark), docker-compose (compose checks)"
    assert needs in line
    assert line.endswith(
        "Run: sudo apt-get update && sudo apt-get install -y redis-server etcd-server wrk && "
        "sudo apt-get install -y --no-install-recommends docker-compose"
    ), line


def test_each_purpose_needs_what_its_command_uses() -> None:
    run = {need.package for need in machine.NEEDS["run"]}
    test = {need.package for need in machine.NEEDS["test"]}
    assert {"redis-server", "etcd-server", "kubernetes-client", "python3-venv"} == run
    assert run < test and {"wrk", "docker-compose"} <= test
