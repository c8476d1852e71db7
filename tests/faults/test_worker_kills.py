"""kill -9 of worker processes (a whole worker with its pool, or one pool child) at seeded random moments
while Services are provisioned and deleted, with replacements started: every Service converges and the cloud
holds exactly one load balancer and one floating IP per Service, and nothing after the deletes.
"""

from __future__ import annotations

import os
import random
import signal
import time
from dataclasses import dataclass, field

import pytest

from tests.faults.harness import (
    SCALE,
    addressed,
    create_services,
    delete_all,
    process_env,
    raise_fip_quota,
    wait_converged,
)

pytestmark = pytest.mark.faults

SEED = int(os.environ.get("FAULTS_SEED", "7"))
# (Services, kill rounds while provisioning): CI runs the 50 Services; the long variant doubles both.
SIZES = {"ci": (50, 6), "full": (100, 12)}


@dataclass
class Killer:
    """Kills a random worker with its pool (and starts a replacement), or one of its pool children."""

    rng: random.Random
    start: object
    workers: list = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    def round(self, what: str, whole: bool) -> None:
        victim = self.rng.choice(self.workers)
        children = victim.children()
        if children and not whole:
            child = self.rng.choice(children)
            os.kill(child, signal.SIGKILL)  # the worker's main process forks a new child
            self.log.append(f"{what}: pool child {child} of worker {victim.pid}")
            return
        victim.kill_all(signal.SIGKILL)
        self.workers.remove(victim)
        self.workers.append(self.start())
        self.log.append(f"{what}: worker {victim.pid} and its pool ({len(children)} children), replaced")


def test_kill_9_workers_while_provisioning_and_deleting(
    reconcile_env, queue_env, start_worker, start_dispatcher, cluster, record_property
):
    services, rounds = SIZES[SCALE]
    rng = random.Random(SEED)
    env = reconcile_env(cluster_name=queue_env.cluster_name)
    extra = process_env(env, cluster)
    raise_fip_quota(env, services)
    # builds that take a second or three, so that kills land while load balancers are half made
    env.sim.control.set_delays(lb_create=(1.0, 3.0), fip_active=(0.1, 0.5))
    env.add_node("a", "10.0.0.71")
    env.add_node("b", "10.0.0.72")
    killer = Killer(rng, lambda: start_worker("--concurrency", "2", **extra))
    killer.workers = [killer.start(), killer.start()]
    start_dispatcher(**extra)

    started = time.monotonic()
    names = create_services(env, [f"k{i:03d}" for i in range(services)])
    converged_at_kill = []
    for i in range(rounds):
        time.sleep(rng.uniform(0.3, 2.5))
        converged_at_kill.append(len(addressed(env, names)))
        killer.round(f"provisioning round {i + 1}", whole=i % 2 == 0)
    assert converged_at_kill[0] < services, "the first kill came after every Service had converged"
    took = wait_converged(env, names, timeout=180)
    provisioned = time.monotonic() - started

    deletion_kills = 0

    def kill_once_while_deleting() -> None:
        nonlocal deletion_kills
        if deletion_kills == 0 and time.monotonic() - deleting > 1.0:
            deletion_kills += 1
            killer.round("deleting", whole=True)

    deleting = time.monotonic()
    deleted = delete_all(env, names, timeout=180, during=kill_once_while_deleting)
    record_property("services", services)
    record_property("provision_seconds", round(provisioned, 1))
    record_property("delete_seconds", round(deleted, 1))
    print(
        f"\nseed {SEED}: {services} Services, {rounds + deletion_kills} kills "
        f"(converged at each provisioning kill: {converged_at_kill}); all converged "
        f"{provisioned:.1f}s after creation ({took:.1f}s after the last kill), all deleted in {deleted:.1f}s"
    )
    print("\n".join(killer.log))
    assert deletion_kills == 1, "no worker was killed during the deletes"
