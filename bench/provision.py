"""Time to address: K LoadBalancer Services created at once, against load balancers that take T s to build.

Run with `python -m bench.provision [--services K] [--workers W] [--concurrency C] [--build-seconds T]`.
It starts, outside pytest and on 127.0.0.1 only: Redis, etcd + kube-apiserver, two Nodes, then per run a
fresh `octavia-lb sim openstack --profile realistic` whose load balancer build time is pinned to T through
the simulator's control API (the realistic profile draws 45-90 s; every other delay keeps the profile's
value: child operations 3-8 s, floating IP 1-3 s, 20-200 ms per request), one `octavia-lb dispatcher` and W
`octavia-lb worker --concurrency C` processes with the production defaults (5 s requeue countdown).

K Services are created at once (8 client threads) and a watch on their namespace records when each first
shows `status.loadBalancer.ingress`; times count from just before the first create. T is reported twice:
as configured, and as observed (median time between a load balancer's first sighting in the simulator and
its first sighting as ACTIVE, sampled every second). A serial, blocking controller (OCCM's default of one
sync at a time, waiting for ACTIVE) needs about K·T; that is the baseline of the `serial/max` ratio. The
issue-5 target: every Service has an address within 2·T + 30 s.

Every process started is stopped by its PID (its process group, for the workers' pool children), also on
Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kubernetes import client, watch  # noqa: E402
from octavia_lb_devkit.controlplane.build import find_kube_apiserver  # noqa: E402
from octavia_lb_devkit.controlplane.cluster import Cluster  # noqa: E402
from octavia_lb_devkit.controlplane.processes import (  # noqa: E402
    ManagedProcess,
    free_port,
    log_tail,
    start_process,
    stop_pid,
    wait_for_http,
)
from octavia_lb_devkit.controlplane.redis import start_redis  # noqa: E402
from octavia_lb_devkit.dev.procs import group_members  # noqa: E402
from octavia_lb_devkit.sim.client import SimControl  # noqa: E402
from octavia_lb_devkit.sim.server import cloud_conf_global  # noqa: E402

NODES = (("bench-node-a", "10.0.0.91"), ("bench-node-b", "10.0.0.92"))
READY_TIMEOUT_S = 60.0
CREATE_THREADS = 8


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


@dataclass(frozen=True)
class RunConfig:
    """One measurement: K Services, W worker processes with C pool children each, build time T."""

    services: int
    workers: int
    concurrency: int
    build_seconds: float

    def __post_init__(self) -> None:
        for name in ("services", "workers", "concurrency"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: {value!r} must be a whole number of at least 1")
        if not self.build_seconds > 0:
            raise ValueError(f"build_seconds: {self.build_seconds!r} must be more than 0")

    @property
    def budget(self) -> float:
        """Issue 5's bound on the slowest Service: 2·T + 30 s."""
        return 2 * self.build_seconds + 30


@dataclass(frozen=True)
class RunResult:
    """What one run saw: seconds to address per addressed Service (sorted), and the observed build time."""

    config: RunConfig
    times: tuple[float, ...]
    observed_build: float | None
    load: str

    @property
    def addressed(self) -> int:
        return len(self.times)

    @property
    def p50(self) -> float:
        return statistics.median(self.times) if self.times else float("inf")

    @property
    def slowest(self) -> float:
        return self.times[-1] if self.addressed == self.config.services else float("inf")

    @property
    def max_over_t(self) -> float:
        return self.slowest / self.config.build_seconds

    @property
    def serial_seconds(self) -> float:
        """What a serial, blocking design needs: one build after the other."""
        return self.config.services * self.config.build_seconds

    @property
    def serial_ratio(self) -> float:
        return self.serial_seconds / self.slowest

    @property
    def passed(self) -> bool:
        return self.slowest <= self.config.budget


# -- the long-lived parts: Redis, etcd + kube-apiserver, Nodes --


