"""Prometheus metrics of the queue machinery: enqueues, reconcile outcomes, leadership, watches, resyncs.

Worker pool children count in prometheus-client's multiprocess mode (`main.py` sets PROMETHEUS_MULTIPROC_DIR
before this module is imported); the parent process serves the sum (metrics_http.py, which also reads the
queue depth from Redis at scrape time).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
