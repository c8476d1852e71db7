"""`octavia-lb dev down`: stops exactly what `up` started (process groups too), frees ports, keeps logs."""

from __future__ import annotations

from pathlib import Path

import pytest
from octavia_lb_devkit.dev.layout import PART_ORDER

from tests.dev.conftest import bring_up, run_dev
from tests.dev.helpers import alive, all_started_pids, listening, recorded_ports

pytestmark = pytest.mark.cluster


def test_down_leaves_nothing_running_and_is_idempotent(tmp_path: Path) -> None:
    stack = bring_up(tmp_path / "state")
    try:
        pids, ports = all_started_pids(stack.state), recorded_ports(stack.state)
        assert len(pids) > len(PART_ORDER)  # the worker's pool children are in its group
        assert all(alive(pid) for pid in pids) and all(listening(port) for port in ports.values())
    finally:
        down = run_dev(stack.state, "down")
    assert down.returncode == 0, down.stdout + down.stderr
    lines = down.stdout.splitlines()
    # the webhook configurations go first, then the parts in reverse start order
    assert lines[0].endswith("configurations removed")
    stopped = [line.split()[1].rstrip(":") for line in lines if " stopped (pid " in line]
    assert stopped == list(reversed(PART_ORDER))
    assert [pid for pid in pids if alive(pid)] == []
    assert [name for name, port in ports.items() if listening(port)] == []
    for name in PART_ORDER:
        assert (stack.state / f"{name}.log").is_file()
    again = run_dev(stack.state, "down")
    assert again.returncode == 0 and "nothing running" in again.stdout
    status = run_dev(stack.state, "status")
    assert status.returncode == 3
    assert status.stdout.count("UNHEALTHY (not started)") == len(PART_ORDER)