@dataclass
class Stack:
    """Redis and the API server for all runs; `started` keeps every process started, to stop it by PID."""

    work: Path
    redis_url: str
    cluster: Cluster
    started: list[ManagedProcess]

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> ManagedProcess:
        proc = start_process(
            name, argv, log_path=self.work / f"{name}.log", cwd=REPO, env={**os.environ, **env}
        )
        self.started.append(proc)
        announce(name, proc.pid)
        return proc


@contextmanager
def stack(apiserver_args: tuple[str, ...] = ()) -> Iterator[Stack]:
    with tempfile.TemporaryDirectory(prefix="bench-provision-") as tmp, ExitStack() as cleanup:
        work = Path(tmp)
        started: list[ManagedProcess] = []
        cleanup.callback(stop_all, started)
        redis = start_redis(work / "redis")
        cleanup.callback(redis.stop)
        announce("redis", redis.process.pid)
        cluster = Cluster(
            work / "cluster", kube_apiserver=find_kube_apiserver(), apiserver_args=apiserver_args
        )
        cleanup.callback(cluster.stop)
        cluster.start()
        for proc in cluster.processes:
            announce(proc.name, proc.pid)
        for name, ip in NODES:
            cluster.create_node(name, ip, provider_id=f"openstack:///{uuid.uuid4()}")
        yield Stack(work, redis.url, cluster, started)


def announce(name: str, pid: int) -> None:
    """One line per process started, so that a caller can check afterwards that each one is gone."""
    print(f"started {name} pid {pid}", flush=True)


def stop_all(started: list[ManagedProcess]) -> None:
    """Stops what we started, newest first, each by its PID; then its process group (pool children)."""
    for proc in reversed(started):
        # each runs in its own session, so its group holds exactly the children it spawned; note them (with
        # their start times, so a reused PID is never signalled) before the leader goes
        children = group_members(proc.pid)
        proc.stop(grace=15)
        for pid, ticks in children:
            stop_pid(pid, start_ticks=ticks, grace=3)
    started.clear()


