"""Managed processes: start, readiness waits, stop by PID with escalation, and the pidfile registry."""

from __future__ import annotations

import dataclasses
import json
import socket
import sys
import time
from pathlib import Path

import pytest
from octavia_lb_devkit.controlplane.processes import (
    PidRegistry,
    ProcessError,
    free_port,
    process_start_ticks,
    start_process,
    stop_pid,
    wait_for_http,
    wait_for_port,
)

IGNORES_SIGTERM = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('up', flush=True); time.sleep(60)"
)


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
    assert 1024 <= port <= 65535


def test_process_writes_its_log_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc = start_process(
        "echoer",
        [sys.executable, "-c", "print('hello', flush=True); import time; time.sleep(60)"],
        log_path=tmp_path / "echoer.log",
    )
    deadline = time.monotonic() + 10
    while "hello" not in (tmp_path / "echoer.log").read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "hello" in (tmp_path / "echoer.log").read_text()
    started = time.monotonic()
    proc.stop(grace=5)
    assert not proc.running()
    assert proc.popen.returncode == -15  # SIGTERM, not the SIGKILL fallback
    assert time.monotonic() - started < 2


def test_stop_escalates_to_sigkill_after_grace(tmp_path: Path) -> None:
    proc = start_process("stubborn", [sys.executable, "-c", IGNORES_SIGTERM], log_path=tmp_path / "s.log")
    _wait_for_text(tmp_path / "s.log", "up")
    started = time.monotonic()
    proc.stop(grace=0.5)
    assert proc.popen.returncode == -9
    assert 0.5 <= time.monotonic() - started < 5


def test_wait_for_port_fails_early_with_the_log_tail_when_the_process_dies(tmp_path: Path) -> None:
    proc = start_process(
        "crasher",
        [sys.executable, "-c", "import sys; print('bad flag --foo'); sys.exit(3)"],
        log_path=tmp_path / "c.log",
    )
    started = time.monotonic()
    with pytest.raises(
        ProcessError, match=r"crasher exited before becoming ready \(exited with 3\)[\s\S]*bad flag --foo"
    ):
        wait_for_port("127.0.0.1", free_port(), timeout=30, process=proc)
    assert time.monotonic() - started < 10


def test_wait_for_port_and_http_succeed_against_a_real_server(tmp_path: Path) -> None:
    port = free_port()
    proc = start_process(
        "http",
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)],
        log_path=tmp_path / "http.log",
    )
    (tmp_path / "ready.txt").write_text("yes")
    try:
        wait_for_port("127.0.0.1", port, timeout=20, process=proc)
        assert wait_for_http(f"http://127.0.0.1:{port}/ready.txt", timeout=20, process=proc) == b"yes"
    finally:
        proc.stop()


def test_wait_for_http_times_out_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/readyz"
    with pytest.raises(ProcessError, match=f"{url} not ready within 1s"):
        wait_for_http(url, timeout=1)


def test_registry_lets_another_owner_stop_exactly_what_was_started(tmp_path: Path) -> None:
    registry = PidRegistry(tmp_path / "pids")
    first = start_process(
        "one", [sys.executable, "-c", IGNORES_SIGTERM], log_path=tmp_path / "1.log", registry=registry
    )
    second = start_process(
        "two",
        [sys.executable, "-c", "import time; time.sleep(60)"],
        log_path=tmp_path / "2.log",
        registry=registry,
    )
    _wait_for_text(tmp_path / "1.log", "up")
    recorded = json.loads((tmp_path / "pids" / "one.pid").read_text())
    assert recorded["pid"] == first.pid and recorded["start_ticks"] == process_start_ticks(first.pid)

    later = PidRegistry(tmp_path / "pids")  # as `dev down` would, knowing only the directory
    assert [entry.name for entry in later.entries()] == ["one", "two"]
    assert all(later.is_running(entry) for entry in later.entries())
    assert later.stop_all(grace=0.5) == ["two", "one"]
    assert first.popen.wait(timeout=5) == -9 and second.popen.wait(timeout=5) == -15
    assert later.entries() == []


def test_a_recycled_pid_is_not_signalled(tmp_path: Path) -> None:
    registry = PidRegistry(tmp_path / "pids")
    proc = start_process(
        "victim",
        [sys.executable, "-c", "import time; time.sleep(60)"],
        log_path=tmp_path / "v.log",
        registry=registry,
    )
    try:
        entry = registry.entries()[0]
        imposter = dataclasses.replace(entry, start_ticks=(entry.start_ticks or 0) + 1)
        assert stop_pid(imposter.pid, start_ticks=imposter.start_ticks) is False
        assert proc.running()
    finally:
        proc.stop()
    assert stop_pid(proc.pid, start_ticks=entry.start_ticks) is False  # already gone


def test_registry_rejects_names_that_are_paths(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"process name '../x' must be a plain file name"):
        PidRegistry(tmp_path).forget("../x")


def _wait_for_text(path: Path, text: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        time.sleep(0.02)
    raise AssertionError(f"{text!r} never appeared in {path}")
