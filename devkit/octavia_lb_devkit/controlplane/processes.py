"""Managed daemons for tests and the local stack: start with a log file, wait until ready, stop by PID.

Every daemon (etcd, kube-apiserver, redis-server, ...) runs in its own session so a Ctrl-C in the terminal
does not race our orderly shutdown. A `PidRegistry` (one small JSON file per process in a directory) lets a
later, unrelated process (`octavia-lb dev down`) stop exactly what was started: each entry records the
process start time from /proc so a recycled PID is never signalled.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK = "127.0.0.1"
DEFAULT_GRACE_S = 5.0


class ProcessError(RuntimeError):
    """A managed process failed to start or become ready; the message includes the tail of its log."""


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that was free a moment ago (the OS picks it by binding port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def process_start_ticks(pid: int) -> int | None:
    """The process start time in clock ticks since boot (field 22 of /proc/PID/stat), None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces or ')': split after its closing parenthesis.
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19])


def rss_bytes(pid: int) -> int:
    """Resident set size of a live process, from /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise ProcessError(f"pid {pid}: no VmRSS in /proc/{pid}/status")


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass(frozen=True)
class ManagedProcess:
    """One daemon we started. `popen` is kept so the child is reaped (no zombies) when stopped."""

    name: str
    argv: tuple[str, ...]
    log_path: Path
    popen: subprocess.Popen[bytes] = field(repr=False, compare=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def stop(self, grace: float = DEFAULT_GRACE_S) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds; always reaps the child."""
        if self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                self.popen.kill()
            self.popen.wait()

    def failure(self, what: str) -> ProcessError:
        """An error naming this process, its exit status if any, and the tail of its log."""
        code = self.popen.poll()
        state = f"exited with {code}" if code is not None else "still running"
        return ProcessError(f"{self.name} {what} ({state}); log {self.log_path}:\n{log_tail(self.log_path)}")


def start_process(
    name: str,
    argv: Sequence[str],
    *,
    log_path: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    registry: PidRegistry | None = None,
) -> ManagedProcess:
    """Starts argv in a new session with stdout+stderr appended to log_path."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        try:
            popen = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise ProcessError(f"{name}: cannot run {argv[0]!r}: {exc}") from exc
    proc = ManagedProcess(name=name, argv=tuple(argv), log_path=log_path, popen=popen)
    if registry is not None:
        registry.record(proc)
    return proc


def wait_for_port(host: str, port: int, *, timeout: float, process: ManagedProcess | None = None) -> None:
    """Waits until host:port accepts TCP connections; fails early if `process` dies."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        _check_alive_or_late(process, deadline, f"did not listen on {host}:{port} within {timeout:.0f}s")
        time.sleep(0.05)


def wait_for_http(
    url: str,
    *,
    timeout: float,
    process: ManagedProcess | None = None,
    ssl_context: ssl.SSLContext | None = None,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """Polls url until it answers 200 and returns the body; fails early if `process` dies."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while True:
        request = urllib.request.Request(url, headers=dict(headers or {}))
        try:
            with urllib.request.urlopen(request, timeout=2, context=ssl_context) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except (OSError, ssl.SSLError) as exc:
            last = str(exc)
        _check_alive_or_late(process, deadline, f"{url} not ready within {timeout:.0f}s (last: {last})")
        time.sleep(0.1)


def _check_alive_or_late(process: ManagedProcess | None, deadline: float, message: str) -> None:
    if process is not None and not process.running():
        raise process.failure("exited before becoming ready")
    if time.monotonic() > deadline:
        if process is not None:
            raise process.failure(message)
        raise ProcessError(message)


def stop_pid(pid: int, *, start_ticks: int | None = None, grace: float = DEFAULT_GRACE_S) -> bool:
    """Stops a process that may not be our child. Returns False when it was already gone.

    With start_ticks, a PID now owned by a different process (recycled) is left alone.
    """
    if not _same_process(pid, start_ticks):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    while _alive(pid):
        time.sleep(0.02)
    return True


def _same_process(pid: int, start_ticks: int | None) -> bool:
    current = process_start_ticks(pid)
    return current is not None and (start_ticks is None or current == start_ticks)


def _alive(pid: int) -> bool:
    # A zombie has exited; its parent (perhaps us, via Popen) reaps it and keeps its exit status.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] != "Z"


@dataclass(frozen=True)
class PidEntry:
    """One recorded process: enough to find it again and to be sure it is the same one."""

    name: str
    pid: int
    start_ticks: int | None
    argv: tuple[str, ...]
    log_path: str
    recorded_at: float


class PidRegistry:
    """A directory of `<name>.pid` JSON files, so `dev down` can stop exactly what `dev up` started."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def record(self, proc: ManagedProcess) -> PidEntry:
        entry = PidEntry(
            proc.name, proc.pid, process_start_ticks(proc.pid), proc.argv, str(proc.log_path), time.time()
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(proc.name)
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps({**entry.__dict__, "argv": list(entry.argv)}))
        partial.replace(path)
        return entry

    def entries(self) -> list[PidEntry]:
        """Recorded processes, oldest first."""
        found = []
        for path in self.directory.glob("*.pid"):
            data = json.loads(path.read_text())
            found.append(
                PidEntry(
                    data["name"],
                    int(data["pid"]),
                    data.get("start_ticks"),
                    tuple(data["argv"]),
                    data["log_path"],
                    float(data["recorded_at"]),
                )
            )
        return sorted(found, key=lambda entry: entry.recorded_at)

    def is_running(self, entry: PidEntry) -> bool:
        return _same_process(entry.pid, entry.start_ticks) and _alive(entry.pid)

    def forget(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def stop_all(self, grace: float = DEFAULT_GRACE_S) -> list[str]:
        """Stops every recorded process, newest first (dependents before what they depend on)."""
        stopped = []
        for entry in reversed(self.entries()):
            if stop_pid(entry.pid, start_ticks=entry.start_ticks, grace=grace):
                stopped.append(entry.name)
            self.forget(entry.name)
        return stopped

    def _path(self, name: str) -> Path:
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"process name {name!r} must be a plain file name")
        return self.directory / f"{name}.pid"
