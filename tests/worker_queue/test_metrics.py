"""Prometheus metrics served by real dispatcher and worker processes."""

from __future__ import annotations

import re
import time

import httpx
from kubernetes import client
from octavia_lb_devkit.controlplane.processes import free_port

from octavia_lb.worker.runtime import queueing
from octavia_lb.worker.runtime.celery_app import create_app
from octavia_lb.worker.settings import from_env_and_args
from tests.worker_queue.targets import script_key


def scrape(port: int) -> str:
    return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text


def value(text: str, sample: str) -> float | None:
    match = re.search(rf"^{re.escape(sample)} ([0-9.e+-]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


def eventually(port: int, sample: str, expected: float, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = scrape(port)
        if value(text, sample) == expected or time.monotonic() > deadline:
            assert value(text, sample) == expected, f"{sample} in:\n{text}"
            return text
        time.sleep(0.2)


def test_dispatcher_reports_leadership_enqueues_and_queue_depth(
    cluster, kube_api, namespace, queue_env, start_dispatcher
) -> None:
    port = free_port()
    proc = start_dispatcher(
        "--kubeconfig",
        str(cluster.kubeconfig),
        OCTAVIA_LB_METRICS_PORT=str(port),
        OCTAVIA_LB_LEASE_NAME=f"metrics-{queue_env.cluster_name}",
    )
    proc.wait_log(r"watching services")
    eventually(port, "octavia_lb_dispatcher_leader", 1.0)
    before = scrape(port)
    depth = value(before, "octavia_lb_queue_depth") or 0.0
    body = {
        "metadata": {"name": "measured"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "protocol": "TCP"}]},
    }
    core = client.CoreV1Api(kube_api)
    core.create_namespaced_service(namespace, body)
    for i in range(3):  # a burst: de-duplicated while the first message waits
        core.patch_namespaced_service("measured", namespace, {"metadata": {"annotations": {"x": str(i)}}})
    text = eventually(port, 'octavia_lb_enqueues_total{reason="added",result="published"}', 1.0)
    assert value(text, "octavia_lb_queue_depth") == depth + 1
    text = eventually(port, 'octavia_lb_enqueues_total{reason="updated",result="deduplicated"}', 3.0)
    assert value(text, 'octavia_lb_watch_lists_total{resource="services"}') == 1.0


def test_worker_sums_outcomes_over_its_pool_children(queue_env, start_worker) -> None:
    port = free_port()
    start_worker("--concurrency", "2", OCTAVIA_LB_METRICS_PORT=str(port))
    app = create_app(from_env_and_args(env=queue_env.env))
    r = queue_env.client()
    r.rpush(script_key("default", "bad"), "permanent")
    for name in ("a", "b", "c", "bad"):
        queueing.enqueue_reconcile(app, r, "default", name)
    eventually(port, 'octavia_lb_reconcile_total{outcome="done"}', 3.0)
    # "bad" may run after the three others on a busy machine: wait for it too instead of racing it
    text = eventually(port, 'octavia_lb_reconcile_total{outcome="permanent-error"}', 1.0)
    assert value(text, 'octavia_lb_reconcile_duration_seconds_count{outcome="done"}') == 3.0
    assert value(text, "octavia_lb_queue_depth") == 0.0
