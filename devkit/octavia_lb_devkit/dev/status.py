"""`octavia-lb dev status`: each part with its PID, port and health; exit 0 only when all are healthy."""

from __future__ import annotations

from dataclasses import dataclass

from octavia_lb_devkit.dev.health import check
from octavia_lb_devkit.dev.layout import PART_ORDER, StateDir
from octavia_lb_devkit.dev.procs import running

EXIT_HEALTHY = 0
EXIT_UNHEALTHY = 3


@dataclass(frozen=True)
class PartStatus:
    name: str
    pid: int | None
    port: int | None
    healthy: bool
    detail: str


def collect(state: StateDir) -> list[PartStatus]:
    parts = state.load_parts()
    found = []
    for name in PART_ORDER:
        part = parts.get(name)
        entry = running(state.pids, name)
        if part is None:
            found.append(PartStatus(name, None, None, False, "not started"))
        elif entry is None:
            found.append(PartStatus(name, None, part.port, False, "process not running"))
        else:
            health = check(part)
            found.append(PartStatus(name, entry.pid, part.port, health.healthy, health.detail))
    return found


def render(statuses: list[PartStatus]) -> str:
    lines = [f"{'PART':<16}{'PID':>8}  {'PORT':>6}  HEALTH"]
    for s in statuses:
        verdict = "healthy" if s.healthy else "UNHEALTHY"
        pid = str(s.pid) if s.pid is not None else "-"
        port = str(s.port) if s.port is not None else "-"
        lines.append(f"{s.name:<16}{pid:>8}  {port:>6}  {verdict} ({s.detail})")
    return "\n".join(lines)


def status(state: StateDir) -> int:
    statuses = collect(state)
    print(render(statuses), flush=True)
    return EXIT_HEALTHY if all(s.healthy for s in statuses) else EXIT_UNHEALTHY
