"""SIGKILL of the active dispatcher while Services are provisioned: the standby takes the Lease over within
the lease duration (plus one retry period), and provisioning continues, including Services created while
no dispatcher was leading.
"""

from __future__ import annotations

import time
import uuid

import pytest
from kubernetes import client

from tests.faults.harness import SCALE, addressed, create_services, delete_all, process_env, wait_converged

pytestmark = pytest.mark.faults

LEASE_DURATION = 4.0
RETRY_PERIOD = 0.5
SLACK = 1.0  # API round trips and a loaded 2-core machine
BATCH = {"ci": 10, "full": 25}[SCALE]


def holder(kube_api, name: str) -> str | None:
    lease = client.CoordinationV1Api(kube_api).read_namespaced_lease(name, "kube-system")
    return lease.spec.holder_identity


def test_standby_dispatcher_takes_over_after_sigkill(
    reconcile_env, queue_env, start_worker, start_dispatcher, cluster, kube_api, record_property
):
    env = reconcile_env(cluster_name=queue_env.cluster_name)
    lease = f"faults-{uuid.uuid4().hex[:8]}"
    extra = process_env(
        env,
        cluster,
        OCTAVIA_LB_LEASE_NAME=lease,
        OCTAVIA_LB_LEASE_DURATION=str(LEASE_DURATION),
        OCTAVIA_LB_LEASE_RETRY_PERIOD=str(RETRY_PERIOD),
        OCTAVIA_LB_RESYNC_PERIOD="30",  # the takeover's initial list must do the work, not a resync
    )
    env.sim.control.set_delays(lb_create=(1.0, 2.0))
    env.add_node("a", "10.0.0.74")
    start_worker("--concurrency", "2", **extra)
    active = start_dispatcher(OCTAVIA_LB_IDENTITY="dispatcher-a", **extra)
    active.wait_log("dispatcher-a acquired Lease")
    standby = start_dispatcher(OCTAVIA_LB_IDENTITY="dispatcher-b", **extra)
    time.sleep(2 * RETRY_PERIOD)  # the standby has seen the leader renew
    assert holder(kube_api, lease) == "dispatcher-a"

    first = create_services(env, [f"a{i:02d}" for i in range(BATCH)])
    time.sleep(1.0)
    in_flight = BATCH - len(addressed(env, first))
    active.kill_all()
    killed = time.monotonic()
    second = create_services(env, [f"b{i:02d}" for i in range(BATCH)])  # only a new leader can see these
    while holder(kube_api, lease) != "dispatcher-b":
        assert time.monotonic() - killed < 3 * LEASE_DURATION, "the standby never took the Lease"
        time.sleep(0.05)
    takeover = time.monotonic() - killed
    standby.wait_log("dispatcher-b acquired Lease")
    names = first + second
    took = wait_converged(env, names, timeout=90)
    deleted = delete_all(env, names, timeout=90)
    record_property("takeover_seconds", round(takeover, 2))
    print(
        f"\ntakeover {takeover:.2f}s after SIGKILL (lease {LEASE_DURATION:g}s, retry {RETRY_PERIOD:g}s); "
        f"{in_flight} of the first {BATCH} in flight at the kill; all {len(names)} converged "
        f"{took:.1f}s after the takeover; deleted in {deleted:.1f}s"
    )
    assert in_flight > 0, "every Service had converged before the kill"
    assert takeover <= LEASE_DURATION + RETRY_PERIOD + SLACK, f"takeover took {takeover:.2f}s"
    client.CoordinationV1Api(kube_api).delete_namespaced_lease(lease, "kube-system")
