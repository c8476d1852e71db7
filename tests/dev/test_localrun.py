"""`make run` (python -m octavia_lb_devkit.localrun) end to end: stack up, examples applied, results shown."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from octavia_lb_devkit.dev.cloud import SHARED_LB_FIP

from tests.dev.conftest import run_dev
from tests.dev.helpers import alive, all_started_pids

pytestmark = pytest.mark.cluster
REPO = Path(__file__).resolve().parents[2]


def test_make_run_shows_external_ips_and_every_rejection(tmp_path: Path) -> None:
    state = tmp_path / "state"
    argv = [sys.executable, "-m", "octavia_lb_devkit.localrun", "--state-dir", str(state), "--timeout", "60"]
    try:
        done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
        started = all_started_pids(state)
    finally:
        down = run_dev(state, "down")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for path in sorted((REPO / "examples" / "bad").glob("*.yaml")):
        line = next(line for line in out.splitlines() if line.startswith(f"  {path.name}: "))
        assert "ACCEPTED" not in line and len(line) > len(path.name) + 20, line
    table = out.split("$ kubectl get svc -A", 1)[1]
    row = next(line for line in table.splitlines() if " loadbalanced-service " in line)
    assert re.search(r"\s122\.112\.219\.\d+\s", row), row
    fixed = next(line for line in table.splitlines() if " nginx-fixed-ip " in line)
    assert " 122.112.219.229 " in fixed
    for name in ("service-1", "service-2"):  # the shared pair: the load balancer made by hand
        shared = next(line for line in table.splitlines() if f" {name} " in line)
        assert f" {SHARED_LB_FIP} " in shared, shared
    assert "stop everything: octavia-lb dev down --state-dir" in out
    assert down.returncode == 0 and [pid for pid in started if alive(pid)] == []
