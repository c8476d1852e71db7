"""`octavia-lb dev up | down | status`: the whole system on loopback, with state and logs in one folder.

Modules: `layout` (the state folder and what is recorded), `starters` (one part each), `up`, `down`,
`status`, `health` (the checks), `procs` (stopping process groups safely), `cloud` and `simcloud` (the
simulated cloud the examples run against), `kubesetup` (Nodes and webhook configurations).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from octavia_lb_devkit.dev.starters import StackSettings

PROFILES = ("fast", "realistic")


def _settings(args: argparse.Namespace) -> StackSettings:
    profile = getattr(args, "profile", None) or os.environ.get("OCTAVIA_LB_DEV_PROFILE", "fast")
    if profile not in PROFILES:
        raise ValueError(f"--profile: {profile!r} must be one of {', '.join(PROFILES)}")
    raw = os.environ.get("OCTAVIA_LB_DEV_WORKER_CONCURRENCY", "2")
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"OCTAVIA_LB_DEV_WORKER_CONCURRENCY: {raw!r} must be a whole number of at least 1")
    from octavia_lb_devkit.dev.starters import StackSettings

    return StackSettings(profile=profile, worker_concurrency=int(raw))


def run(args: argparse.Namespace) -> int:
    from octavia_lb_devkit.controlplane.processes import ProcessError
    from octavia_lb_devkit.dev.layout import StateDir

    state = StateDir(Path(args.state_dir))
    if args.action == "status":
        from octavia_lb_devkit.dev.status import status

        return status(state)
    if args.action == "down":
        from octavia_lb_devkit.dev.down import down

        return down(state)
    from octavia_lb_devkit.dev.up import Stack, summary

    try:
        settings = _settings(args)
        parts = Stack(state, settings).up()
    except ValueError as exc:
        print(f"octavia-lb dev up: {exc}", file=sys.stderr)
        return 2
    except (ProcessError, RuntimeError, OSError) as exc:
        print(f"octavia-lb dev up: {exc}", file=sys.stderr)
        print(
            f"logs: {state.root.resolve()}; stop what did start with: octavia-lb dev down "
            f"--state-dir {state.root}",
            file=sys.stderr,
        )
        return 1
    print(summary(state, parts), flush=True)
    return 0
