"""Prometheus metrics of the queue machinery: enqueues, reconcile outcomes, queue depth, leadership, watches.

Worker pool children count in prometheus-client's multiprocess mode (`main.py` sets PROMETHEUS_MULTIPROC_DIR
before this module is imported); the parent process serves the sum. Queue depth is read from Redis at
scrape time, so it is right whichever process serves it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import redis
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

ENQUEUES = Counter(
    "octavia_lb_enqueues_total",
    "Reconcile enqueue attempts by reason; result is published or deduplicated",
    ["reason", "result"],
)
RECONCILES = Counter("octavia_lb_reconcile_total", "Reconcile task runs by outcome", ["outcome"])
RECONCILE_SECONDS = Histogram(
    "octavia_lb_reconcile_duration_seconds",
    "Wall time of one reconcile task run",
    ["outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
)
LEADER = Gauge(
    "octavia_lb_dispatcher_leader", "1 while this dispatcher holds the Lease", multiprocess_mode="livemax"
)
WATCH_EVENTS = Counter("octavia_lb_watch_events_total", "Watch events received", ["resource", "type"])
RELISTS = Counter("octavia_lb_watch_lists_total", "Complete lists (first list and re-lists)", ["resource"])
RESYNCS = Counter("octavia_lb_resyncs_total", "Periodic full resyncs done")
DRIFT = Counter(
    "octavia_lb_resync_drift_total",
    "Services a resync found differing from what they want (so enqueued), by cause",
    ["cause"],
)
RESYNC_CHECKED = Gauge(
    "octavia_lb_resync_services", "Tracked Services the last resync compared", multiprocess_mode="livemax"
)
RESYNC_ENQUEUED = Gauge(
    "octavia_lb_resync_enqueued", "Services the last resync enqueued", multiprocess_mode="livemax"
)
RESYNC_REQUESTS = Gauge(
    "octavia_lb_resync_openstack_requests",
    "OpenStack requests the last resync made (bulk lists and member reads)",
    multiprocess_mode="livemax",
)
RESYNC_SECONDS = Histogram(
    "octavia_lb_resync_duration_seconds",
    "Wall time of one resync's drift check",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)


class QueueCollector(Collector):
    """`octavia_lb_queue_depth` (waiting) and `octavia_lb_queue_unacked` (running or counting down)."""

    def __init__(self, client: redis.Redis, queue: str) -> None:
        self._client = client
        self._queue = queue

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from octavia_lb.worker.runtime import queueing  # queueing counts into this module's metrics

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
