"""OpenStack requests per resync with N settled Services: the bulk drift check next to the per-Service resync.

    python -m bench.resync [--sizes 100,1000,5000] [--sample 200]

For each N, on one stack (etcd + kube-apiserver, two Nodes, `octavia-lb sim openstack` in its own process,
fast profile), N Services are made settled exactly as the worker leaves them: the Service (with the
finalizer), its fully populated load balancer (the worker's `load_balancer_body`), its floating IP
(`ensure_floating_ip`), the id/address annotations and the Ready status (`KubeWriter`). Then, counted by
the simulator:

- **per-Service resync (baseline, same run)**: the real `reconcile_service` of a sample of the Services
  (all of them up to `--sample`), which is what each message of the old resync costs; it must make no
  write (proof that the Services are settled) and its per-Service count × N is the old resync's cost.
- **bulk resync, cold**: the dispatcher's `DriftCheck.choose` right after the dispatcher starts (empty
  member cache: members are read once per pool).
- **bulk resync, settled**: the next one, the steady state (target: at most 20 + N/500 requests).
- **drift at N**: one listener and one member changed by hand; the next resync must enqueue exactly
  those two Services.

Every figure is printed as a ratio to the baseline of the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kubernetes import client  # noqa: E402
from octavia_lb_devkit.controlplane.processes import free_port  # noqa: E402
from octavia_lb_devkit.sim.client import SimControl  # noqa: E402
from octavia_lb_devkit.sim.server import cloud_conf_global  # noqa: E402

from bench.provision import BIG_NETWORKS, Stack, raise_quotas, stack, wait_for_http  # noqa: E402
from octavia_lb.common.config import load_cloud_config  # noqa: E402
from octavia_lb.common.model import build_desired, service_options  # noqa: E402
from octavia_lb.common.rules import FINALIZER  # noqa: E402
from octavia_lb.worker.cloud.errors import Requeue  # noqa: E402
from octavia_lb.worker.cloud.features import discover  # noqa: E402
from octavia_lb.worker.cloud.gateway import Gateway, connect  # noqa: E402
from octavia_lb.worker.cloud.observed import Observed  # noqa: E402
from octavia_lb.worker.dispatch.bulk import ChildCache, take_snapshot  # noqa: E402
from octavia_lb.worker.dispatch.resync import DriftCheck  # noqa: E402
from octavia_lb.worker.plan.load_balancer import load_balancer_body  # noqa: E402
from octavia_lb.worker.reconcile.floating_ip import ensure_floating_ip  # noqa: E402
from octavia_lb.worker.reconcile.nodes import eligible_nodes  # noqa: E402
from octavia_lb.worker.reconcile.run import reconcile_service  # noqa: E402
from octavia_lb.worker.reconcile.status import LB_ADDRESS, LB_ID, KubeWriter  # noqa: E402
from octavia_lb.worker.runtime.tasks import WorkerContext  # noqa: E402
from octavia_lb.worker.settings import Settings  # noqa: E402

SIZES = (100, 1000, 5000)
SAMPLE = 200
THREADS = 8
CLUSTER = "bench"
# every LoadBalancer Service takes a NodePort; the default range (30000-32767) holds 2,768
NODE_PORTS = ("--service-node-port-range=10000-60000",)


def target(n: int) -> float:
    return 20 + n / 500


@dataclass(frozen=True)
class Figures:
    n: int
    sample: int
    per_service: float  # requests of one settled Service's reconcile (sample mean)
    sample_writes: int  # non-GET requests during the sample's reconciles (must be 0)
    cold: int
    cold_seconds: float
    settled: int
    settled_seconds: float
    settled_enqueued: int
    drift_found: list[str]
    routes: dict[str, int]
    setup_seconds: float
    snapshot_seconds: float  # the lists alone (simulator answering + parsing), the rest is comparing

    @property
    def baseline(self) -> float:
        return self.per_service * self.n

    @property
    def passed(self) -> bool:
        return self.settled <= target(self.n) and self.settled_enqueued == 0 and self.sample_writes == 0


# -- the stack --


@contextmanager
def simulator(stk: Stack) -> Iterator[tuple[str, SimControl]]:
    """A fast-profile simulator in a process of its own (so it does not share our GIL)."""
    port = free_port()
    argv = [sys.executable, "-m", "octavia_lb", "sim", "openstack", "--port", str(port)]
    proc = stk.start(f"sim-{port}", argv, {"PYTHONPATH": str(REPO)})
    url = f"http://127.0.0.1:{port}"
    wait_for_http(f"{url}/_sim/health", timeout=60, process=proc)
    control = SimControl(url)
    try:
        yield url, control
    finally:
        control.close()
        stk.started.remove(proc)
        proc.stop(grace=5)


def cloud_conf(path: Path, url: str, control: SimControl) -> Path:
    control.seed(BIG_NETWORKS)
    network = control.state()["network"]
    nets = {n["name"]: n["id"] for n in network["networks"]}
    subnets = {s["name"]: s["id"] for s in network["subnets"]}
    path.write_text(
        cloud_conf_global(url) + f"[LoadBalancer]\nsubnet-id = {subnets['bulk-private-subnet']}\n"
        f"floating-network-id = {nets['bulk-public']}\ncreate-monitor = true\n"
    )
    return path


def stack_settings(stk: Stack, conf: Path) -> Settings:
    """The worker's settings for a run on `stk` with the cloud.conf `conf`."""
    return Settings(
        redis_url=stk.redis_url,
        cluster_name=CLUSTER,
        cloud_config=str(conf),
        kubeconfig=str(stk.cluster.kubeconfig),
    )


