"""Leader election on a real coordination.k8s.io/v1 Lease served by the real kube-apiserver."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from kubernetes import client

from octavia_lb.worker.dispatch.leader import LeaderElector, LeaseConfig

DURATION = 3.0
RETRY = 0.3


@pytest.fixture
def lease_name() -> str:
    return f"test-lease-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def electors(kube_api, lease_name) -> Iterator[list[LeaderElector]]:
    made = [
        LeaderElector(kube_api, LeaseConfig(lease_name, "kube-system", f"candidate-{i}", DURATION, RETRY))
        for i in range(2)
    ]
    yield made
    client.CoordinationV1Api(kube_api).delete_namespaced_lease(lease_name, "kube-system")


def holder(kube_api, lease_name: str) -> str | None:
    return (
        client.CoordinationV1Api(kube_api)
        .read_namespaced_lease(lease_name, "kube-system")
        .spec.holder_identity
    )


def test_first_candidate_wins_and_the_second_waits(kube_api, lease_name, electors) -> None:
    first, second = electors
    assert first.try_acquire_or_renew()
    assert not second.try_acquire_or_renew()
    assert first.try_acquire_or_renew()  # renewing
    assert not second.try_acquire_or_renew()
    assert holder(kube_api, lease_name) == "candidate-0"
    lease = client.CoordinationV1Api(kube_api).read_namespaced_lease(lease_name, "kube-system")
    assert lease.spec.lease_duration_seconds == 3
    assert lease.spec.renew_time is not None and lease.spec.acquire_time is not None


def test_standby_takes_over_within_the_lease_duration_after_the_leader_dies(
    kube_api, lease_name, electors
) -> None:
    first, second = electors
    stop_first, stop_second = threading.Event(), threading.Event()
    became: list[float] = []
    second._on_change = lambda leading: leading and became.append(time.monotonic())
    t1 = threading.Thread(target=first.run, args=(stop_first,), daemon=True)
    t1.start()
    time.sleep(1)
    t2 = threading.Thread(target=second.run, args=(stop_second,), daemon=True)
    t2.start()
    time.sleep(DURATION + 1)  # the standby watched the leader renew for longer than a lease duration
    assert first.is_leader and not second.is_leader
    stop_first.set()  # dies without releasing: its last renewal stays in the Lease
    t1.join()
    died = time.monotonic()
    deadline = died + DURATION + 3 * RETRY + 1
    while not became and time.monotonic() < deadline:
        time.sleep(0.05)
    stop_second.set()
    t2.join()
    assert became, "the standby never took over"
    takeover = became[0] - died
    assert takeover <= DURATION + 2 * RETRY, takeover
    assert holder(kube_api, lease_name) == "candidate-1"
    lease = client.CoordinationV1Api(kube_api).read_namespaced_lease(lease_name, "kube-system")
    assert lease.spec.lease_transitions == 1


def test_release_hands_over_at_once(kube_api, lease_name, electors) -> None:
    first, second = electors
    assert first.try_acquire_or_renew()
    first._set_leading(True)
    assert not second.try_acquire_or_renew()
    first.release()
    assert not first.is_leader
    assert second.try_acquire_or_renew()  # no lease-duration wait after a release
    assert holder(kube_api, lease_name) == "candidate-1"


def test_simultaneous_candidates_cannot_both_win(kube_api, lease_name) -> None:
    candidates = [
        LeaderElector(kube_api, LeaseConfig(lease_name, "kube-system", f"racer-{i}", DURATION, RETRY))
        for i in range(6)
    ]
    results: list[bool] = []
    barrier = threading.Barrier(len(candidates))

    def race(elector: LeaderElector) -> None:
        barrier.wait()
        try:
            results.append(elector.try_acquire_or_renew())
        except Exception:
            results.append(False)

    threads = [threading.Thread(target=race, args=(c,)) for c in candidates]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.CoordinationV1Api(kube_api).delete_namespaced_lease(lease_name, "kube-system")
    assert results.count(True) == 1
