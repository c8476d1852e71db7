"""Stopping what `up` started, including the children it spawned (Celery's pool, for instance).

Every part runs in its own session, so its process group id is the PID `up` recorded. The leader is
identified by its recorded start time before anything is signalled; the group's other members are
collected first and stopped afterwards, so a worker's pool children never outlive `down`.
"""

from __future__ import annotations

from pathlib import Path

from octavia_lb_devkit.controlplane.processes import PidEntry, PidRegistry, process_start_ticks, stop_pid

GRACE_S = 10.0  # Celery's warm shutdown and uvicorn's graceful one finish well inside this when idle
MEMBER_GRACE_S = 3.0


def group_members(pgid: int) -> list[tuple[int, int]]:
    """(pid, start ticks) of every live process in process group `pgid` except its leader."""
    members = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == pgid:
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            members.append((int(proc.name), int(fields[19])))
    return members


def stop_entry(entry: PidEntry) -> bool:
    """Stops a recorded process and its group; False when the recorded process was already gone."""
    if entry.start_ticks is None or process_start_ticks(entry.pid) != entry.start_ticks:
        return False  # gone, or the PID now belongs to someone else: touch nothing
    members = group_members(entry.pid)
    stopped = stop_pid(entry.pid, start_ticks=entry.start_ticks, grace=GRACE_S)
    for pid, ticks in members:
        stop_pid(pid, start_ticks=ticks, grace=MEMBER_GRACE_S)
    return stopped


def stop_named(registry: PidRegistry, name: str) -> bool:
    """Stops the process recorded under `name` (if any) and forgets it."""
    for entry in registry.entries():
        if entry.name == name:
            stopped = stop_entry(entry)
            registry.forget(name)
            return stopped
    return False


def running(registry: PidRegistry, name: str) -> PidEntry | None:
    """The recorded entry for `name` when that very process is still alive."""
    for entry in registry.entries():
        if entry.name == name and registry.is_running(entry):
            return entry
    return None
