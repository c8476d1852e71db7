"""A loopback redis-server for the worker tests and the local stack.

No persistence (nothing to clean up but the directory) and `maxmemory-policy noeviction`, because a queue
that silently drops messages under memory pressure is worse than one that refuses writes.
"""

from __future__ import annotations

import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from octavia_lb_devkit.controlplane.processes import (
    LOOPBACK,
    ManagedProcess,
    PidRegistry,
    ProcessError,
    free_port,
    start_process,
)

START_ATTEMPTS = 3  # free_port() can race with another process grabbing the port


@dataclass(frozen=True)
class RedisServer:
    """A running redis-server we started."""

    process: ManagedProcess
    port: int
    password: str | None
    directory: Path

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{LOOPBACK}:{self.port}/0"

    def stop(self) -> None:
        self.process.stop()

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found is None:
        raise ProcessError(
            "redis-server not found; install Debian's redis-server: apt-get install -y redis-server"
        )
    return found


def start_redis(
    directory: Path,
    *,
    password: str | None = None,
    registry: PidRegistry | None = None,
    timeout: float = 10.0,
) -> RedisServer:
    """Starts redis-server on a free loopback port with its log in `directory` and waits for PING."""
    # absolute: redis-server runs with cwd=directory, so a relative --dir would resolve twice
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    last: ProcessError | None = None
    for _ in range(START_ATTEMPTS):
        port = free_port()
        process = start_process(
            "redis",
            _argv(directory, port, password),
            log_path=directory / "redis.log",
            cwd=directory,
            registry=registry,
        )
        try:
            _wait_for_ping(process, port, password, timeout)
        except ProcessError as exc:
            process.stop()
            last = exc
            continue
        return RedisServer(process=process, port=port, password=password, directory=directory)
    raise ProcessError(f"redis-server did not start after {START_ATTEMPTS} attempts: {last}")


def _argv(directory: Path, port: int, password: str | None) -> list[str]:
    argv = [
        redis_server_binary(),
        "--port",
        str(port),
        "--bind",
        LOOPBACK,
        "--save",
        "",
        "--appendonly",
        "no",
        "--maxmemory-policy",
        "noeviction",
        "--dir",
        str(directory),
        "--daemonize",
        "no",
        "--logfile",
        "",
    ]
    if password:
        argv += ["--requirepass", password]
    return argv


def _wait_for_ping(process: ManagedProcess, port: int, password: str | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.running():
            raise process.failure("exited before answering PING")
        if _ping(port, password):
            return
        time.sleep(0.02)
    raise process.failure(f"did not answer PING within {timeout:.0f}s")


def _ping(port: int, password: str | None) -> bool:
    """One RESP round trip with the standard library: AUTH (if any) then PING."""
    commands = [["AUTH", password]] if password else []
    commands.append(["PING"])
    payload = b"".join(_resp(command) for command in commands)
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5) as sock:
            sock.sendall(payload)
            answer = b""
            while answer.count(b"\r\n") < len(commands):
                chunk = sock.recv(256)
                if not chunk:
                    break
                answer += chunk
    except OSError:
        return False
    return answer.endswith(b"+PONG\r\n")


def _resp(command: list[str]) -> bytes:
    parts = [f"*{len(command)}\r\n".encode()]
    for word in command:
        data = word.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)
