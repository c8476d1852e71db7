"""`make run` for now: lint the example Services, then serve the webhook locally with a generated certificate.

Without a cluster the Services cache is static and empty (sharing rules see no other Services); with
`--kubeconfig` (or $OCTAVIA_LB_KUBECONFIG) it lists and watches that cluster's Services instead.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from octavia_lb.common.config import CloudConfigError, load_cloud_config
from octavia_lb.common.kube import KubeConfigError, ServicesCache, load_kube_config
from octavia_lb.webhook.app import create_app
from octavia_lb.webhook.certs import write_certs
from octavia_lb.webhook.server import run_https
from octavia_lb.webhook.tls import CertReloader

EXAMPLES = Path("examples")


def lint_examples(cloud_conf: Path) -> None:
    """Run `octavia-lb lint` on the good and the bad examples, one call per folder (one cluster each)."""
    for folder in ("good", "bad"):
        files = sorted(str(p) for p in (EXAMPLES / folder).glob("*.yaml"))
        if not files:
            continue
        print(f"$ octavia-lb lint --cloud-config {cloud_conf} {EXAMPLES / folder}/*.yaml", flush=True)
        command = [sys.executable, "-m", "octavia_lb", "lint", "--cloud-config", str(cloud_conf), *files]
        done = subprocess.run(command, check=False)
        print(f"(exit {done.returncode})\n", flush=True)


def _usage(port: int, ca: Path) -> str:
    url = f"https://127.0.0.1:{port}"
    return (
        f"webhook listening on {url} (Ctrl-C or SIGTERM to stop)\n"
        f"  curl --cacert {ca} {url}/readyz\n"
        f"  curl --cacert {ca} -H 'Content-Type: application/json' --data @review.json {url}/validate\n"
        f"  curl --cacert {ca} {url}/metrics\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m octavia_lb.localrun", description="lint the examples, then serve the webhook"
    )
    parser.add_argument("--cloud-config", type=Path, default=EXAMPLES / "cloud.conf")
    parser.add_argument("--kubeconfig", default=os.environ.get("OCTAVIA_LB_KUBECONFIG"))
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--state-dir", type=Path, default=Path(".dev"))
    args = parser.parse_args(argv)
    try:
        config = load_cloud_config(args.cloud_config)
        cache = ServicesCache.static()
        if args.kubeconfig:
            cache = ServicesCache(load_kube_config(args.kubeconfig), config)
    except (CloudConfigError, KubeConfigError) as exc:
        print(f"localrun: {exc}", file=sys.stderr)
        return 2
    lint_examples(args.cloud_config)
    certs = write_certs(args.state_dir / "tls")
    print(f"certificate: {certs.cert} (CA {certs.ca_cert})")
    cache.start()
    # a no-op handler for uvicorn to re-raise after its graceful shutdown: exit 0 instead of dying by signal
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _signum, _frame: None)
    try:
        run_https(
            create_app(config, cache),
            "127.0.0.1",
            args.port,
            CertReloader.for_files(certs.cert, certs.key),
            lambda port: print(_usage(port, certs.ca_cert), flush=True),
        )
    finally:
        cache.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
