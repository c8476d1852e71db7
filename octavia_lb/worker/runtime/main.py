"""`octavia-lb worker`: a Celery worker on the project's app, consuming the reconcile queue.

Prefork pool (`--concurrency N` children): the hard time limit and `reject_on_worker_lost` need child
processes. Mingle and gossip are off: workers share nothing, and they cost a second at start-up.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import socket
import tempfile

from octavia_lb.worker.settings import SettingsError, from_env_and_args, redacted_redis_url


def _multiprocess_metrics_dir() -> str:
    # must be set before prometheus_client is first imported, in this process and so in the pool children
    path = tempfile.mkdtemp(prefix="octavia-lb-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


def worker_argv(concurrency: int, queue: str, loglevel: str = "INFO") -> list[str]:
    return [
        "worker",
        f"--concurrency={concurrency}",
        "--pool=prefork",
        "--without-mingle",
        "--without-gossip",
        "--task-events",
        f"--queues={queue}",
        f"--loglevel={loglevel}",
        f"--hostname=octavia-lb@{socket.gethostname()}-{os.getpid()}",
    ]


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = from_env_and_args(args)
    except SettingsError as exc:
        logging.getLogger(__name__).error("%s", exc)
        return 2
    concurrency = getattr(args, "concurrency", None)
    concurrency = 1 if concurrency is None else int(concurrency)
    if concurrency < 1:
        logging.getLogger(__name__).error("--concurrency: %r must be at least 1", concurrency)
        return 2
    metrics_dir = _multiprocess_metrics_dir() if settings.metrics_port is not None else None
    try:
        from octavia_lb.worker.runtime.celery_app import create_app

        app = create_app(settings)
        if settings.metrics_port is not None:
            from octavia_lb.worker.runtime import metrics_http, redis_client

            metrics_http.serve(
                settings.metrics_port,
                redis_client.connect(settings),
                settings.queue,
                host=settings.metrics_host,
            )
        logging.getLogger(__name__).info(
            "worker on %s, queue %s, concurrency %d",
            redacted_redis_url(settings),
            settings.queue,
            concurrency,
        )
        app.worker_main(worker_argv(concurrency, settings.queue))
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0
