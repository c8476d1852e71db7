"""OpenStack API requests per change: this reconcile (counted by the simulator) next to OCCM's flow.

Runs the real reconcile in-process against a real kube-apiserver, Redis and the OpenStack simulator (fast
profile), re-running it after every `Requeue` exactly as the worker task does, and counts the simulator's
requests per route for four changes of one Service (2 TCP ports, health monitor, floating IP, 2 nodes):

    create          the Service appears
    add a port      a third port
    add a node      a third node (members of 3 pools)
    delete          the Service is deleted

OCCM's counts are derived from its code (occm-semantics §5, §7, §8) as lower bounds: every
WaitActiveAndGetLoadBalancer costs at least 2 GETs (one at once, while PENDING, one after the first 1 s
backoff step) and the delete wait at least 2; `GET /` (API version) is made once per process, so it is in
the first row only, for both. Keystone token requests are shown apart (one per process for both).

    OCCM create (EnsureLoadBalancer, new LB, fully populated):
      GET lb by name, GET lb by legacy name                    2
      GET / (Octavia version, feature gates)                   1
      POST loadbalancer (listeners, pools, members, monitors)  1
      wait ACTIVE                                              2
      GET floatingips?port_id, POST floatingip                 2
      GET security-groups?name (delete leftover SG)            1   = 9
    OCCM add a port (EnsureLoadBalancer, existing LB):
      GET lb by id, GET listeners                              2
      POST listener + wait                                     3
      per port GetPoolByListener (3)                           3
      GET members of the 2 existing pools                      2
      POST pool + wait, GET its members, PUT members + wait    7
      GET monitor of the 2 existing pools                      2
      POST monitor + wait                                      3
      GET floatingips?port_id, GET security-groups             2   = 24
    OCCM add a node (UpdateLoadBalancer; the Service has 3 ports by then):
      GET lb by id, GET listeners                              2
      per pool: GetPoolByListener, GET members, PUT + wait,
                GET monitor                      (6 × 3)      18   = 20
    OCCM delete (GetLoadBalancer, then EnsureLoadBalancerDeleted):
      GET lb, GET floatingips?port_id (status)                 2
      GET lb, GET floatingips?port_id, DELETE floatingip       3
      DELETE lb?cascade + wait 404                             3
      GET security-groups?name                                 1   = 9
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kubernetes import client
from octavia_lb_devkit.controlplane.build import find_kube_apiserver
from octavia_lb_devkit.controlplane.cluster import Cluster
from octavia_lb_devkit.controlplane.redis import start_redis
from octavia_lb_devkit.sim.client import SimControl
from octavia_lb_devkit.sim.server import SimulatorServer, cloud_conf_global

from octavia_lb.worker.cloud.errors import Requeue, TemporaryError
from octavia_lb.worker.reconcile.run import reconcile_service
from octavia_lb.worker.runtime.tasks import WorkerContext
from octavia_lb.worker.settings import Settings

OCCM = {"create": 9, "add a port": 24, "add a node": 20, "delete": 9}
LABEL = "octavia-lb.bench/run"
REQUEUE_COUNTDOWN = 1.0
VERBOSE = False  # True prints the per-route counts of every row


def drive(context: WorkerContext, namespace: str, name: str) -> int:
    """Run the reconcile until it settles, sleeping the requested countdown; returns the number of runs."""
    runs = 0
    while True:
        runs += 1
        try:
            reconcile_service(context, namespace, name)
            return runs
        except Requeue as req:
            time.sleep(req.delay)
        except TemporaryError as exc:
            time.sleep(exc.delay or REQUEUE_COUNTDOWN)


def measure(
    control: SimControl, name: str, change: Callable[[], None], settle: Callable[[], int]
) -> tuple[int, int, int]:
    """(OpenStack requests without Keystone, Keystone requests, reconcile runs) for one change."""
    control.clear_counts()
    change()
    runs = settle()
    counts = control.counts()
    if VERBOSE:
        print(f"{name}: {dict(sorted(counts.items()))}")
    keystone = sum(v for k, v in counts.items() if " /identity" in k)
    return sum(counts.values()) - keystone, keystone, runs


def measure_rows() -> list[tuple[str, int, int, int]]:
    """(change, our OpenStack requests, Keystone requests, reconcile runs) per row, on a stack of its own."""
    with local_stack("bench-calls-") as (base, url, cluster, redis_url):
        return run_rows(base, url, cluster, redis_url)


@contextmanager
def local_stack(prefix: str) -> Iterator[tuple[Path, str, Cluster, str]]:
    """Redis, etcd + kube-apiserver and a fast simulator in this process, in a temporary directory named
    `prefix...`: yields (that directory, the simulator's URL, the cluster, the Redis URL), stopped after."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        base = Path(tmp)
        redis = start_redis(base / "redis")
        cluster = Cluster(base / "cluster", kube_apiserver=find_kube_apiserver()).start()
        sim = SimulatorServer()
        try:
            yield base, sim.start(), cluster, redis.url
        finally:
            sim.stop()
            cluster.stop()
            redis.stop()


@dataclass
class Reconciler:
    """One bench run's reconcile set-up: a cloud.conf on the simulator's seeded networks whose node-selector
    is `LABEL=run`, the WorkerContext built on it and a fresh namespace."""

    control: SimControl
    run: str
    conf: Path
    context: WorkerContext
    namespace: str


def reconciler(
    base: Path, url: str, cluster: Cluster, redis_url: str, requeue_countdown: float, extra_lb: str = ""
) -> Reconciler:
    """`extra_lb`: more `[LoadBalancer]` lines (`key = value\n`)."""
    control = SimControl(url)
    state = control.state()["network"]
    net = {n["name"]: n["id"] for n in state["networks"]}
    sub = {s["name"]: s["id"] for s in state["subnets"]}
    run = uuid.uuid4().hex[:8]
    conf = base / "cloud.conf"
    conf.write_text(
        cloud_conf_global(url) + f"[LoadBalancer]\nsubnet-id = {sub['private-subnet']}\n"
        f"floating-network-id = {net['public']}\n{extra_lb}node-selector = {LABEL}={run}\n"
    )
    settings = Settings(
        redis_url=redis_url,
        cluster_name="bench",
        cloud_config=str(conf),
        kubeconfig=str(cluster.kubeconfig),
        requeue_countdown=requeue_countdown,
    )
    context = WorkerContext(settings)
    namespace = f"bench-{run}"
    cluster.create_namespace(namespace)
    return Reconciler(control, run, conf, context, namespace)


def main() -> None:
    rows = measure_rows()
    print(
        f"OpenStack API requests per change (simulator counts; requeue countdown {REQUEUE_COUNTDOWN:g} s, "
        "fast profile)"
    )
    print(f"{'change':<12} {'octavia-lb':>10} {'OCCM':>6} {'ratio':>6} {'runs':>5} {'keystone':>9}")
    for change, ours, keystone, runs in rows:
        print(
            f"{change:<12} {ours:>10} {OCCM[change]:>6} {ours / OCCM[change]:>6.2f} {runs:>5} {keystone:>9}"
        )
    print("OCCM figures are lower bounds derived from its code; see this module's docstring.")


def run_rows(base: Path, url: str, cluster: Cluster, redis_url: str) -> list[tuple[str, int, int, int]]:
    rec = reconciler(base, url, cluster, redis_url, REQUEUE_COUNTDOWN, "create-monitor = true\n")
    control, run, context, namespace = rec.control, rec.run, rec.context, rec.namespace
    with cluster.api_client() as api:
        core = client.CoreV1Api(api)
        for i in (1, 2):
            cluster.create_node(f"{run}-n{i}", f"10.0.0.{100 + i}", labels={LABEL: run})

        def ports(*numbers: int) -> list[dict[str, object]]:
            return [{"name": f"p{n}", "port": n, "protocol": "TCP"} for n in numbers]

        def settle() -> int:
            return drive(context, namespace, "web")

        rows = []
        steps: list[tuple[str, Callable[[], None]]] = [
            (
                "create",
                lambda: core.create_namespaced_service(
                    namespace,
                    {"metadata": {"name": "web"}, "spec": {"type": "LoadBalancer", "ports": ports(80, 443)}},
                ),
            ),
            (
                "add a port",
                lambda: core.patch_namespaced_service(
                    "web",
                    namespace,
                    [{"op": "replace", "path": "/spec/ports", "value": ports(80, 443, 8080)}],
                ),
            ),
            ("add a node", lambda: cluster.create_node(f"{run}-n3", "10.0.0.103", labels={LABEL: run})),
            ("delete", lambda: core.delete_namespaced_service("web", namespace, _preload_content=False)),
        ]
        for change, act in steps:
            rows.append((change, *measure(control, change, act, settle)))
        for i in (1, 2, 3):
            core.delete_node(f"{run}-n{i}")
    control.close()
    return rows


if __name__ == "__main__":
    main()
