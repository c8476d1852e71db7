"""Shared parts of the fault suite: the real pipeline (dispatcher + workers) with fault-friendly settings,
waiting for convergence, and the leak audit over the simulator's state dump.

The audit is the suite's definition of "nothing lost, nothing leaked":
- every Service has exactly one load balancer, named `kube_service_<cluster>_<ns>_<name>`, ACTIVE;
- every load balancer in the simulator belongs to a live Service (no orphans), no name appears twice;
- every floating IP sits on the VIP port of a live load balancer, one per load balancer, and is the
  Service's `status.loadBalancer.ingress` address;
- every Service carries the finalizer; after all Services are deleted the simulator holds none of ours.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kubernetes.client.exceptions import ApiException

from octavia_lb.common.naming import lb_name
from octavia_lb.common.rules import FINALIZER
from tests.polling import wait_for
from tests.reconcile.conftest import Env
from tests.reconcile.test_processes import WORKER_ENV

# CI runs the sizes below; FAULTS_SCALE=full runs the long variant (more Services and kill rounds).
SCALE = os.environ.get("FAULTS_SCALE", "ci")
if SCALE not in ("ci", "full"):
    raise ValueError(f"FAULTS_SCALE: {SCALE!r} must be 'ci' or 'full'")

# Short limits so a lost message comes back within seconds: a task may run 8 s, an unacked message is
# redelivered after 12 s, and every 4 s the leader enqueues every Service again.
FAULT_ENV = {
    **WORKER_ENV,
    "OCTAVIA_LB_TASK_SOFT_TIME_LIMIT": "8",
    "OCTAVIA_LB_TASK_TIME_LIMIT": "10",
    "OCTAVIA_LB_VISIBILITY_TIMEOUT": "12",
    "OCTAVIA_LB_REQUEUE_COUNTDOWN": "0.5",
    "OCTAVIA_LB_RESYNC_PERIOD": "4",
    "OCTAVIA_LB_MAX_RETRIES": "20",
    "OCTAVIA_LB_RETRY_BACKOFF_BASE": "0.5",
    "OCTAVIA_LB_RETRY_BACKOFF_MAX": "2",
    "OCTAVIA_LB_LOCK_TTL": "3",
    "OCTAVIA_LB_LOCK_BUSY_COUNTDOWN": "0.5",
}
PORTS = [{"name": "http", "port": 80, "protocol": "TCP"}]


def process_env(env: Env, cluster: Any, **overrides: str) -> dict[str, str]:
    """FAULT_ENV plus this test's cloud.conf and kubeconfig."""
    return {
        **FAULT_ENV,
        "OCTAVIA_LB_CLOUD_CONFIG": str(env.context.settings.cloud_config),
        "OCTAVIA_LB_KUBECONFIG": str(cluster.kubeconfig),
        **overrides,
    }


def raise_fip_quota(env: Env, count: int) -> None:
    """Neutron's default floating IP quota is 50; room for `count` Services and some churn."""
    conn = env.sim.connect()
    conn.network.put(f"/quotas/{conn.current_project_id}", json={"quota": {"floatingip": count + 20}})


def create_services(env: Env, names: Iterable[str]) -> list[str]:
    made = []
    for name in names:
        env.create_service(name, PORTS)
        made.append(name)
    return made


def create_in_flight(env: Env, prefix: str, count: int) -> tuple[list[str], int]:
    """Create `count` Services and give the pipeline 1.5 s: with slow builds some are addressed, most are
    still in flight (asserted), which is when a fault hurts most. Returns the names and how many were done."""
    names = create_services(env, [f"{prefix}{i:02d}" for i in range(count)])
    time.sleep(1.5)
    done = len(addressed(env, names))
    assert done < count, "every Service converged before the fault"
    return names, done


def ingress_ip(service: Any) -> str | None:
    lb = service.status.load_balancer
    return lb.ingress[0].ip if lb and lb.ingress else None


def addressed(env: Env, names: Iterable[str]) -> set[str]:
    """The Services among `names` that have an address and our finalizer."""
    wanted = set(names)
    return {
        svc.metadata.name
        for svc in env.core.list_namespaced_service(env.namespace).items
        if svc.metadata.name in wanted and ingress_ip(svc) and FINALIZER in (svc.metadata.finalizers or ())
    }