def wait_log(proc: ManagedProcess, text: str, timeout: float = READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while text not in proc.log_path.read_text(errors="replace"):
        if not proc.running() or time.monotonic() > deadline:
            raise RuntimeError(f"{proc.name} never logged {text!r}:\n{log_tail(proc.log_path, 30)}")
        time.sleep(0.2)


# -- one run --


def start_simulator(stk: Stack, run: str, build_seconds: float) -> tuple[str, SimControl]:
    port = free_port()
    argv = [sys.executable, "-m", "octavia_lb", "sim", "openstack", "--profile", "realistic"]
    proc = stk.start(f"sim-{run}", [*argv, "--port", str(port)], {})
    url = f"http://127.0.0.1:{port}"
    wait_for_http(f"{url}/_sim/health", timeout=READY_TIMEOUT_S, process=proc)
    control = SimControl(url)
    control.set_delays(lb_create=(build_seconds, build_seconds))
    return url, control


def raise_quotas(url: str, services: int) -> None:
    """Neutron's default floating IP quota is 50; a run needs one per Service."""
    from octavia_lb_devkit.dev.simcloud import connect

    conn = connect(url)
    try:
        quota = {"floatingip": services + 10, "port": 4 * services + 100}
        conn.network.put(f"/quotas/{conn.current_project_id}", json={"quota": quota})
    finally:
        conn.close()


# The default seed's /24 subnets hold 250 load balancers; these hold 65,000 (a router joins them, as a
# floating IP needs)
BIG_NETWORKS = {
    "networks": [
        {
            "name": "bulk-public",
            "router:external": True,
            "project": "admin",
            "subnets": [{"name": "bulk-public-subnet", "ip_version": 4, "cidr": "100.64.0.0/16"}],
        },
        {
            "name": "bulk-private",
            "project": "admin",
            "subnets": [{"name": "bulk-private-subnet", "ip_version": 4, "cidr": "10.128.0.0/16"}],
        },
    ],
    "routers": [
        {
            "name": "bulk-router",
            "project": "admin",
            "external_network": "bulk-public",
            "interfaces": ["bulk-private-subnet"],
        }
    ],
}


def write_cloud_conf(path: Path, url: str, control: SimControl, services: int = 0) -> None:
    big = services > 200  # the default seed's /24 subnets hold about 250 load balancers
    if big:
        control.seed(BIG_NETWORKS)
    network = control.state()["network"]
    nets = {n["name"]: n["id"] for n in network["networks"]}
    subnets = {s["name"]: s["id"] for s in network["subnets"]}
    subnet, public = ("bulk-private-subnet", "bulk-public") if big else ("private-subnet", "public")
    path.write_text(
        cloud_conf_global(url)
        + f"[LoadBalancer]\nsubnet-id = {subnets[subnet]}\nfloating-network-id = {nets[public]}\n"
    )


def queue_env(stk: Stack, run: str, conf: Path, db: int) -> dict[str, str]:
    """Per run: its own Redis database, cluster name, queue and Lease, so runs never see each other."""
    return {
        "PYTHONPATH": str(REPO),
        "OCTAVIA_LB_REDIS_URL": f"{stk.redis_url.rsplit('/', 1)[0]}/{db}",
        "OCTAVIA_LB_CLUSTER_NAME": f"bench-{run}",
        "OCTAVIA_LB_QUEUE": f"octavia-lb-{run}",
        "OCTAVIA_LB_LEASE_NAME": f"bench-{run}",
        "OCTAVIA_LB_CLOUD_CONFIG": str(conf),
        "OCTAVIA_LB_KUBECONFIG": str(stk.cluster.kubeconfig),
    }


def start_pipeline(stk: Stack, config: RunConfig, run: str, env: dict[str, str]) -> None:
    cli = [sys.executable, "-m", "octavia_lb"]
    workers = [
        stk.start(f"worker-{run}-{i}", [*cli, "worker", "--concurrency", str(config.concurrency)], env)
        for i in range(config.workers)
    ]
    for proc in workers:
        wait_log(proc, "ready.")
    wait_log(stk.start(f"dispatcher-{run}", [*cli, "dispatcher"], env), "watching services and nodes")


class AddressWatch:
    """Watches one namespace's Services in a thread; records when each first shows an ingress address."""

    def __init__(self, core: client.CoreV1Api, namespace: str, expected: int) -> None:
        self.core, self.namespace, self.expected = core, namespace, expected
        self.t0 = time.monotonic()
        self.seen: dict[str, float] = {}
        self.done = threading.Event()
        self._watch = watch.Watch()
        self._thread = threading.Thread(target=self._run, name="address-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        version = self.core.list_namespaced_service(self.namespace).metadata.resource_version
        while not self.done.is_set():
            stream = self._watch.stream(
                self.core.list_namespaced_service,
                self.namespace,
                resource_version=version,
                timeout_seconds=30,
            )
            for event in stream:
                svc = event["object"]
                version = svc.metadata.resource_version
                lb = svc.status.load_balancer
                if lb and lb.ingress and svc.metadata.name not in self.seen:
                    self.seen[svc.metadata.name] = time.monotonic() - self.t0
                    if len(self.seen) >= self.expected:
                        self.done.set()
                        self._watch.stop()

    def stop(self) -> None:
        self.done.set()
        self._watch.stop()


class BuildObserver:
    """Samples the simulator's load balancers; observed build = first ACTIVE sighting − first sighting."""

    def __init__(self, control: SimControl) -> None:
        self.control = control
        self.first: dict[str, float] = {}
        self.active: dict[str, float] = {}

    def sample(self) -> None:
        now = time.monotonic()
        for lb in self.control.state()["load-balancer"]["loadbalancers"]:
            self.first.setdefault(lb["id"], now)
            if lb["provisioning_status"] == "ACTIVE":
                self.active.setdefault(lb["id"], now)

    def median(self) -> float | None:
        builds = [self.active[i] - self.first[i] for i in self.active if self.first[i] < self.active[i]]
        return statistics.median(builds) if builds else None


def create_services(core: client.CoreV1Api, namespace: str, count: int) -> None:
    def create(index: int) -> None:
        body = {
            "metadata": {"name": f"s{index:03d}"},
            "spec": {"type": "LoadBalancer", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]},
        }
        core.create_namespaced_service(namespace, body)

    with ThreadPoolExecutor(CREATE_THREADS) as pool:
        list(pool.map(create, range(count)))


def drop_services(core: client.CoreV1Api, namespace: str) -> None:
    """Services go for good (finalizers removed), so a later run's dispatcher never picks them up."""
    for svc in core.list_namespaced_service(namespace).items:
        if svc.metadata.finalizers:
            core.patch_namespaced_service(
                svc.metadata.name, namespace, [{"op": "remove", "path": "/metadata/finalizers"}]
            )
        core.delete_namespaced_service(svc.metadata.name, namespace, _preload_content=False)


def measure(stk: Stack, config: RunConfig, db: int = 1) -> RunResult:
    """One run on a fresh simulator and pipeline; everything it started is stopped before it returns."""
    run = uuid.uuid4().hex[:6]
    namespace = f"bench-{run}"
    mark = len(stk.started)
    try:
        url, control = start_simulator(stk, run, config.build_seconds)
        raise_quotas(url, config.services)
        conf = stk.work / f"cloud-{run}.conf"
        write_cloud_conf(conf, url, control, config.services)
        env = queue_env(stk, run, conf, db)
        start_pipeline(stk, config, run, env)
        stk.cluster.create_namespace(namespace)
        with stk.cluster.api_client() as api:
            core = client.CoreV1Api(api)
            try:
                return observe(core, namespace, config, control)
            finally:
                drop_services(core, namespace)
                control.close()
    finally:
        stop_all(stk.started[mark:])
        del stk.started[mark:]


def observe(core: client.CoreV1Api, namespace: str, config: RunConfig, control: SimControl) -> RunResult:
    addresses = AddressWatch(core, namespace, config.services)
    builds = BuildObserver(control)
    addresses.start()
    time.sleep(0.5)  # let the watch open before the first create
    addresses.t0 = time.monotonic()
    create_services(core, namespace, config.services)
    deadline = addresses.t0 + 2 * config.budget + config.services
    while not addresses.done.is_set() and time.monotonic() < deadline:
        builds.sample()
        addresses.done.wait(1.0)
    builds.sample()
    addresses.stop()
    return RunResult(config, tuple(sorted(addresses.seen.values())), builds.median(), uptime())


# -- printing --

HEADER = (
    "| K | workers × concurrency | T s (configured / observed) | p50 s | max s | max/T | serial K·T s "
    "| serial/max | 2T+30 s | target |"
)


def table_row(result: RunResult) -> str:
    c = result.config
    observed = f"{result.observed_build:.1f}" if result.observed_build is not None else "n/a"
    verdict = "pass" if result.passed else f"FAIL ({result.addressed}/{c.services} addressed)"
    return (
        f"| {c.services} | {c.workers} × {c.concurrency} | {c.build_seconds:g} / {observed} "
        f"| {result.p50:.1f} | {result.slowest:.1f} | {result.max_over_t:.2f} | {result.serial_seconds:g} "
        f"| {result.serial_ratio:.1f} | {c.budget:g} | {verdict} |"
    )


def print_table(results: list[RunResult]) -> None:
    print(HEADER)
    print("|---" * (HEADER.count("|") - 1) + "|")
    for result in results:
        print(table_row(result))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.provision", description=__doc__.split("\n")[0])
    parser.add_argument("--services", type=int, default=100, help="K, Services created at once (100)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    parser.add_argument("--concurrency", type=int, default=4, help="pool children per worker (4)")
    parser.add_argument("--build-seconds", type=float, default=60.0, help="T, load balancer build time (60)")
    return parser.parse_args(argv)


@contextmanager
def interrupts_as_keyboard() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so the `finally` blocks stop every process we started."""

    def handler(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        config = RunConfig(args.services, args.workers, args.concurrency, args.build_seconds)
    except ValueError as exc:
        raise SystemExit(f"python -m bench.provision: {exc}") from exc
    print(f"load at start: {uptime()}", flush=True)
    with interrupts_as_keyboard(), stack() as stk:
        result = measure(stk, config)
    print_table([result])
    print(f"load at end: {result.load}")


if __name__ == "__main__":
    main()