def requests(control: SimControl) -> tuple[int, Counter[str]]:
    """OpenStack requests since the last clear, Keystone apart (one token per process)."""
    counts = Counter(control.counts())
    ours = Counter({k: v for k, v in counts.items() if " /identity" not in k})
    return sum(ours.values()), ours


# -- N settled Services, as the worker leaves them --


class Settler:
    def __init__(self, settings: Settings, api: client.ApiClient, namespace: str) -> None:
        self.config = load_cloud_config(settings.cloud_config or "")
        self.gateway = Gateway(connect(self.config))
        self.kube = KubeWriter(api)
        self.api = api
        self.namespace = namespace
        self.nodes = eligible_nodes(api)
        self.features = self.gateway.features()

    def one(self, index: int) -> None:
        body = {
            "metadata": {"name": f"s{index:05d}", "finalizers": [FINALIZER]},
            "spec": {
                "type": "LoadBalancer",
                "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
            },
        }
        core = client.CoreV1Api(self.api)
        raw = core.create_namespaced_service(self.namespace, body, _preload_content=False)
        service = json.loads(raw.data)
        _, options = service_options(service, self.config)
        key = f"{self.namespace}/{service['metadata']['name']}"
        found = discover(self.gateway, options, self.nodes, key)
        want = build_desired(service, self.nodes, self.config, CLUSTER, self.features, found)
        lb = self.gateway.create_load_balancer(load_balancer_body(want))
        address = ensure_floating_ip(self.gateway, want, Observed(lb, (), (), None), owner=True)
        self.kube.set_annotations(service, {LB_ID: lb.id, LB_ADDRESS: address})
        message = f"load balancer {lb.id} serves {address}"
        self.kube.set_status(service, want.status.ingress(address), True, "Ready", message)

    def all(self, n: int) -> None:
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(self.one, range(n)))


