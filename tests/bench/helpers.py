"""Reading what the benchmarks print: Markdown tables, numeric cells, and the PIDs they announce."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def run_bench(*args: str, timeout: float) -> str:
    """Runs `python -m <args>` from the repository; fails with the output when it exits non-zero."""
    done = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    command = " ".join(args)
    assert done.returncode == 0, f"python -m {command}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def tables(output: str) -> list[list[list[str]]]:
    """Every Markdown table in `output`: rows of stripped cells, the separator line left out."""
    found: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*output.splitlines(), ""]:
        if line.startswith("|"):
            if not re.fullmatch(r"\|(---\|)+", line):
                current.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif current:
            found.append(current)
            current = []
    return found


def numbers(cell: str) -> list[float]:
    return [float(n) for n in NUMBER.findall(cell)]


def announced_pids(output: str) -> dict[str, int]:
    return {name: int(pid) for name, pid in re.findall(r"^started (\S+) pid (\d+)$", output, re.M)}


def alive(pid: int) -> bool:
    """True when `pid` runs and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"
