"""What the dev tests inspect: recorded PIDs (with their process groups) and ports, from the state folder."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from octavia_lb_devkit.dev.procs import group_members


def recorded_pids(state: Path) -> dict[str, int]:
    return {
        path.stem: int(json.loads(path.read_text())["pid"]) for path in sorted((state / "pids").glob("*.pid"))
    }


def recorded_ports(state: Path) -> dict[str, int]:
    return {name: int(part["port"]) for name, part in json.loads((state / "parts.json").read_text()).items()}


def all_started_pids(state: Path) -> set[int]:
    """Every recorded PID and every member of its process group (a worker's pool children)."""
    pids = set(recorded_pids(state).values())
    for pid in list(pids):
        pids.update(member for member, _ticks in group_members(pid))
    return pids


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (a zombie has exited; only its entry remains)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] != "Z"


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0
