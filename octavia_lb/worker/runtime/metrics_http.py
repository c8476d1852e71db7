"""/metrics over HTTP: the metrics of metrics.py (summed over worker pool children in multiprocess mode), and
the queue's depth, unacked count and memory read from Redis at scrape time, right whichever process serves.

Apart from metrics.py because queueing counts into metrics.py and this module reads through queueing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import redis
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from octavia_lb.worker.runtime import queueing

log = logging.getLogger(__name__)


class QueueCollector(Collector):
    """`octavia_lb_queue_depth` (waiting) and `octavia_lb_queue_unacked` (running or counting down)."""

    def __init__(self, client: redis.Redis, queue: str) -> None:
        self._client = client
        self._queue = queue

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            depth = queueing.queue_depth(self._client, self._queue)
            unacked = queueing.unacked_count(self._client)
        except redis.RedisError as exc:
            log.warning("queue depth unavailable: %s", exc)
            return
        yield GaugeMetricFamily("octavia_lb_queue_depth", "Messages waiting in the queue", value=depth)
        yield GaugeMetricFamily("octavia_lb_queue_unacked", "Delivered, not yet acked", value=unacked)
        try:
            used = queueing.queue_memory(self._client, self._queue)
        except redis.RedisError as exc:  # MEMORY USAGE may be disabled (renamed commands)
            log.warning("queue memory unavailable: %s", exc)
            return
        yield GaugeMetricFamily(
            "octavia_lb_queue_memory_bytes", "Redis memory of the waiting messages", value=used
        )
        yield GaugeMetricFamily(
            "octavia_lb_queue_bytes_per_message",
            "Redis memory per waiting message (one per waiting Service), 0 when the queue is empty",
            value=used / depth if depth else 0.0,
        )


def serve(port: int, client: redis.Redis, queue: str, host: str = "127.0.0.1") -> int:
    """Serve /metrics on host:port (0 picks a free port); returns the port."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    registry.register(QueueCollector(client, queue))
    server, _thread = start_http_server(port, addr=host, registry=registry)
    log.info("metrics on http://%s:%d/metrics", host, server.server_port)
    return int(server.server_port)
