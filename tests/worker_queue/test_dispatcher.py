"""A real `octavia-lb dispatcher` process against the real kube-apiserver and Redis.

The test plays the worker: it drains the queue, reads which Service each message names and why, and clears
the de-duplication marker as a starting task would, so every later change must produce a new message.
"""

from __future__ import annotations

import base64
import json
import signal
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from octavia_lb.common.rules import FINALIZER
from octavia_lb.worker.runtime import queueing
from tests.fixtures.worker import ProcessStarter, QueueEnv, RunningProcess

Message = tuple[str, str, str]  # namespace, name, reason
LEASE = {"OCTAVIA_LB_LEASE_DURATION": "3", "OCTAVIA_LB_LEASE_RETRY_PERIOD": "0.3"}


class Queue:
    """Reads reconcile messages for one namespace out of the test's queue."""

    def __init__(self, env: QueueEnv, namespace: str) -> None:
        self._r = env.client()
        self._queue = env.queue
        self._keys = queueing.QueueKeys(f"octavia-lb:{env.cluster_name}:", env.queue)
        self.namespace = namespace
        self.seen: list[Message] = []

    def drain(self) -> list[Message]:
        got: list[Message] = []
        while (raw := self._r.rpop(self._queue)) is not None:
            envelope = json.loads(raw)
            args, kwargs, _ = json.loads(base64.b64decode(envelope["body"]))
            message = (args[0], args[1], kwargs.get("reason", ""))
            self._r.delete(self._keys.pending(message[0], message[1]))
            if message[0] == self.namespace:
                got.append(message)
        self.seen.extend(got)
        return got

    def expect(self, *wanted: tuple[str, str], timeout: float = 10) -> list[Message]:
        """Waits until a message for each (name, reason) arrived; returns everything drained meanwhile."""
        got: list[Message] = []
        deadline = time.monotonic() + timeout
        missing = set(wanted)
        while missing and time.monotonic() < deadline:
            got += self.drain()
            missing -= {(name, reason) for _, name, reason in got}
            time.sleep(0.05)
        assert not missing, f"no message for {sorted(missing)}; got {got}"
        return got

    def expect_none(self, seconds: float = 2.0) -> None:
        time.sleep(seconds)
        got = self.drain()
        assert got == [], f"unexpected messages {got}"


def service(name: str, **extra: Any) -> dict[str, Any]:
    annotations = extra.pop("annotations", None)
    finalizers = extra.pop("finalizers", None)
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "type": extra.pop("type", "LoadBalancer"),
            "selector": {"app": name},
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
        },
    }
    if annotations:
        body["metadata"]["annotations"] = annotations
    if finalizers:
        body["metadata"]["finalizers"] = finalizers
    return body


@pytest.fixture
def core(kube_api) -> client.CoreV1Api:
    return client.CoreV1Api(kube_api)


@pytest.fixture
def queue(queue_env: QueueEnv, namespace: str) -> Queue:
    return Queue(queue_env, namespace)


@pytest.fixture
def dispatcher(cluster, queue_env, start_dispatcher: ProcessStarter, queue: Queue) -> RunningProcess:
    proc = start_dispatcher(
        "--kubeconfig",
        str(cluster.kubeconfig),
        OCTAVIA_LB_LEASE_NAME=f"dispatcher-{queue_env.cluster_name}",
        **LEASE,
    )
    proc.wait_log(r"watching services and nodes")
    queue.drain()  # the initial list enqueues other tests' leftovers; start from an empty queue
    return proc


@pytest.fixture
def nodes(core: client.CoreV1Api, cluster) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for name in made:
        try:
            core.delete_node(name)
        except client.exceptions.ApiException as exc:
            if exc.status != 404:
                raise


