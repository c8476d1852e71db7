"""How long `octavia-lb plan` takes for N Services, offline and `--live`, and what a live plan costs.

    python -m bench.plan [--services 50]

Starts its own Redis, etcd + kube-apiserver and OpenStack simulator (fast profile), creates N internal
Services (one TCP port, 2 nodes; internal because Neutron's default quota is 50 floating IPs) and
provisions them with the real reconcile, then times the installed console
script on a manifest of the N Services (as a user would write it: no nodePorts, no controller annotations):

    offline               no cluster, no cloud
    live, in step         --live, nothing to change
    live, lb-method       --live, every Service's manifest with another lb-method (one pool update each)

and counts the simulator's requests during each live plan: reads per Service, and writes (must be 0;
Keystone's token POST is counted apart).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from octavia_lb_devkit.controlplane.cluster import Cluster  # noqa: E402

from bench.calls import LABEL, drive, local_stack, reconciler  # noqa: E402
from octavia_lb.worker.reconcile import run as reconcile  # noqa: E402, F401  (drive's reconcile, imported eagerly)

OCTAVIA_LB = str(Path(sys.executable).parent / "octavia-lb")
TOKENS = "POST /identity/v3/auth/tokens"


INTERNAL = {"service.beta.kubernetes.io/openstack-internal-load-balancer": "true"}


def manifest(namespace: str, count: int, annotations: dict[str, str]) -> str:
    annotations = {**INTERNAL, **annotations}
    docs = [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": f"svc-{i}", "namespace": namespace, "annotations": annotations},
            "spec": {"type": "LoadBalancer", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]},
        }
        for i in range(count)
    ]
    return yaml.safe_dump_all(docs)


def timed_plan(args: list[str], text: str) -> tuple[float, dict[str, Any]]:
    started = time.monotonic()
    result = subprocess.run(
        [OCTAVIA_LB, "plan", "--output", "json", *args, "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"plan exited {result.returncode}: {result.stderr}")
    return elapsed, json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=50)
    count = parser.parse_args().services
    with local_stack("bench-plan-") as (base, url, cluster, redis_url):
        rows = run(base, url, cluster, redis_url, count)
    print(f"octavia-lb plan, {count} internal Services (1 port, 2 nodes), fast simulator, wall time per call")
    header = f"{'plan':<20} {'seconds':>8} {'ms/Service':>11} {'changes':>8} {'reads/Service':>14}"
    print(f"{header} {'writes':>7}")
    for name, seconds, changes, reads, writes in rows:
        reads_text = f"{reads / count:.1f}" if reads is not None else "-"
        writes_text = str(writes) if writes is not None else "-"
        print(
            f"{name:<20} {seconds:>8.2f} {seconds * 1000 / count:>11.1f} {changes:>8} {reads_text:>14} "
            f"{writes_text:>7}"
        )


def run(base: Path, url: str, cluster: Cluster, redis_url: str, count: int) -> list[tuple[Any, ...]]:
    rec = reconciler(base, url, cluster, redis_url, 0.2)
    control, run_id, conf, context, namespace = rec.control, rec.run, rec.conf, rec.context, rec.namespace
    for i in (1, 2):
        cluster.create_node(f"{run_id}-n{i}", f"10.0.0.{100 + i}", labels={LABEL: run_id})
    with cluster.api_client() as api:
        core = client.CoreV1Api(api)
        for i in range(count):
            spec = {"type": "LoadBalancer", "ports": [{"port": 80}]}
            body = {"metadata": {"name": f"svc-{i}", "annotations": INTERNAL}, "spec": spec}
            core.create_namespaced_service(namespace, body)
        for i in range(count):
            drive(context, namespace, f"svc-{i}")
    live = ["--live", "--cloud-config", str(conf), "--kubeconfig", str(cluster.kubeconfig)]
    live += ["--cluster-name", "bench"]
    rows: list[tuple[Any, ...]] = []
    seconds, doc = timed_plan(["--cloud-config", str(conf)], manifest(namespace, count, {}))
    rows.append(("offline", seconds, doc["summary"]["changes"], None, None))
    for name, extra in (
        ("live, in step", {}),
        ("live, lb-method", {"loadbalancer.openstack.org/lb-method": "LEAST_CONNECTIONS"}),
    ):
        control.clear_counts()
        seconds, doc = timed_plan(live, manifest(namespace, count, extra))
        counts = control.counts()
        writes = sum(v for k, v in counts.items() if k.split()[0] != "GET" and k != TOKENS)
        reads = sum(v for k, v in counts.items() if k.split()[0] == "GET")
        rows.append((name, seconds, doc["summary"]["changes"], reads, writes))
    control.close()
    return rows


if __name__ == "__main__":
    main()
