"""The `octavia-lb webhook` command line the tests and the benchmark start: HTTPS on 127.0.0.1, on a port the
OS picks (port 0; the process announces it)."""

from __future__ import annotations

import sys
from pathlib import Path

from octavia_lb_devkit.testing.certs import CertFiles


def webhook_argv(certs: CertFiles, cloud_conf: Path, kubeconfig: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "octavia_lb",
        "webhook",
        "--cloud-config",
        str(cloud_conf),
        "--tls-cert",
        str(certs.cert),
        "--tls-key",
        str(certs.key),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--kubeconfig",
        str(kubeconfig),
    ]