def wait_converged(
    env: Env, names: list[str], timeout: float, during: Callable[[], None] | None = None
) -> float:
    """Wait until every Service has an address and the audit passes; returns the seconds it took."""
    started = time.monotonic()
    deadline = started + timeout
    problems: list[str] = []
    while time.monotonic() < deadline:
        if during is not None:
            during()
        if len(addressed(env, names)) == len(names):
            problems = audit(env, names)
            if not problems:
                return time.monotonic() - started
        time.sleep(0.5)
    done = addressed(env, names)
    missing = sorted(set(names) - done)
    raise AssertionError(
        f"{len(done)}/{len(names)} Services converged in {timeout:g}s; missing {missing[:10]}; "
        f"audit: {problems or audit(env, names)}"
    )


@dataclass(frozen=True)
class CloudView:
    """The simulator's load balancers and floating IPs, as dumped."""

    lbs: list[dict[str, Any]]
    fips: list[dict[str, Any]]

    @classmethod
    def of(cls, env: Env) -> CloudView:
        state = env.sim.control.state()
        return cls(state["load-balancer"]["loadbalancers"], state["network"]["floatingips"])


def audit(env: Env, names: list[str]) -> list[str]:
    """Every leak, duplicate or mismatch between the Services `names` and the cloud (empty: clean)."""
    cluster = env.context.settings.cluster_name
    cloud = CloudView.of(env)
    services = {s.metadata.name: s for s in env.core.list_namespaced_service(env.namespace).items}
    wanted = {lb_name(cluster, env.namespace, n): n for n in names}
    problems: list[str] = []
    counts = Counter(lb["name"] for lb in cloud.lbs)
    problems += [f"{count} load balancers named {name}" for name, count in counts.items() if count > 1]
    problems += [
        f"orphan load balancer {lb['name']} ({lb['id']})" for lb in cloud.lbs if lb["name"] not in wanted
    ]
    by_name = {lb["name"]: lb for lb in cloud.lbs}
    for lb_wanted, service_name in wanted.items():
        lb = by_name.get(lb_wanted)
        svc = services.get(service_name)
        if lb is None or svc is None:
            problems.append(
                f"{service_name}: load balancer {'present' if lb else 'missing'}, "
                f"Service {'present' if svc else 'missing'}"
            )
            continue
        if lb["provisioning_status"] != "ACTIVE":
            problems.append(f"{service_name}: load balancer {lb['id']} is {lb['provisioning_status']}")
        fips = [f for f in cloud.fips if f["port_id"] == lb["vip_port_id"]]
        if len(fips) != 1:
            problems.append(f"{service_name}: {len(fips)} floating IPs on the VIP port")
        elif fips[0]["floating_ip_address"] != ingress_ip(svc):
            problems.append(
                f"{service_name}: ingress {ingress_ip(svc)} is not the FIP {fips[0]['floating_ip_address']}"
            )
        if FINALIZER not in (svc.metadata.finalizers or ()):
            problems.append(f"{service_name}: no finalizer")
    vip_ports = {lb["vip_port_id"] for lb in cloud.lbs}
    problems += [
        f"orphan floating IP {f['floating_ip_address']} (port {f['port_id']})"
        for f in cloud.fips
        if f["port_id"] not in vip_ports
    ]
    return problems


def delete_all(env: Env, names: list[str], timeout: float, during: Callable[[], None] | None = None) -> float:
    """Delete the Services through the system and wait until they are gone and the cloud is empty."""
    started = time.monotonic()
    for name in names:
        try:
            env.delete_service(name)
        except ApiException as exc:
            if exc.status != 404:
                raise

    def gone() -> bool:
        if during is not None:
            during()
        left = {s.metadata.name for s in env.core.list_namespaced_service(env.namespace).items}
        return not (left & set(names))

    wait_for("the Services to be deleted (finalizers removed by the workers)", gone, timeout)
    cloud = CloudView.of(env)
    assert cloud.lbs == [], (
        f"load balancers left after deleting every Service: {[lb['name'] for lb in cloud.lbs]}"
    )
    assert cloud.fips == [], f"floating IPs left: {[f['floating_ip_address'] for f in cloud.fips]}"
    return time.monotonic() - started


def sync_failures(env: Env, name: str) -> list[str]:
    """Messages of the SyncLoadBalancerFailed Events of a Service."""
    return [message for _, reason, message in env.events(name) if reason == "SyncLoadBalancerFailed"]
