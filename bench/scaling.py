"""Time to address for 1, 10 and 100 Services vs T, and worker scaling with 1, 2 and 4 processes.

Run with `python -m bench.scaling [--quick]`. One stack (Redis, etcd + kube-apiserver, Nodes) serves every
run; each run gets a fresh realistic simulator and pipeline (see bench/provision.py). Full plan: T = 60 s,
K = 1, 10, 100 with 2 workers, then K = 100 with 1, 2 (shared with the first table) and 4 workers, each
worker with 4 pool children. `--quick`: T = 10 s, K = 1 and 10, workers 1 and 2 at K = 10.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.provision import (  # noqa: E402
    RunConfig,
    RunResult,
    interrupts_as_keyboard,
    measure,
    print_table,
    stack,
    uptime,
)


@dataclass(frozen=True)
class Plan:
    """Which runs to make: Service counts at `workers`, and worker counts at `scaling_services`."""

    build_seconds: float
    concurrency: int
    sizes: tuple[int, ...]
    workers: int
    worker_counts: tuple[int, ...]
    scaling_services: int

    def configs(self) -> list[RunConfig]:
        wanted = [RunConfig(k, self.workers, self.concurrency, self.build_seconds) for k in self.sizes]
        k = self.scaling_services
        wanted += [RunConfig(k, w, self.concurrency, self.build_seconds) for w in self.worker_counts]
        return list(dict.fromkeys(wanted))  # the K=100, 2-worker run serves both tables


FULL = Plan(60.0, 4, (1, 10, 100), 2, (1, 2, 4), 100)
QUICK = Plan(10.0, 4, (1, 10), 2, (1, 2), 10)
SMOKE = Plan(3.0, 2, (1,), 1, (1,), 1)  # tests/bench: the smallest configuration


@dataclass(frozen=True)
class Figures:
    """Every run of a plan, by configuration, with the machine load before and after."""

    plan: Plan
    results: dict[RunConfig, RunResult]
    load_before: str
    load_after: str

    def by_size(self) -> list[RunResult]:
        p = self.plan
        return [self.results[RunConfig(k, p.workers, p.concurrency, p.build_seconds)] for k in p.sizes]

    def by_workers(self) -> list[RunResult]:
        p = self.plan
        return [
            self.results[RunConfig(p.scaling_services, w, p.concurrency, p.build_seconds)]
            for w in p.worker_counts
        ]


def run_plan(plan: Plan) -> Figures:
    before = uptime()
    results: dict[RunConfig, RunResult] = {}
    with interrupts_as_keyboard(), stack() as stk:
        for index, config in enumerate(plan.configs()):
            c = config
            print(f"run: K={c.services}, {c.workers} × {c.concurrency}, T={c.build_seconds:g}", flush=True)
            results[config] = measure(stk, config, db=1 + index % 15)
    return Figures(plan, results, before, uptime())


def print_figures(figures: Figures) -> None:
    plan = figures.plan
    print(f"\nTime to address vs T ({plan.workers} workers × {plan.concurrency})")
    print_table(figures.by_size())
    print(f"\nWorker scaling, K = {plan.scaling_services} (each worker × {plan.concurrency})")
    print_table(figures.by_workers())
    print(f"\nload before: {figures.load_before}\nload after:  {figures.load_after}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="T = 10 s, K = 1 and 10, workers 1 and 2")
    parser.add_argument("--smoke", action="store_true", help="T = 3 s, K = 1, one worker (for tests)")
    args = parser.parse_args(argv)
    plan = SMOKE if args.smoke else QUICK if args.quick else FULL
    print_figures(run_plan(plan))


if __name__ == "__main__":
    main()
