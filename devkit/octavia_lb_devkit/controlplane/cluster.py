"""A real Kubernetes control plane (etcd + kube-apiserver 1.20) on loopback, for tests and `dev up`.

There is no kubelet or controller-manager: Nodes are API objects created on request, and namespaces
that are deleted stay Terminating. Each namespace gets the `kubernetes.io/metadata.name` label that
API servers from 1.21 on add by themselves, so webhook namespace selectors behave as on a modern cluster.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import shutil
import ssl
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from octavia_lb_devkit.controlplane.build import find_kube_apiserver
from octavia_lb_devkit.controlplane.pki import ClusterPki, write_cluster_pki
from octavia_lb_devkit.controlplane.processes import (
    LOOPBACK,
    ManagedProcess,
    PidRegistry,
    ProcessError,
    free_port,
    rss_bytes,
    start_process,
    wait_for_http,
)

if TYPE_CHECKING:
    from kubernetes.client import ApiClient, V1Namespace, V1Node

NAME_LABEL = "kubernetes.io/metadata.name"
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
SERVICE_CIDR = "10.96.0.0/16"
SERVICE_CIDR_IPV6 = "fd00:10:96::/112"  # the second range of a dual-stack cluster (at most /108 in 1.20)
START_ATTEMPTS = 2  # a free port can be taken between free_port() and the daemon binding it
# Both daemons inherit the environment: GOGC=50 measured 12 % less RSS (307 vs 350 MiB) for 15 % slower
# start (4.3 vs 3.7 s); the default keeps Go's GOGC=100 because start time is paid by every test session.


class ClusterError(RuntimeError):
    """The control plane could not be started or used; the message says which part and where its log is."""


class Cluster:
    """etcd + kube-apiserver in `directory` (a fresh temporary one by default, removed on stop).

    Use as a context manager, or call start()/stop(); stop() is safe to call at any point, twice.
    """

    def __init__(
        self,
        directory: Path | str | None = None,
        *,
        kube_apiserver: Path | None = None,
        registry: PidRegistry | None = None,
        ready_timeout: float = 60.0,
        apiserver_args: tuple[str, ...] = (),
        dual_stack: bool = False,
    ) -> None:
        self._dual_stack = dual_stack
        self._owns_directory = directory is None
        self.directory = (
            Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="octavia-lb-"))
        )
        self._binary = kube_apiserver
        self._registry = registry
        self._ready_timeout = ready_timeout
        self._apiserver_args = apiserver_args  # e.g. a wider NodePort range for benchmarks
        self._etcd: ManagedProcess | None = None
        self._apiserver: ManagedProcess | None = None
        self._pki: ClusterPki | None = None
        self._port = 0
        self.etcd_url = ""
        self.start_seconds = 0.0

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Cluster:
        binary = self._binary or find_kube_apiserver()
        started = time.monotonic()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._pki = write_cluster_pki(self.directory / "pki")
        try:
            self._start_with_retry(binary)
            self._write_kubeconfig()
            self._label_system_namespaces()
        except BaseException:  # Ctrl-C included: never leave daemons behind
            self.stop()
            raise
        self.start_seconds = time.monotonic() - started
        return self

    def stop(self) -> None:
        self._stop_processes()
        if self._owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _start_with_retry(self, binary: Path) -> None:
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                self._start_etcd()
                self._start_apiserver(binary)
                return
            except ProcessError as exc:
                self._stop_processes()
                if attempt == START_ATTEMPTS:
                    raise ClusterError(f"control plane did not start in {self.directory}: {exc}") from exc

    def _stop_processes(self) -> None:
        # The API server first: it would otherwise spend its grace period retrying a dead etcd.
        for proc in (self._apiserver, self._etcd):
            if proc is not None:
                proc.stop()
                if self._registry is not None:
                    self._registry.forget(proc.name)
        self._apiserver = self._etcd = None

    def _start_etcd(self) -> None:
        etcd = shutil.which("etcd")
        if etcd is None:
            raise ClusterError("etcd not found; install Debian's etcd-server: apt-get install -y etcd-server")
        client, peer = free_port(), free_port()
        self.etcd_url = f"http://{LOOPBACK}:{client}"
        data = self.directory / "etcd-data"
        shutil.rmtree(data, ignore_errors=True)
        argv = [
            etcd,
            "--name",
            "octavia-lb",
            "--data-dir",
            str(data),
            "--listen-client-urls",
            self.etcd_url,
            "--advertise-client-urls",
            self.etcd_url,
            "--listen-peer-urls",
            f"http://{LOOPBACK}:{peer}",
            "--initial-advertise-peer-urls",
            f"http://{LOOPBACK}:{peer}",
            "--initial-cluster",
            f"octavia-lb=http://{LOOPBACK}:{peer}",
            "--listen-metrics-urls",
            "",  # no extra port: the client port serves /metrics and /health
        ]
        # Kept before waiting so that a failed wait still stops (and unregisters) it.
        self._etcd = start_process(
            "etcd", argv, log_path=self.directory / "etcd.log", registry=self._registry
        )
        wait_for_http(f"{self.etcd_url}/health", timeout=20, process=self._etcd)

    def _start_apiserver(self, binary: Path) -> None:
        pki = self._require_pki()
        self._port = free_port()
        argv = [
            str(binary),
            f"--etcd-servers={self.etcd_url}",
            f"--bind-address={LOOPBACK}",
            f"--secure-port={self._port}",
            "--insecure-port=0",
            f"--tls-cert-file={pki.serving_cert}",
            f"--tls-private-key-file={pki.serving_key}",
            f"--cert-dir={self.directory / 'pki'}",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-account-key-file={pki.sa_public_key}",
            f"--service-account-signing-key-file={pki.sa_private_key}",
            f"--token-auth-file={pki.tokens_csv}",
            "--authorization-mode=RBAC",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--enable-priority-and-fairness=false",
            "--profiling=false",
            *self._apiserver_args,
        ]
        if self._dual_stack:
            # 1.20 drops spec.ipFamilies/ipFamilyPolicy unless the alpha gate is on and both ranges are given
            argv[argv.index(f"--service-cluster-ip-range={SERVICE_CIDR}")] = (
                f"--service-cluster-ip-range={SERVICE_CIDR},{SERVICE_CIDR_IPV6}"
            )
            argv.append("--feature-gates=IPv6DualStack=true")
        self._apiserver = start_process(
            "kube-apiserver",
            argv,
            log_path=self.directory / "kube-apiserver.log",
            registry=self._registry,
        )
        context = ssl.create_default_context(cadata=pki.ca_pem.decode())
        wait_for_http(
            f"{self.server}/readyz",
            timeout=self._ready_timeout,
            process=self._apiserver,
            ssl_context=context,
            headers={"Authorization": f"Bearer {pki.admin_token}"},
        )

    # -- what clients need -------------------------------------------------------------------------

    @property
    def server(self) -> str:
        return f"https://{LOOPBACK}:{self._port}"

    @property
    def kubeconfig(self) -> Path:
        return self.directory / "kubeconfig"

    @property
    def ca_pem(self) -> bytes:
        return self._require_pki().ca_pem

    @property
    def token(self) -> str:
        return self._require_pki().admin_token

    @property
    def processes(self) -> tuple[ManagedProcess, ...]:
        return tuple(proc for proc in (self._etcd, self._apiserver) if proc is not None)

    def rss_bytes(self) -> dict[str, int]:
        """Resident memory of each running process, by name."""
        return {proc.name: rss_bytes(proc.pid) for proc in self.processes if proc.running()}

    def _require_pki(self) -> ClusterPki:
        if self._pki is None:
            raise ClusterError("the cluster has not been started")
        return self._pki

    def _write_kubeconfig(self) -> None:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "octavia-lb",
            "clusters": [
                {
                    "name": "octavia-lb",
                    "cluster": {
                        "server": self.server,
                        "certificate-authority-data": base64.b64encode(self.ca_pem).decode(),
                    },
                }
            ],
            "users": [{"name": "admin", "user": {"token": self.token}}],
            "contexts": [{"name": "octavia-lb", "context": {"cluster": "octavia-lb", "user": "admin"}}],
        }
        self.kubeconfig.write_text(json.dumps(config, indent=2))
        self.kubeconfig.chmod(0o600)

    def api_client(self) -> ApiClient:
        """A new `kubernetes` ApiClient for the admin user (close it when done)."""
        from kubernetes import config

        return config.new_client_from_config(config_file=str(self.kubeconfig))

    # -- objects that a real cluster would have ---------------------------------------------------------

    def _label_system_namespaces(self) -> None:
        """Adds the name label to the namespaces the API server bootstraps (created just after ready)."""
        from kubernetes import client
        from kubernetes.client.exceptions import ApiException

        deadline = time.monotonic() + 20
        with self.api_client() as api:
            core = client.CoreV1Api(api)
            for name in SYSTEM_NAMESPACES:
                while True:
                    try:
                        core.patch_namespace(name, {"metadata": {"labels": {NAME_LABEL: name}}})
                        break
                    except ApiException as exc:
                        if exc.status != 404 or time.monotonic() > deadline:
                            raise ClusterError(
                                f"cannot label namespace {name}: {exc.status} {exc.reason}"
                            ) from exc
                        time.sleep(0.1)

    def create_namespace(self, name: str, labels: Mapping[str, str] | None = None) -> V1Namespace:
        from kubernetes import client

        body = {"metadata": {"name": name, "labels": {**(labels or {}), NAME_LABEL: name}}}
        with self.api_client() as api:
            return client.CoreV1Api(api).create_namespace(body)

    def create_node(
        self,
        name: str,
        internal_ip: str,
        labels: Mapping[str, str] | None = None,
        provider_id: str | None = None,
        external_ip: str | None = None,
        more_internal_ips: tuple[str, ...] = (),
    ) -> V1Node:
        """Creates a Ready Node with the given addresses (what a kubelet would have registered)."""
        from kubernetes import client

        body = node_manifest(
            name,
            internal_ip,
            labels=labels,
            provider_id=provider_id,
            external_ip=external_ip,
            more_internal_ips=more_internal_ips,
        )
        with self.api_client() as api:
            core = client.CoreV1Api(api)
            core.create_node({k: v for k, v in body.items() if k != "status"})
            # Status is a subresource: what a create carries there is not guaranteed to be kept.
            return core.replace_node_status(
                name, {**body, "metadata": {**body["metadata"], **_rv(core, name)}}
            )


def _rv(core: Any, name: str) -> dict[str, str]:
    return {"resourceVersion": core.read_node(name).metadata.resource_version}


def node_manifest(
    name: str,
    internal_ip: str,
    *,
    labels: Mapping[str, str] | None = None,
    provider_id: str | None = None,
    external_ip: str | None = None,
    more_internal_ips: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A Node as a kubelet would register it: addresses, a Ready condition, hostname label. A dual-stack
    node has an InternalIP of each family (`more_internal_ips`)."""
    addresses = [
        {"type": "InternalIP", "address": _checked_ip("internal_ip", internal_ip)},
        *({"type": "InternalIP", "address": _checked_ip("more_internal_ips", a)} for a in more_internal_ips),
        {"type": "Hostname", "address": name},
    ]
    if external_ip is not None:
        addresses.append({"type": "ExternalIP", "address": _checked_ip("external_ip", external_ip)})
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": {"providerID": provider_id} if provider_id else {},
        "status": {
            "addresses": addresses,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "node created by the octavia-lb test harness",
                    "lastHeartbeatTime": now,
                    "lastTransitionTime": now,
                }
            ],
        },
    }


def _checked_ip(field: str, value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError as exc:
        raise ValueError(f"{field}: {value!r} is not an IP address") from exc
