"""`octavia-lb lint [--cloud-config FILE] FILE|- ...`: the webhook's rules, offline, for CI pipelines.

All files of one call form one cluster, read in the order `kubectl apply -f` of the same files would
send them: each Service is reviewed against those before it that were admitted, so of several Services
over-sharing one load balancer only the ones that join too late are denied, as the webhook would. A
Service named twice is reviewed the second time as an update of the first. Output: one line per warning
and one verdict line per Service (`<ns>/<name>: ok`, `<ns>/<name>: denied: <message>`,
`<ns>/<name>: warning: <text>`).
Exit 0 when all would be admitted, 1 when any would be denied, 2 when the input or cloud.conf
cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from octavia_lb.common.config import CloudConfig, CloudConfigError, load_cloud_config
from octavia_lb.common.manifests import ManifestError, read_objects, services_of
from octavia_lb.common.rules import peer_of, review
from octavia_lb.common.service import ServiceView

EXIT_OK, EXIT_DENIED, EXIT_UNREADABLE = 0, 1, 2


def run(args: argparse.Namespace) -> int:
    """Entry point of the `lint` subcommand."""
    try:
        config = load_cloud_config(args.cloud_config) if args.cloud_config else CloudConfig.default()
        services = [svc for path in args.files for svc in services_of(read_objects(path))]
    except (CloudConfigError, ManifestError) as exc:
        print(f"octavia-lb lint: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    for warning in config.warnings:
        print(f"octavia-lb lint: warning: {warning}", file=sys.stderr)
    return lint_services(services, config, sys.stdout)


def lint_services(services: list[Mapping[str, Any]], config: CloudConfig, out: TextIO) -> int:
    """Review the Services in admission order; print the lines; return the exit code."""
    admitted: dict[str, Mapping[str, Any]] = {}  # namespace/name → the object the cluster would hold
    denied = False
    for svc in services:
        view = ServiceView.from_dict(svc)
        label = f"{view.namespace}/{view.name or '<no name>'}"
        peers = [peer for key, obj in admitted.items() if key != label and (peer := peer_of(obj, config))]
        verdict = review(svc, admitted.get(label), peers, config)
        for warning in verdict.warnings:
            print(f"{label}: warning: {warning}", file=out)
        print(f"{label}: ok" if verdict.allowed else f"{label}: denied: {verdict.message}", file=out)
        if verdict.allowed:
            admitted[label] = svc
        denied = denied or not verdict.allowed
    return EXIT_DENIED if denied else EXIT_OK