def test_service_create_update_delete(core, namespace, queue: Queue, dispatcher) -> None:
    core.create_namespaced_service(namespace, service("web"))
    queue.expect(("web", "added"))
    core.create_namespaced_service(namespace, service("internal-only", type="ClusterIP"))
    queue.expect_none(1.5)  # not a LoadBalancer: not ours

    # our own write-back (status) is not a change to act on
    core.patch_namespaced_service_status(
        "web", namespace, {"status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}}}
    )
    queue.expect_none(1.5)

    core.patch_namespaced_service(
        "web",
        namespace,
        {"metadata": {"annotations": {"loadbalancer.openstack.org/timeout-client-data": "5000"}}},
    )
    queue.expect(("web", "updated"))
    core.delete_namespaced_service("web", namespace, _preload_content=False)
    queue.expect(("web", "deleted"))


def test_finalizer_keeps_a_service_tracked_through_type_change_and_deletion(
    core, namespace, queue: Queue, dispatcher
) -> None:
    core.create_namespaced_service(namespace, service("db", finalizers=[FINALIZER]))
    queue.expect(("db", "added"))
    core.patch_namespaced_service("db", namespace, {"spec": {"type": "ClusterIP"}})
    queue.expect(("db", "updated"))  # no longer a LoadBalancer, but the cloud resources must be cleaned up
    core.delete_namespaced_service("db", namespace, _preload_content=False)
    queue.expect(("db", "updated"))  # deletionTimestamp set; the finalizer holds the object
    meta = core.read_namespaced_service("db", namespace).metadata
    assert meta.deletion_timestamp is not None
    core.patch_namespaced_service("db", namespace, [{"op": "remove", "path": "/metadata/finalizers"}])
    queue.expect(("db", "deleted"))


def test_burst_of_changes_collapses_into_one_message(core, namespace, queue: Queue, dispatcher) -> None:
    core.create_namespaced_service(namespace, service("burst"))
    time.sleep(1.0)  # the dispatcher enqueued "added"; nobody drained, so the marker is still set
    for i in range(10):
        core.patch_namespaced_service(
            "burst", namespace, {"metadata": {"annotations": {"loadbalancer.openstack.org/x": str(i)}}}
        )
    time.sleep(1.5)
    assert queue.drain() == [(namespace, "burst", "added")]


def _node_patch(core: client.CoreV1Api, name: str, labels: dict[str, str | None]) -> None:
    core.patch_node(name, {"metadata": {"labels": labels}})


def test_node_changes_respect_node_selector_and_exclusion(
    core, cluster, namespace, queue: Queue, dispatcher, nodes: list[str]
) -> None:
    pool = f"gpu-{uuid.uuid4().hex[:6]}"
    selector = "loadbalancer.openstack.org/node-selector"
    core.create_namespaced_service(namespace, service("all"))
    core.create_namespaced_service(namespace, service("gpu", annotations={selector: f"pool={pool}"}))
    core.create_namespaced_service(namespace, service("unfiltered", annotations={selector: ""}))
    queue.expect(("all", "added"), ("gpu", "added"), ("unfiltered", "added"))

    name = f"node-{uuid.uuid4().hex[:6]}"
    nodes.append(name)
    cluster.create_node(name, "10.0.0.77", labels={"pool": "cpu"})
    got = queue.expect(("all", "node-added"), ("unfiltered", "node-added"))
    time.sleep(0.5)
    got += queue.drain()
    assert {(n, r) for _, n, r in got} <= {
        ("all", "node-added"),
        ("unfiltered", "node-added"),
        ("all", "node-changed"),
        ("unfiltered", "node-changed"),
    }

    _node_patch(core, name, {"pool": pool})  # now a member for gpu too (and was one for all)
    got = queue.expect(("all", "node-changed"), ("gpu", "node-changed"), ("unfiltered", "node-changed"))

    core.patch_node(name, {"metadata": {"annotations": {"heartbeat": str(time.time())}}})
    queue.expect_none(1.5)  # nothing a load balancer cares about

    _node_patch(core, name, {"node.kubernetes.io/exclude-from-external-load-balancers": "true"})
    queue.expect(("all", "node-changed"), ("gpu", "node-changed"), ("unfiltered", "node-changed"))

    _node_patch(core, name, {"pool": "cpu"})  # excluded before and after: no Service is affected
    queue.expect_none(1.5)
    core.delete_node(name)
    queue.expect_none(1.5)


def test_node_removal_and_readiness_reach_only_selected_services(
    core, cluster, namespace, queue: Queue, dispatcher, nodes: list[str]
) -> None:
    pool = f"edge-{uuid.uuid4().hex[:6]}"
    selector = "loadbalancer.openstack.org/node-selector"
    core.create_namespaced_service(namespace, service("edge", annotations={selector: f"pool={pool}"}))
    core.create_namespaced_service(namespace, service("other", annotations={selector: "pool=nowhere"}))
    queue.expect(("edge", "added"), ("other", "added"))
    name = f"node-{uuid.uuid4().hex[:6]}"
    nodes.append(name)
    cluster.create_node(name, "10.0.0.78", labels={"pool": pool})
    got = queue.expect(("edge", "node-added"))
    time.sleep(0.5)
    got += queue.drain()
    assert all(n == "edge" for _, n, _ in got), got

    node = core.read_node_status(name)
    for condition in node.status.conditions:
        if condition.type == "Ready":
            condition.status = "False"
    core.replace_node_status(name, node)
    got = queue.expect(("edge", "node-changed"))
    assert all(n == "edge" for _, n, _ in got), got

    core.delete_node(name)
    got = queue.expect(("edge", "node-removed"))
    assert all(n == "edge" for _, n, _ in got), got


def test_periodic_resync_enqueues_every_tracked_service(
    cluster, namespace, core, queue_env, start_dispatcher, queue: Queue
) -> None:
    core.create_namespaced_service(namespace, service("steady"))
    start_dispatcher(
        "--kubeconfig",
        str(cluster.kubeconfig),
        OCTAVIA_LB_LEASE_NAME=f"resync-{queue_env.cluster_name}",
        OCTAVIA_LB_RESYNC_PERIOD="2",
        **LEASE,
    ).wait_log(r"watching services")
    queue.expect(("steady", "listed"))
    started = time.monotonic()
    queue.expect(("steady", "resync"), timeout=6)
    assert time.monotonic() - started >= 1.0
    queue.expect(("steady", "resync"), timeout=6)  # and again, with nothing changed


def test_standby_dispatcher_takes_over_the_lease(
    cluster, namespace, core, queue_env, start_dispatcher, queue: Queue, kube_api
) -> None:
    lease = f"takeover-{queue_env.cluster_name}"
    args = ("--kubeconfig", str(cluster.kubeconfig))
    first = start_dispatcher(*args, OCTAVIA_LB_LEASE_NAME=lease, OCTAVIA_LB_IDENTITY="first", **LEASE)
    first.wait_log(r"watching services")
    second = start_dispatcher(*args, OCTAVIA_LB_LEASE_NAME=lease, OCTAVIA_LB_IDENTITY="second", **LEASE)
    time.sleep(2)
    assert "watching services" not in second.log  # a standby does not watch or enqueue
    leases = client.CoordinationV1Api(kube_api)
    assert leases.read_namespaced_lease(lease, "kube-system").spec.holder_identity == "first"

    first.kill_all(signal.SIGKILL)  # no release: the standby must wait out the lease
    killed = time.monotonic()
    second.wait_log(r"watching services", timeout=10)
    took = time.monotonic() - killed
    assert took <= 3 + 2.0, took  # lease duration + a retry period + slack for a loaded machine
    assert leases.read_namespaced_lease(lease, "kube-system").spec.holder_identity == "second"
    queue.drain()
    core.create_namespaced_service(namespace, service("after-failover"))
    queue.expect(("after-failover", "added"))


def test_graceful_stop_releases_the_lease_at_once(cluster, queue_env, start_dispatcher, kube_api) -> None:
    lease = f"release-{queue_env.cluster_name}"
    args = ("--kubeconfig", str(cluster.kubeconfig))
    first = start_dispatcher(*args, OCTAVIA_LB_LEASE_NAME=lease, OCTAVIA_LB_LEASE_DURATION="30")
    first.wait_log(r"watching services")
    second = start_dispatcher(*args, OCTAVIA_LB_LEASE_NAME=lease, OCTAVIA_LB_LEASE_DURATION="30")
    first.managed.stop(grace=10)  # SIGTERM
    stopped = time.monotonic()
    second.wait_log(r"watching services", timeout=10)
    assert time.monotonic() - stopped < 5  # far less than the 30 s lease duration
    assert "dispatcher stopped" in first.log


def test_dispatcher_rejects_bad_settings_with_the_variable_and_value(cluster, start_dispatcher) -> None:
    proc = start_dispatcher(
        "--kubeconfig", str(cluster.kubeconfig), wait=False, OCTAVIA_LB_RESYNC_PERIOD="soon"
    )
    assert proc.managed.popen.wait(timeout=20) == 2
    assert "OCTAVIA_LB_RESYNC_PERIOD: 'soon' is not a number" in proc.log


def test_cloud_conf_node_selector_is_the_default(
    cluster, core, namespace, queue_env, start_dispatcher, queue: Queue, nodes: list[str], tmp_path
) -> None:
    pool = f"conf-{uuid.uuid4().hex[:6]}"
    conf = tmp_path / "cloud.conf"
    conf.write_text(f'[LoadBalancer]\nnode-selector = "pool={pool}"\n')
    start_dispatcher(
        "--kubeconfig",
        str(cluster.kubeconfig),
        "--cloud-config",
        str(conf),
        OCTAVIA_LB_LEASE_NAME=f"conf-{queue_env.cluster_name}",
        **LEASE,
    ).wait_log(r"watching services")
    selector = "loadbalancer.openstack.org/node-selector"
    core.create_namespaced_service(namespace, service("by-conf"))
    core.create_namespaced_service(namespace, service("everywhere", annotations={selector: ""}))
    queue.expect(("by-conf", "added"), ("everywhere", "added"))
    other = f"node-{uuid.uuid4().hex[:6]}"
    nodes.append(other)
    cluster.create_node(other, "10.0.0.90", labels={"pool": "elsewhere"})
    got = queue.expect(("everywhere", "node-added"))
    time.sleep(0.5)
    assert all(n == "everywhere" for _, n, _ in got + queue.drain())
    member = f"node-{uuid.uuid4().hex[:6]}"
    nodes.append(member)
    cluster.create_node(member, "10.0.0.91", labels={"pool": pool})
    queue.expect(("by-conf", "node-added"), ("everywhere", "node-added"))


def test_bad_cloud_conf_node_selector_and_missing_kubeconfig_fail_clearly(
    cluster, start_dispatcher, tmp_path
) -> None:
    conf = tmp_path / "cloud.conf"
    conf.write_text('[LoadBalancer]\nnode-selector = "bad key!"\n')
    proc = start_dispatcher("--kubeconfig", str(cluster.kubeconfig), "--cloud-config", str(conf), wait=False)
    assert proc.managed.popen.wait(timeout=20) == 2
    assert "[LoadBalancer] node-selector 'bad key!'" in proc.log
    missing = tmp_path / "nope.kubeconfig"
    proc = start_dispatcher("--kubeconfig", str(missing), wait=False)
    assert proc.managed.popen.wait(timeout=20) == 2
    assert str(missing) in proc.log and "Traceback" not in proc.log
