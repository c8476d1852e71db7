"""Prometheus metrics of the webhook, on a registry per app so several apps can live in one process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Around the apiserver's own first buckets (5 ms, 25 ms): our answers should land well inside the first.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1.0, 2.5, 10.0)


@dataclass(frozen=True)
class WebhookMetrics:
    registry: CollectorRegistry
    admissions: Counter
    latency: Histogram
    bad_requests: Counter
    internal_errors: Counter
    # (webhook, operation, verdict) -> the labelled children: `labels()` validates and locks on every call,
    # and there are at most 2 x 4 x 4 combinations
    _bound: dict[tuple[str, str, str], tuple[Counter, Histogram]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def observe(self, webhook: str, operation: str, verdict: str, seconds: float) -> None:
        labels = (webhook, operation, verdict)
        bound = self._bound.get(labels)
        if bound is None:
            bound = self._bound[labels] = (self.admissions.labels(*labels), self.latency.labels(*labels))
        bound[0].inc()
        bound[1].observe(seconds)


def create_metrics(cache_size: Callable[[], int]) -> WebhookMetrics:
    registry = CollectorRegistry()
    labels = ("webhook", "operation", "verdict")
    cache_services = Gauge(
        "octavia_lb_webhook_cache_services",
        "Managed Services (peers) held in the webhook's Services cache",
        registry=registry,
    )
    cache_services.set_function(cache_size)
    return WebhookMetrics(
        registry=registry,
        admissions=Counter(
            "octavia_lb_webhook_admissions", "AdmissionReviews answered", labels, registry=registry
        ),
        latency=Histogram(
            "octavia_lb_webhook_admission_duration_seconds",
            "Time from the request reaching the handler to the answer being encoded",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
        bad_requests=Counter(
            "octavia_lb_webhook_bad_requests",
            "Requests answered with HTTP 400 or 413",
            ("webhook", "code"),
            registry=registry,
        ),
        internal_errors=Counter(
            "octavia_lb_webhook_internal_errors",
            "Requests that raised inside the webhook (answered 500); each one is a bug",
            ("webhook",),
            registry=registry,
        ),
    )
