"""`octavia-lb webhook`: load cloud.conf, start the Services cache, serve the app over HTTPS with uvicorn.

One process, one event loop (the apiserver reuses connections and one core answers thousands of reviews a
second; run more replicas for availability). SIGTERM and SIGINT shut down gracefully via uvicorn.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from octavia_lb.common.config import CloudConfigError, load_cloud_config
from octavia_lb.common.kube import KubeConfigError, ServicesCache, load_kube_config
from octavia_lb.webhook.app import create_app
from octavia_lb.webhook.tls import CertReloader, TLSConfigError

log = logging.getLogger(__name__)


def uvicorn_config(app: FastAPI, host: str, port: int, reloader: CertReloader) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        ssl_context_factory=lambda _config, _default: reloader.context,
        http="httptools",
        loop="uvloop",
        lifespan="off",
        access_log=False,  # one log line per review would cost more than answering it
        proxy_headers=False,  # the apiserver calls us directly; no X-Forwarded-* to trust or parse
        log_config=None,
        timeout_graceful_shutdown=10,
    )


def bound_port(server: uvicorn.Server) -> int:
    return int(server.servers[0].sockets[0].getsockname()[1])


async def _announce_when_started(server: uvicorn.Server, host: str, announce: Callable[[int], None]) -> None:
    while not server.started:
        if server.should_exit:
            return
        await asyncio.sleep(0.02)
    announce(bound_port(server))


async def serve(server: uvicorn.Server, reloader: CertReloader, announce: Callable[[int], None]) -> None:
    """Run `server` until it exits, reloading the certificate on the same event loop."""
    watcher = asyncio.create_task(reloader.watch())
    started = asyncio.create_task(_announce_when_started(server, server.config.host, announce))
    try:
        await server.serve()
    finally:
        watcher.cancel()
        started.cancel()


def run_https(
    app: FastAPI, host: str, port: int, reloader: CertReloader, announce: Callable[[int], None]
) -> None:
    """Serve `app` until SIGTERM/SIGINT; `announce(port)` runs once the socket listens (port may be 0)."""
    server = uvicorn.Server(uvicorn_config(app, host, port, reloader))
    uvicorn_loop = server.config.get_loop_factory()
    with asyncio.Runner(loop_factory=uvicorn_loop) as runner:
        runner.run(serve(server, reloader, announce))


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_cloud_config(args.cloud_config)
        reloader = CertReloader.for_files(args.tls_cert, args.tls_key)
        api = load_kube_config(args.kubeconfig)
    except (CloudConfigError, TLSConfigError, KubeConfigError, OSError) as exc:
        print(f"octavia-lb webhook: {exc}", file=sys.stderr)
        return 2
    for warning in config.warnings:
        log.warning("%s: %s", args.cloud_config, warning)
    cache = ServicesCache(api, config)
    cache.start()

    def announce(port: int) -> None:
        # tests and tooling read this line to learn the port when --port 0 was given
        print(f"octavia-lb webhook listening on https://{args.host}:{port}", flush=True)

    # uvicorn shuts down gracefully, then re-raises the signal with the handler found at start: make that
    # handler a no-op so a SIGTERM ends in a clean exit 0 (and the cache thread is stopped) instead of a kill
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: log.info("stopped by signal %d", signum))
    try:
        run_https(create_app(config, cache), args.host, args.port, reloader, announce)
    finally:
        cache.stop()
    return 0
