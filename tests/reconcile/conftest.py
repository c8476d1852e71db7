"""Harness for reconcile tests: the real kube-apiserver, Redis and OpenStack simulator, a cloud.conf that
points at the simulator, test Nodes isolated by a per-test node-selector label, and `drive()`, which calls
the real `reconcile_service` the way the task does (Requeue → call again later) until it settles.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException
from octavia_lb_devkit.controlplane.cluster import Cluster
from octavia_lb_devkit.sim.server import cloud_conf_global

from octavia_lb.worker.cloud.errors import PermanentError, Requeue, TemporaryError
from octavia_lb.worker.reconcile.run import reconcile_service
from octavia_lb.worker.runtime.tasks import WorkerContext
from octavia_lb.worker.settings import Settings
from tests.fixtures.cluster import drop_services
from tests.fixtures.simulator import OpenStackSim, fresh, octavia_up_to

SELECTOR_LABEL = "octavia-lb.test/run"


@dataclass(frozen=True)
class CloudIds:
    """Ids of the simulator's seeded networks."""

    public_network: str
    public_subnet: str
    private_network: str
    private_subnet: str


def cloud_ids(state: dict[str, Any]) -> CloudIds:
    nets = {n["name"]: n["id"] for n in state["network"]["networks"]}
    subnets = {s["name"]: s["id"] for s in state["network"]["subnets"]}
    return CloudIds(nets["public"], subnets["public-subnet"], nets["private"], subnets["private-subnet"])


def lb_section(ids: CloudIds, run: str, **extra: str) -> str:
    """`[LoadBalancer]` for the simulator: VIP and members on the private subnet, FIPs from `public`."""
    keys = {
        "subnet-id": ids.private_subnet,
        "floating-network-id": ids.public_network,
        "node-selector": f"{SELECTOR_LABEL}={run}",
        **extra,
    }
    return "[LoadBalancer]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())


def ports(*numbers: int, protocol: str = "TCP") -> list[dict[str, Any]]:
    """A Service's spec.ports: one named `p<number>` per port number."""
    return [{"name": f"p{n}", "port": n, "protocol": protocol} for n in numbers]


@dataclass
class Outcome:
    """What `drive` saw: every Requeue reason and retried error, in order."""

    requeues: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Env:
    """One test's world: namespace, run label, cloud ids, a WorkerContext and the Kubernetes client."""

    namespace: str
    run: str
    ids: CloudIds
    context: WorkerContext
    core: client.CoreV1Api
    cluster: Cluster
    nodes: list[str]
    sim: Any

    def add_node(self, name: str, ip: str, server: str = "", *more_ips: str, **labels: str) -> None:
        """A Node with InternalIP `ip` (and `more_ips`, a dual-stack node's other family) and providerID
        `openstack:///<server>` (a random server by default)."""
        full = f"{self.run}-{name}"
        self.cluster.create_node(
            full,
            ip,
            labels={SELECTOR_LABEL: self.run, **labels},
            provider_id=f"openstack:///{server or uuid.uuid4()}",
            more_internal_ips=more_ips,
        )
        self.nodes.append(full)

    def remove_node(self, name: str) -> None:
        full = f"{self.run}-{name}"
        self.core.delete_node(full)
        self.nodes.remove(full)

    def create_service(
        self, name: str, ports: list[dict[str, Any]], annotations: dict[str, str] | None = None, **spec: Any
    ) -> dict[str, Any]:
        body = {
            "metadata": {"name": name, "annotations": annotations or {}},
            "spec": {"type": "LoadBalancer", "ports": ports, **spec},
        }
        self.core.create_namespaced_service(self.namespace, body)
        return body

    def patch_service(self, name: str, patch: dict[str, Any]) -> None:
        self._patch_retrying_conflicts(name, patch)

    def set_ports(self, name: str, ports: list[dict[str, Any]]) -> None:
        """Replace spec.ports (a strategic merge would keep ports missing from the patch)."""
        self._patch_retrying_conflicts(name, [{"op": "replace", "path": "/spec/ports", "value": ports}])

    def _patch_retrying_conflicts(self, name: str, patch: dict[str, Any] | list[dict[str, Any]]) -> None:
        """Patch as a person re-running kubectl would: the 1.20 Service storage reads the Service once and
        writes it back with that resourceVersion, so a worker writing status or annotations at the same moment
        makes a spec patch answer 409 even though the patch carries no resourceVersion."""
        for attempt in range(5):
            try:
                self.core.patch_namespaced_service(name, self.namespace, patch)
                return
            except ApiException as failure:
                if failure.status != 409 or attempt == 4:
                    raise
                time.sleep(0.1 * (attempt + 1))

    def delete_service(self, name: str) -> None:
        # the client cannot decode the Status a delete returns into its Service model
        self.core.delete_namespaced_service(name, self.namespace, _preload_content=False)

    def service(self, name: str) -> Any:
        return self.core.read_namespaced_service(name, self.namespace)

    def events(self, name: str) -> list[tuple[str, str, str]]:
        items = self.core.list_namespaced_event(
            self.namespace, field_selector=f"involvedObject.name={name}"
        ).items
        return [
            (e.type, e.reason, e.message)
            for e in sorted(items, key=lambda e: int(e.metadata.resource_version))
        ]

    def reasons(self, name: str) -> list[str]:
        return [reason for _, reason, _ in self.events(name)]

    def drive(self, name: str, timeout: float = 60.0, max_errors: int = 3) -> Outcome:
        """Reconcile until a run returns; Requeue and TemporaryError come back after a short pause."""
        outcome = Outcome()
        deadline = time.monotonic() + timeout
        while True:
            try:
                reconcile_service(self.context, self.namespace, name)
                return outcome
            except Requeue as req:
                outcome.requeues.append(req.reason)
            except TemporaryError as exc:
                outcome.errors.append(exc.message)
                if len(outcome.errors) > max_errors:
                    raise
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} did not settle in {timeout}s: {outcome}")
            time.sleep(0.25)

    def drive_error(self, name: str, timeout: float = 30.0) -> PermanentError:
        try:
            outcome = self.drive(name, timeout)
        except PermanentError as exc:
            return exc
        raise AssertionError(f"{name}: expected a permanent error, settled after {outcome}")

    def reconcile_conf_append(self, text: str) -> None:
        """Add `[LoadBalancer]` keys (a new context: cloud.conf is read once per context, as in a worker)."""
        path = Path(self.context.settings.cloud_config or "")
        path.write_text(path.read_text() + text)
        self.context = WorkerContext(self.context.settings)

    def lbs(self) -> list[dict[str, Any]]:
        return self.sim.control.state()["load-balancer"]["loadbalancers"]

    def octavia(self, kind: str) -> list[dict[str, Any]]:
        return self.sim.control.state()["load-balancer"][kind]

    def fips(self) -> list[dict[str, Any]]:
        return self.sim.control.state()["network"]["floatingips"]


