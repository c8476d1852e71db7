"""Starting each part of the local stack and returning what `up` records about it.

Every starter leaves the process registered in the state folder's pidfile registry, with its log in the
state folder, and returns only once the part answers its health check. Ports are picked free by the OS;
a port lost to another process between picking and binding is retried with a fresh one.
"""

from __future__ import annotations

import os
import ssl
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from octavia_lb_devkit.controlplane.build import KubeApiserverMissing, build, find_kube_apiserver
from octavia_lb_devkit.controlplane.cluster import Cluster
from octavia_lb_devkit.controlplane.processes import (
    LOOPBACK,
    ProcessError,
    free_port,
    start_process,
    wait_for_http,
)
from octavia_lb_devkit.controlplane.redis import start_redis
from octavia_lb_devkit.dev.layout import CheckKind, Part, StateDir
from octavia_lb_devkit.testing.certs import write_certs

START_ATTEMPTS = 3
READY_TIMEOUT_S = 60.0
CLUSTER_NAME = "kubernetes"
# Short requeue countdown: the simulator's fast profile settles in well under a second.
CHILD_ENV = {"PYTHONUNBUFFERED": "1", "OCTAVIA_LB_REQUEUE_COUNTDOWN": "1"}


@dataclass(frozen=True)
class StackSettings:
    profile: str = "fast"
    worker_concurrency: int = 2


def start_redis_part(state: StateDir) -> list[Part]:
    server = start_redis(state.root, registry=state.pids)
    return [Part("redis", server.port, CheckKind.REDIS, f"redis://{LOOPBACK}:{server.port}")]


def kube_apiserver_binary() -> str:
    """The cached kube-apiserver, built once (with progress lines) when missing."""
    try:
        return str(find_kube_apiserver())
    except KubeApiserverMissing:
        print("[dev] kube-apiserver: not cached yet, building it once (about 4 minutes)", flush=True)
        return str(build())


def start_cluster_parts(state: StateDir) -> list[Part]:
    cluster = Cluster(state.root, kube_apiserver=Path(kube_apiserver_binary()), registry=state.pids)
    cluster.start()
    etcd_port = urlsplit(cluster.etcd_url).port or 0
    api_port = urlsplit(cluster.server).port or 0
    return [
        Part("etcd", etcd_port, CheckKind.HTTP, f"{cluster.etcd_url}/health"),
        Part(
            "kube-apiserver",
            api_port,
            CheckKind.HTTPS,
            f"{cluster.server}/readyz",
            ca_file=str(state.cluster_ca),
            bearer_from=str(state.kubeconfig),
        ),
    ]


def start_sim_part(state: StateDir, settings: StackSettings) -> list[Part]:
    def argv(port: int) -> list[str]:
        return _cli(
            "sim", "openstack", "--host", LOOPBACK, "--port", str(port), "--profile", settings.profile
        )  # fmt: skip

    port = _start_on_free_port(state, "openstack-sim", argv, lambda p: f"http://{LOOPBACK}:{p}/_sim/health")
    return [Part("openstack-sim", port, CheckKind.HTTP, f"http://{LOOPBACK}:{port}/_sim/health")]


def start_webhook_part(state: StateDir) -> list[Part]:
    certs = write_certs(state.tls)
    context = ssl.create_default_context(cafile=str(certs.ca_cert))

    def argv(port: int) -> list[str]:
        return _cli(
            "webhook",
            "--cloud-config", str(state.cloud_conf),
            "--tls-cert", str(certs.cert),
            "--tls-key", str(certs.key),
            "--host", LOOPBACK,
            "--port", str(port),
            "--kubeconfig", str(state.kubeconfig),
        )  # fmt: skip

    port = _start_on_free_port(state, "webhook", argv, _https_readyz, context=context)
    return [Part("webhook", port, CheckKind.HTTPS, _https_readyz(port), ca_file=str(certs.ca_cert))]


def start_queue_part(state: StateDir, name: str, redis_url: str, settings: StackSettings) -> list[Part]:
    """The dispatcher or the worker; their health is the Prometheus endpoint on a metrics port."""
    extra = ["--concurrency", str(settings.worker_concurrency)] if name == "worker" else []

    def argv(_port: int) -> list[str]:
        return _cli(
            name,
            "--kubeconfig", str(state.kubeconfig),
            "--redis-url", redis_url,
            "--cloud-config", str(state.cloud_conf),
            "--cluster-name", CLUSTER_NAME,
            *extra,
        )  # fmt: skip

    port = _start_on_free_port(state, name, argv, _metrics_url, env_port="OCTAVIA_LB_METRICS_PORT")
    return [Part(name, port, CheckKind.HTTP, _metrics_url(port))]


def _https_readyz(port: int) -> str:
    return f"https://{LOOPBACK}:{port}/readyz"


def _metrics_url(port: int) -> str:
    return f"http://{LOOPBACK}:{port}/metrics"


def _cli(*words: str) -> list[str]:
    return [sys.executable, "-m", "octavia_lb", *words]


def _start_on_free_port(
    state: StateDir,
    name: str,
    argv: Callable[[int], Sequence[str]],
    health_url: Callable[[int], str],
    *,
    context: ssl.SSLContext | None = None,
    env_port: str | None = None,
) -> int:
    last: ProcessError | None = None
    for _ in range(START_ATTEMPTS):
        port = free_port()
        env = {**os.environ, **CHILD_ENV, **({env_port: str(port)} if env_port else {})}
        proc = start_process(name, argv(port), log_path=state.log(name), env=env, registry=state.pids)
        try:
            wait_for_http(health_url(port), timeout=READY_TIMEOUT_S, process=proc, ssl_context=context)
        except BaseException as exc:  # Ctrl-C included: never leave a half-started part behind
            proc.stop()
            state.pids.forget(name)
            if not isinstance(exc, ProcessError):
                raise
            last = exc
            continue
        return port
    raise ProcessError(f"{name} did not start after {START_ATTEMPTS} attempts: {last}")
