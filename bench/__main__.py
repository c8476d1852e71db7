"""`python -m bench` (`make bench`): every benchmark, then one Markdown table of all the figures.

    python -m bench                         # the full set (about 10 minutes on 2 cores)
    python -m bench --quick                 # T = 10 s, K <= 10, one 2 s webhook round (~2.5 min)
    python -m bench --only webhook,calls    # a subset: webhook, provision, calls, sim
    python -m bench --smoke                 # the smallest configuration of each (what tests/bench runs)

Each benchmark starts and stops its own processes; the table is printed once all have run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import calls, report, scaling, sim, webhook  # noqa: E402
from bench.report import Row  # noqa: E402

BENCHMARKS = ("webhook", "provision", "calls", "sim")


class Mode(Enum):
    FULL = "full"
    QUICK = "quick"
    SMOKE = "smoke"


@dataclass(frozen=True)
class Sizing:
    """How long each benchmark runs in a mode."""

    webhook_runs: int
    webhook_seconds: int
    plan: scaling.Plan


SIZING = {
    Mode.FULL: Sizing(webhook.RUNS, webhook.DURATION_S, scaling.FULL),
    Mode.QUICK: Sizing(1, 2, scaling.QUICK),
    Mode.SMOKE: Sizing(1, 1, scaling.SMOKE),
}


def _webhook(size: Sizing) -> list[Row]:
    measured = webhook.measure_all(size.webhook_runs, size.webhook_seconds)
    webhook.print_throughput(measured.throughput, measured.body_size, size.webhook_runs, size.webhook_seconds)
    return report.webhook_rows(measured)


def _provision(size: Sizing) -> list[Row]:
    figures = scaling.run_plan(size.plan)
    scaling.print_figures(figures)
    return report.scaling_rows(figures)


def _calls(_size: Sizing) -> list[Row]:
    return report.calls_rows(calls.measure_rows())


def _sim(_size: Sizing) -> list[Row]:
    return report.sim_rows(sim.rates())


RUNNERS: dict[str, Callable[[Sizing], list[Row]]] = {
    "webhook": _webhook,
    "provision": _provision,
    "calls": _calls,
    "sim": _sim,
}


def parse_only(raw: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in raw.split(",") if name.strip())
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"--only: {raw!r} must be a comma-separated list of {', '.join(BENCHMARKS)}"
        )
    return names


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", type=parse_only, default=BENCHMARKS, help="comma-separated subset")
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--quick", action="store_const", dest="mode", const=Mode.QUICK)
    modes.add_argument("--smoke", action="store_const", dest="mode", const=Mode.SMOKE)
    parser.set_defaults(mode=Mode.FULL)
    return parser.parse_args(argv)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    size = SIZING[args.mode]
    chosen = ", ".join(args.only)
    print(f"python -m bench ({args.mode.value}: {chosen}); load at start: {uptime()}", flush=True)
    rows: list[Row] = []
    for name in args.only:
        started = time.monotonic()
        print(f"\n== {name} ==", flush=True)
        rows += RUNNERS[name](size)
        print(f"{name}: done in {time.monotonic() - started:.0f} s", flush=True)
    print(f"\nload at end: {uptime()}; {os.cpu_count()} cores\n")
    print(report.render(rows))


if __name__ == "__main__":
    main()