def wait_active(control: SimControl, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while any(
        lb["provisioning_status"] != "ACTIVE" for lb in control.state()["load-balancer"]["loadbalancers"]
    ):
        if time.monotonic() > deadline:
            raise RuntimeError("load balancers still PENDING")
        time.sleep(1)


def per_service_cost(
    context: WorkerContext, namespace: str, names: list[str], control: SimControl
) -> tuple[float, int]:
    """Mean requests of one settled Service's reconcile (the old resync's message), and writes seen."""
    control.clear_counts()
    for name in names:
        try:
            reconcile_service(context, namespace, name)
        except Requeue as req:  # a settled Service never requeues
            raise RuntimeError(f"{name} is not settled: {req.reason}") from None
    total, routes = requests(control)
    writes = sum(v for k, v in routes.items() if not k.startswith("GET "))
    return total / len(names), writes


def hand_changes(conn: Any, lb_ids: list[str]) -> None:
    """A listener's connection limit on the first load balancer, a member's name on the second."""
    [listener] = conn.load_balancer.get(f"/lbaas/listeners?loadbalancer_id={lb_ids[0]}").json()["listeners"]
    conn.load_balancer.put(f"/lbaas/listeners/{listener['id']}", json={"listener": {"connection_limit": 5}})
    [pool] = conn.load_balancer.get(f"/lbaas/pools?loadbalancer_id={lb_ids[1]}").json()["pools"]
    member = conn.load_balancer.get(f"/lbaas/pools/{pool['id']}/members").json()["members"][0]
    conn.load_balancer.put(
        f"/lbaas/pools/{pool['id']}/members/{member['id']}", json={"member": {"name": "x"}}
    )


def measure(stk: Stack, n: int, sample: int) -> Figures:
    run = uuid.uuid4().hex[:6]
    namespace = f"resync-{run}"
    stk.cluster.create_namespace(namespace)
    with simulator(stk) as (url, control), stk.cluster.api_client() as api:
        raise_quotas(url, n)
        conf = cloud_conf(stk.work / f"cloud-{run}.conf", url, control)
        settings = stack_settings(stk, conf)
        started = time.monotonic()
        Settler(settings, api, namespace).all(n)
        wait_active(control)
        time.sleep(4)  # the last writes older than the member cache's settle margin
        setup = time.monotonic() - started
        kube = KubeWriter(api)
        services = {(namespace, f"s{i:05d}"): kube.read_service(namespace, f"s{i:05d}") for i in range(n)}
        names = [name for _, name in list(services)[: min(n, sample)]]
        per_service, writes = per_service_cost(WorkerContext(settings), namespace, names, control)
        # the dispatcher's check: cold (just started), then settled
        check = DriftCheck(settings, api)
        control.clear_counts()
        t0 = time.monotonic()
        cold_chosen = check.choose(services)  # type: ignore[arg-type]
        cold_seconds = time.monotonic() - t0
        cold, _ = requests(control)
        control.clear_counts()
        t0 = time.monotonic()
        chosen = check.choose(services)  # type: ignore[arg-type]
        settled_seconds = time.monotonic() - t0
        settled, routes = requests(control)
        t0 = time.monotonic()
        take_snapshot(check.gateway, ChildCache())
        snapshot_seconds = time.monotonic() - t0
        if cold_chosen:
            print(f"  cold resync found {len(cold_chosen)} differing: {list(cold_chosen.items())[:3]}")
        # drift at N: two hand changes, found by the next resync
        lbs = [s["metadata"]["annotations"][LB_ID] for s in list(services.values())[-2:]]
        conn = check.gateway.conn
        hand_changes(conn, lbs)
        wait_active(control)
        found = check.choose(services)  # type: ignore[arg-type]
        drift = sorted(f"{key[1]}: {d.cause}" for key, d in found.items())
    return Figures(
        n,
        len(names),
        per_service,
        writes,
        cold,
        cold_seconds,
        settled,
        settled_seconds,
        len(chosen),
        drift,
        dict(routes),
        setup,
        snapshot_seconds,
    )


def print_figures(results: list[Figures]) -> None:
    print("\nOpenStack requests per resync, N settled Services (simulator counts, Keystone apart)")
    print(
        "| N | per-Service resync (baseline) | bulk, cold | bulk, settled | settled / baseline | "
        "target 20 + N/500 | enqueued | settled s (lists s) | drift found |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for f in results:
        print(
            f"| {f.n} | {f.baseline:.0f} ({f.per_service:.2f} × N, sample {f.sample}, "
            f"writes {f.sample_writes}) "
            f"| {f.cold} ({f.cold_seconds:.1f} s) | {f.settled} | {f.settled / f.baseline:.4f} "
            f"| {target(f.n):g}: {'met' if f.passed else 'MISSED'} | {f.settled_enqueued} "
            f"| {f.settled_seconds:.2f} ({f.snapshot_seconds:.2f}) | {', '.join(f.drift_found)} |"
        )
    for f in results:
        print(f"N = {f.n}: settled resync routes {f.routes}; setup {f.setup_seconds:.0f} s")


def main(argv: list[str] | None = None) -> list[Figures]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--sample", type=int, default=SAMPLE)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    with stack(NODE_PORTS) as stk:
        for n in sizes:
            figures = measure(stk, n, args.sample)
            print(
                f"N = {n}: settled resync {figures.settled} requests ({figures.settled_seconds:.2f} s)",
                flush=True,
            )
            results.append(figures)
    print_figures(results)
    return results


if __name__ == "__main__":
    main()
