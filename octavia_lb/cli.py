"""The `octavia-lb` command: one entry point, one subcommand per process kind.

Each subcommand's implementation is imported lazily so that `octavia-lb lint` does not pay for
FastAPI, Celery or openstacksdk imports. Every implementation is a `run(args) -> int` function.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points


def env_default(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"OCTAVIA_LB_{name}", default)


def _add_kubeconfig(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kubeconfig",
        default=env_default("KUBECONFIG"),
        help="kubeconfig file (default: in-cluster config, then $KUBECONFIG, then ~/.kube/config)",
    )


def _add_redis(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--redis-url",
        default=env_default("REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="Redis URL for the queue and locks (env OCTAVIA_LB_REDIS_URL); rediss:// and passwords work",
    )


def _add_cloud_config(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument(
        "--cloud-config",
        default=env_default("CLOUD_CONFIG"),
        required=required and env_default("CLOUD_CONFIG") is None,
        help="OCCM-format cloud.conf (env OCTAVIA_LB_CLOUD_CONFIG)",
    )


# Commands that come with the dev kit (`devkit/`, distribution octavia-lb-devkit), named here so that
# without it they say where they come from instead of argparse's "invalid choice".
DEVKIT_COMMANDS = {"sim": "run a simulator", "dev": "run the whole system locally"}
PLUGIN_GROUP = "octavia_lb.commands"


def _add_plugin_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Subcommands other distributions register (entry-point group `octavia_lb.commands`).

    The product never imports the dev kit: the dev kit adds its `sim` and `dev` through this group.
    """
    added: set[str] = set()
    for entry_point in entry_points(group=PLUGIN_GROUP):
        entry_point.load()(sub)
        added.add(entry_point.name)
    for name, help_text in DEVKIT_COMMANDS.items():
        if name not in added:
            missing = sub.add_parser(name, help=f"{help_text} (needs the dev kit)")
            missing.add_argument("rest", nargs=argparse.REMAINDER)
            missing.set_defaults(target=None, missing_plugin=name)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="octavia-lb", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    lint = sub.add_parser("lint", help="validate Service manifests offline with the webhook's rules")
    _add_cloud_config(lint, required=False)
    lint.add_argument("files", nargs="+", metavar="FILE", help="YAML or JSON manifests; - reads stdin")
    lint.set_defaults(target="octavia_lb.common.lint")

    plan = sub.add_parser(
        "plan",
        help="show the Octavia and Neutron changes the worker would make, offline or --live (read-only)",
    )
    _add_cloud_config(plan, required=False)
    plan.add_argument(
        "--live",
        action="store_true",
        help="read the cluster and the cloud (never writes) instead of the manifest alone",
    )
    _add_kubeconfig(plan)
    plan.add_argument(
        "--cluster-name", default=env_default("CLUSTER_NAME", "kubernetes"), help="as the worker's"
    )
    plan.add_argument(
        "--node",
        action="append",
        default=[],
        metavar="NAME=IP[,IP]",
        help="offline: a Node with these InternalIPs (repeatable); default: the Node objects in the input, "
        "else placeholders node-1..3",
    )
    plan.add_argument("--output", "-o", choices=["text", "json"], default="text")
    plan.add_argument("files", nargs="+", metavar="FILE", help="YAML or JSON manifests; - reads stdin")
    plan.set_defaults(target="octavia_lb.worker.preview.command")

    webhook = sub.add_parser("webhook", help="run the validating and mutating admission webhook (HTTPS)")
    _add_cloud_config(webhook, required=True)
    webhook.add_argument("--tls-cert", required=True, help="PEM certificate chain, reloaded when it changes")
    webhook.add_argument("--tls-key", required=True, help="PEM private key, reloaded when it changes")
    webhook.add_argument("--host", default=env_default("WEBHOOK_HOST", "0.0.0.0"))
    webhook.add_argument("--port", type=int, default=int(env_default("WEBHOOK_PORT", "8443") or 8443))
    _add_kubeconfig(webhook)
    webhook.set_defaults(target="octavia_lb.webhook.server")

    dispatcher = sub.add_parser("dispatcher", help="watch Services and Nodes and enqueue reconciles")
    _add_kubeconfig(dispatcher)
    _add_redis(dispatcher)
    _add_cloud_config(dispatcher, required=False)
    dispatcher.add_argument("--cluster-name", default=env_default("CLUSTER_NAME", "kubernetes"))
    dispatcher.set_defaults(target="octavia_lb.worker.dispatch.dispatcher")

    worker = sub.add_parser("worker", help="run a Celery worker that reconciles Services on Octavia")
    _add_kubeconfig(worker)
    _add_redis(worker)
    _add_cloud_config(worker, required=False)
    worker.add_argument("--cluster-name", default=env_default("CLUSTER_NAME", "kubernetes"))
    worker.add_argument("--concurrency", type=int, default=int(env_default("WORKER_CONCURRENCY", "4") or 4))
    worker.set_defaults(target="octavia_lb.worker.runtime.main")

    _add_plugin_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.target is None:
        print(
            f"octavia-lb: `{args.missing_plugin}` comes with the dev kit, which is not installed; "
            "from a checkout: pip install -e ./devkit",
            file=sys.stderr,
        )
        return 2
    module = importlib.import_module(args.target)
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
