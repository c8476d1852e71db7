"""The dev kit's subcommands of `octavia-lb`: `sim openstack` and `dev up|down|status`.

Registered through the entry-point group `octavia_lb.commands` (devkit/pyproject.toml), so the product's
CLI offers them when the dev kit is installed without importing it.
"""

from __future__ import annotations

import argparse

from octavia_lb.cli import DEVKIT_COMMANDS, env_default

Subcommands = argparse._SubParsersAction  # argparse's own type for add_subparsers' result


def add_sim(sub: Subcommands[argparse.ArgumentParser]) -> None:
    sim = sub.add_parser("sim", help=DEVKIT_COMMANDS["sim"])
    sim_sub = sim.add_subparsers(dest="sim_command", required=True, metavar="WHAT")
    openstack = sim_sub.add_parser("openstack", help="Keystone, Neutron and Octavia over HTTP")
    openstack.add_argument("--host", default="127.0.0.1")
    openstack.add_argument("--port", type=int, default=8774)
    openstack.add_argument("--profile", choices=["fast", "realistic"], default="fast")
    openstack.add_argument("--seed-file", help="YAML seed data (default: the built-in seed)")
    openstack.add_argument("--random-seed", type=int, default=0)
    openstack.add_argument("--max-api-version", default=None, help="highest Octavia API version, e.g. 2.11")
    openstack.add_argument(
        "--write-clouds-yaml", metavar="PATH", help="write a clouds.yaml for this simulator"
    )
    openstack.add_argument(
        "--print-cloud-conf", action="store_true", help="print the matching cloud.conf [Global] section"
    )
    openstack.set_defaults(target="octavia_lb_devkit.sim.server")


def add_dev(sub: Subcommands[argparse.ArgumentParser]) -> None:
    dev = sub.add_parser("dev", help=DEVKIT_COMMANDS["dev"])
    dev.add_argument("action", choices=["up", "down", "status"])
    dev.add_argument("--state-dir", default=env_default("DEV_STATE_DIR", ".dev"))
    dev.add_argument(
        "--profile",
        choices=["fast", "realistic"],
        default=env_default("DEV_PROFILE", "fast"),
        help="the OpenStack simulator's timing profile",
    )
    dev.set_defaults(target="octavia_lb_devkit.dev")
