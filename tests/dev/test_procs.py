"""Stopping recorded processes with their groups; the state folder records (real processes, no stack)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from octavia_lb_devkit.controlplane.processes import PidRegistry, free_port, start_process
from octavia_lb_devkit.dev.health import check
from octavia_lb_devkit.dev.layout import CheckKind, Part, StateDir
from octavia_lb_devkit.dev.procs import group_members, stop_entry, stop_named

from tests.dev.helpers import alive


def _wait_for_members(pgid: int, count: int) -> list[tuple[int, int]]:
    deadline = time.monotonic() + 5
    while len(members := group_members(pgid)) < count:
        assert time.monotonic() < deadline, members
        time.sleep(0.02)
    return members


def test_stop_entry_stops_the_leader_and_its_group(tmp_path: Path) -> None:
    registry = PidRegistry(tmp_path / "pids")
    # a shell that ignores SIGTERM's default for its children: they outlive it unless stopped too
    proc = start_process(
        "group", ["sh", "-c", "sleep 60 & sleep 60 & wait"], log_path=tmp_path / "g.log", registry=registry
    )
    members = _wait_for_members(proc.pid, 2)
    (entry,) = registry.entries()
    assert stop_entry(entry) is True
    proc.popen.wait(timeout=5)
    assert [pid for pid, _ in members if alive(pid)] == []


def test_a_recycled_pid_is_left_alone(tmp_path: Path) -> None:
    registry = PidRegistry(tmp_path / "pids")
    proc = start_process("victim", ["sleep", "60"], log_path=tmp_path / "v.log", registry=registry)
    (entry,) = registry.entries()
    impostor = type(entry)(**{**entry.__dict__, "start_ticks": (entry.start_ticks or 0) + 1})
    try:
        assert stop_entry(impostor) is False
        assert proc.running()
    finally:
        proc.stop()


def test_stop_named_forgets_the_entry_even_when_already_gone(tmp_path: Path) -> None:
    registry = PidRegistry(tmp_path / "pids")
    proc = start_process("short", ["true"], log_path=tmp_path / "s.log", registry=registry)
    proc.popen.wait(timeout=5)
    assert stop_named(registry, "short") is False
    assert registry.entries() == []


def test_parts_round_trip_in_start_order(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    state.save_part(Part("worker", 2, CheckKind.HTTP, "http://127.0.0.1:2/metrics"))
    state.save_part(Part("redis", 1, CheckKind.REDIS, "redis://127.0.0.1:1"))
    assert list(state.load_parts()) == ["redis", "worker"]
    assert state.load_parts()["redis"].check is CheckKind.REDIS
    state.forget_part("redis")
    assert list(state.load_parts()) == ["worker"]


def test_health_checks_fail_with_a_reason_on_a_closed_port() -> None:
    port = free_port()
    for kind, url in (
        (CheckKind.REDIS, f"redis://127.0.0.1:{port}"),
        (CheckKind.HTTP, f"http://127.0.0.1:{port}/"),
    ):
        health = check(Part("x", port, kind, url))
        assert not health.healthy and "refused" in health.detail.lower()


def test_redis_check_passes_on_a_real_redis(tmp_path: Path) -> None:
    from octavia_lb_devkit.controlplane.redis import start_redis

    with start_redis(tmp_path) as server:
        health = check(Part("redis", server.port, CheckKind.REDIS, f"redis://127.0.0.1:{server.port}"))
    assert health.healthy and health.detail == "+PONG"


def test_http_check_sees_a_non_200(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        ["python3", "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while "refused" in check(Part("h", port, CheckKind.HTTP, f"http://127.0.0.1:{port}/")).detail.lower():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        missing = check(Part("h", port, CheckKind.HTTP, f"http://127.0.0.1:{port}/missing"))
        found = check(Part("h", port, CheckKind.HTTP, f"http://127.0.0.1:{port}/"))
    finally:
        server.terminate()
        server.wait(timeout=5)
    assert (missing.healthy, missing.detail) == (False, "HTTP 404")
    assert (found.healthy, found.detail) == (True, "HTTP 200")