EnvFactory = Callable[..., Env]


@contextmanager
def env_factory(
    sim: Any, cluster: Cluster, kube_api: ApiClient, namespace: str, redis_server: str, tmp_path: Path
) -> Iterator[EnvFactory]:
    made: list[Env] = []
    ids = cloud_ids(sim.control.state())
    core = client.CoreV1Api(kube_api)

    def make(*, cluster_name: str = "", **lb_keys: str) -> Env:
        run = f"r{uuid.uuid4().hex[:8]}"
        conf = tmp_path / f"cloud-{run}.conf"
        keys = {k.replace("_", "-"): v for k, v in lb_keys.items()}
        conf.write_text(cloud_conf_global(sim.url) + lb_section(ids, run, **keys))
        settings = Settings(
            redis_url=redis_server,
            cluster_name=cluster_name or f"c{run}",
            cloud_config=str(conf),
            kubeconfig=str(cluster.kubeconfig),
            requeue_countdown=0.2,
        )
        env = Env(namespace, run, ids, WorkerContext(settings), core, cluster, [], sim)
        made.append(env)
        return env

    try:
        yield make
    finally:
        drop_services(core, namespace)
        for env in made:
            for node in env.nodes:
                try:
                    core.delete_node(node)
                except ApiException as exc:
                    if exc.status != 404:
                        raise


def purge_finished_namespaces(core: client.CoreV1Api) -> int:
    """Delete the Services left in namespaces being deleted (earlier tests': without a namespace controller
    they stay forever), so that a dispatcher started now watches only live tests' Services."""
    purged = 0
    for ns in core.list_namespace().items:
        if ns.metadata.deletion_timestamp is not None or ns.status.phase == "Terminating":
            drop_services(core, ns.metadata.name)
            purged += 1
    return purged


@pytest.fixture
def reconcile_env(
    sim: Any, cluster: Cluster, kube_api: ApiClient, namespace: str, redis_server: str, tmp_path: Path
) -> Iterator[EnvFactory]:
    """`reconcile_env(**loadbalancer_keys)` → Env on the session simulator; Nodes are deleted at teardown."""
    with env_factory(sim, cluster, kube_api, namespace, redis_server, tmp_path) as make:
        yield make


@pytest.fixture(scope="module")
def old_octavia(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenStackSim]:
    """A second simulator whose Octavia API stops at 2.11 (no allowed_cidrs, no availability zones)."""
    with octavia_up_to("2.11", tmp_path_factory) as handle:
        yield handle


@pytest.fixture
def old_octavia_env(
    old_octavia: OpenStackSim,
    cluster: Cluster,
    kube_api: ApiClient,
    namespace: str,
    redis_server: str,
    tmp_path: Path,
) -> Iterator[EnvFactory]:
    with (
        fresh(old_octavia),
        env_factory(old_octavia, cluster, kube_api, namespace, redis_server, tmp_path) as make,
    ):
        yield make
