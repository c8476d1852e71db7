"""Dispatcher and worker memory with N Services (default 10,000), and Redis memory per waiting Service.

    python -m bench.memory [--services 10000] [--resync 60]

One stack (etcd + kube-apiserver, Redis, two Nodes, a fast-profile simulator process). In order:

1. an `octavia-lb dispatcher` starts with no Service: its RSS is the dispatcher baseline;
2. N settled Services are made as the worker leaves them (bench/resync.py's `Settler`); the dispatcher's
   watch enqueues one message per Service, so N messages wait: Redis `used_memory` grows by the messages
   and their de-duplication markers, and the dispatcher's `/metrics` shows the queue depth and
   `octavia_lb_queue_bytes_per_message`;
3. an `octavia-lb worker --concurrency 2` starts (its RSS at `ready.` is the worker baseline) and drains the
   queue: N real reconciles of settled Services;
4. the dispatcher's resyncs run over the N Services (cold, then settled: nothing enqueued).

Reported: peak RSS (VmHWM) and current RSS of the dispatcher and of each worker process, as ratios to their
baselines of the same run; Redis bytes per waiting Service. Target (issue 11): at most 150 MB each.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import uuid
from pathlib import Path

import httpx
import redis

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from octavia_lb_devkit.controlplane.processes import free_port  # noqa: E402
from octavia_lb_devkit.dev.procs import group_members  # noqa: E402

from bench.provision import Stack, raise_quotas, stack, wait_log  # noqa: E402
from bench.resync import (  # noqa: E402
    CLUSTER,
    NODE_PORTS,
    Settler,
    cloud_conf,
    simulator,
    stack_settings,
    wait_active,
)

LIMIT_MB = 150.0


def vm(pid: int, field: str) -> float:
    """VmRSS or VmHWM (peak) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"pid {pid}: no {field}")


def metric(url: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", httpx.get(url, timeout=10).text, re.M)
    return float(found.group(1)) if found else float("nan")


def wait_until(what: str, check, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(1)


def run(stk: Stack, services: int, resync: float) -> None:
    run_id = uuid.uuid4().hex[:6]
    namespace = f"memory-{run_id}"
    stk.cluster.create_namespace(namespace)
    r = redis.Redis.from_url(stk.redis_url)
    with simulator(stk) as (url, control), stk.cluster.api_client() as api:
        raise_quotas(url, services)
        conf = cloud_conf(stk.work / f"cloud-{run_id}.conf", url, control)
        queue = f"octavia-lb-{run_id}"
        port = free_port()
        env = {
            "PYTHONPATH": str(REPO),
            "OCTAVIA_LB_REDIS_URL": stk.redis_url,
            "OCTAVIA_LB_CLUSTER_NAME": CLUSTER,
            "OCTAVIA_LB_QUEUE": queue,
            "OCTAVIA_LB_LEASE_NAME": f"memory-{run_id}",
            "OCTAVIA_LB_CLOUD_CONFIG": str(conf),
            "OCTAVIA_LB_KUBECONFIG": str(stk.cluster.kubeconfig),
            "OCTAVIA_LB_RESYNC_PERIOD": str(resync),
        }
        cli = [sys.executable, "-m", "octavia_lb"]
        dispatcher = stk.start(
            "dispatcher", [*cli, "dispatcher"], {**env, "OCTAVIA_LB_METRICS_PORT": str(port)}
        )
        wait_log(dispatcher, "watching services and nodes")
        metrics_url = f"http://127.0.0.1:{port}/metrics"
        time.sleep(2)
        dispatcher_base = vm(dispatcher.pid, "VmRSS")
        redis_base = int(r.info("memory")["used_memory"])
        print(f"dispatcher baseline {dispatcher_base:.1f} MB; settling {services} Services", flush=True)

        settings = stack_settings(stk, conf)
        started = time.monotonic()
        Settler(settings, api, namespace).all(services)
        wait_active(control, timeout=600)
        print(f"settled in {time.monotonic() - started:.0f} s", flush=True)
        wait_until(
            "the queue to hold every Service",
            lambda: metric(metrics_url, "octavia_lb_queue_depth") >= services,
            120,
        )
        depth = metric(metrics_url, "octavia_lb_queue_depth")
        per_message = metric(metrics_url, "octavia_lb_queue_bytes_per_message")
        redis_per_service = (int(r.info("memory")["used_memory"]) - redis_base) / services

        worker = stk.start("worker", [*cli, "worker", "--concurrency", "2"], env)
        wait_log(worker, "ready.")
        time.sleep(2)
        pool = [pid for pid, _ in group_members(worker.pid)]
        worker_base = {pid: vm(pid, "VmRSS") for pid in [worker.pid, *pool]}
        started = time.monotonic()
        wait_until(
            "the worker to drain the queue",
            lambda: (
                metric(metrics_url, "octavia_lb_queue_depth") == 0
                and metric(metrics_url, "octavia_lb_queue_unacked") == 0
            ),
            3600,
        )
        drained = time.monotonic() - started
        print(f"worker drained {services} reconciles in {drained:.0f} s", flush=True)
        resyncs = dispatcher.log_path.read_text().count("resync: ")
        wait_until(
            "a settled resync",
            lambda: (
                re.search(rf"resync: {services} services, 0 enqueued", dispatcher.log_path.read_text())
                is not None
                and dispatcher.log_path.read_text().count("resync: ") > resyncs
            ),
            6 * resync + 600,
        )
        requests = metric(metrics_url, "octavia_lb_resync_openstack_requests")
        dispatcher_now, dispatcher_peak = vm(dispatcher.pid, "VmRSS"), vm(dispatcher.pid, "VmHWM")
        workers = {pid: (vm(pid, "VmRSS"), vm(pid, "VmHWM")) for pid in worker_base}

    print(f"\nMemory with {services} Services (MB; ratio to the same process's baseline in this run)")
    print("| process | baseline | now | peak (VmHWM) | peak / baseline | target <= 150 MB |")
    print("|---|---|---|---|---|---|")
    print(
        f"| dispatcher | {dispatcher_base:.1f} (no Service) | {dispatcher_now:.1f} | {dispatcher_peak:.1f} "
        f"| {dispatcher_peak / dispatcher_base:.2f} | {'met' if dispatcher_peak <= LIMIT_MB else 'MISSED'} |"
    )
    for index, (pid, (now, peak)) in enumerate(workers.items()):
        role = "worker (main)" if index == 0 else f"worker (pool child {index})"
        base = worker_base[pid]
        print(
            f"| {role} | {base:.1f} (at ready) | {now:.1f} | {peak:.1f} | {peak / base:.2f} "
            f"| {'met' if peak <= LIMIT_MB else 'MISSED'} |"
        )
    print(
        f"\nRedis with {depth:.0f} waiting messages: {per_message:.0f} bytes per message in the queue list "
        f"(octavia_lb_queue_bytes_per_message); {redis_per_service:.0f} bytes of used_memory per waiting "
        f"Service (message + de-duplication marker)"
    )
    print(
        f"settled resync over {services} Services: {requests:.0f} OpenStack requests; "
        f"worker drain {drained:.0f} s"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--resync", type=float, default=60.0)
    args = parser.parse_args(argv)
    with stack(NODE_PORTS) as stk:
        run(stk, args.services, args.resync)


if __name__ == "__main__":
    main()
