"""Our real webhook (`octavia-lb webhook` subprocess) registered with the real API server, driven by kubectl.

The webhook watches Services through the same API server, so the sharing checks also prove its cache
follows creates, updates and deletes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException
from octavia_lb_devkit.controlplane.cluster import Cluster
from octavia_lb_devkit.controlplane.registration import (
    VALIDATING_NAME,
    register_webhooks,
    unregister_webhooks,
)
from octavia_lb_devkit.testing.certs import CertFiles

from tests.fixtures.webhook import RunningWebhook, webhook_process

FINALIZER = "loadbalancer.openstack.org/cleanup"
LB_ID = "0b9f7c56-95a9-4f5c-9f53-2a3a1f6e1d11"
TIMEOUT_MESSAGE = (
    'loadbalancer.openstack.org/health-monitor-timeout: "10" must be less than health-monitor-delay ("5")'
)


@pytest.fixture(scope="module")
def admission(
    cluster: Cluster, kube_api: ApiClient, tls_certs: CertFiles, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningWebhook]:
    """The webhook process, ready (cache synced) and registered for this module only."""
    with webhook_process(tls_certs, cluster.kubeconfig, tmp_path_factory.mktemp("webhook")) as proc:
        _wait_ready(proc.running, proc.stderr)
        register_webhooks(kube_api, base_url=proc.running.url, ca_bundle=tls_certs.ca_cert.read_bytes())
        try:
            yield proc.running
        finally:
            unregister_webhooks(kube_api)


def _wait_ready(running: RunningWebhook, stderr: Callable[[], str]) -> None:
    deadline = time.monotonic() + 20
    with running.client() as http:
        while http.get("/readyz").status_code != 200:
            if time.monotonic() > deadline:
                raise AssertionError(f"webhook never became ready; stderr:\n{stderr()}")
            time.sleep(0.1)


def manifest(name: str, annotations: dict[str, str] | None = None, port: int = 80) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "annotations": annotations or {}},
            "spec": {
                "type": "LoadBalancer",
                "selector": {"app": name},
                "ports": [{"name": "http", "port": port, "protocol": "TCP"}],
            },
        }
    )


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(text)
    return str(path)


BAD = {
    "loadbalancer.openstack.org/health-monitor-delay": "5",
    "loadbalancer.openstack.org/health-monitor-timeout": "10",
}


def read(kube_api: ApiClient, namespace: str, name: str) -> client.V1Service | None:
    try:
        return client.CoreV1Api(kube_api).read_namespaced_service(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


@pytest.mark.usefixtures("admission")
def test_bad_service_is_denied_with_our_message_and_not_stored(
    kubectl, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "bad", manifest("bad", BAD))
    done = kubectl("apply", "-n", namespace, "-f", path, check=False)
    assert done.returncode == 1
    expected = (
        f'Error from server (Forbidden): error when creating "{path}": admission webhook '
        f'"{VALIDATING_NAME}" denied the request: {TIMEOUT_MESSAGE}'
    )
    assert expected in done.stderr.splitlines(), done.stderr
    assert read(kube_api, namespace, "bad") is None


@pytest.mark.usefixtures("admission")
def test_good_service_is_stored_with_finalizer_cluster_ip_and_node_ports(
    kubectl, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    done = kubectl("apply", "-n", namespace, "-f", write(tmp_path, "good", manifest("good")))
    assert done.stdout.strip() == "service/good created"
    stored = read(kube_api, namespace, "good")
    assert stored is not None and stored.metadata.finalizers == [FINALIZER]
    assert stored.spec.cluster_ip.startswith("10.96.")
    assert 30000 <= stored.spec.ports[0].node_port <= 32767


@pytest.mark.usefixtures("admission")
def test_warnings_print_as_kubectl_warnings(
    kubectl, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    typo = {"loadbalancer.openstack.org/health-monitor-dealy": "5"}
    done = kubectl("apply", "-n", namespace, "-f", write(tmp_path, "typo", manifest("typo", typo)))
    assert (
        "Warning: unknown annotation loadbalancer.openstack.org/health-monitor-dealy is ignored; "
        "did you mean loadbalancer.openstack.org/health-monitor-delay?"
    ) in done.stderr.splitlines()
    assert read(kube_api, namespace, "typo") is not None


@pytest.mark.usefixtures("admission")
def test_occm_parity_admission_outcomes_through_kubectl(
    kubectl, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    """A node-selector with blanks around '=' matches no node under OCCM: denied, saying how to write it.
    A negated floating-subnet-tags list is admitted with a warning saying which subnets it selects."""
    spaced = {"loadbalancer.openstack.org/node-selector": "k1 = v1"}
    path = write(tmp_path, "spaced", manifest("spaced", spaced))
    done = kubectl("apply", "-n", namespace, "-f", path, check=False)
    assert done.returncode == 1
    assert (
        f'Error from server (Forbidden): error when creating "{path}": admission webhook "{VALIDATING_NAME}" '
        "denied the request: loadbalancer.openstack.org/node-selector: \"k1 = v1\" has item 'k1 = v1' with "
        "blanks around '='; OCCM keeps them as part of the label, so it would match no node; write k1=v1"
    ) in done.stderr.splitlines(), done.stderr
    assert read(kube_api, namespace, "spaced") is None

    negated = {"loadbalancer.openstack.org/floating-subnet-tags": "!a,b"}
    done = kubectl("apply", "-n", namespace, "-f", write(tmp_path, "negated", manifest("negated", negated)))
    assert (
        'Warning: loadbalancer.openstack.org/floating-subnet-tags: "!a,b" selects floating subnets carrying '
        "none of the tags a, b (Neutron not-tags-any); OCCM selects the same ones"
    ) in done.stderr.splitlines(), done.stderr
    assert read(kube_api, namespace, "negated") is not None


@pytest.mark.usefixtures("admission")
def test_invalid_change_is_denied_when_patching_and_the_stored_service_is_unchanged(
    kubectl, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "change", manifest("change"))
    kubectl("apply", "-n", namespace, "-f", path)
    before = read(kube_api, namespace, "change")
    Path(path).write_text(manifest("change", BAD))
    done = kubectl("apply", "-n", namespace, "-f", path, check=False)
    assert done.returncode == 1
    # kubectl shows the rejected patch between these two lines.
    lines = done.stderr.splitlines()
    assert lines[0] == "Error from server (Forbidden): error when applying patch:", done.stderr
    assert lines[-1] == (
        f'for: "{path}": error when patching "{path}": admission webhook '
        f'"{VALIDATING_NAME}" denied the request: {TIMEOUT_MESSAGE}'
    ), done.stderr
    after = read(kube_api, namespace, "change")
    assert after is not None and before is not None
    assert after.metadata.resource_version == before.metadata.resource_version


@pytest.mark.usefixtures("admission")
def test_server_dry_run_runs_both_webhooks_and_stores_nothing(
    kubectl, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    bad = write(tmp_path, "dry-bad", manifest("dry-bad", BAD))
    denied = kubectl("apply", "--dry-run=server", "-n", namespace, "-f", bad, check=False)
    assert denied.returncode == 1 and f"denied the request: {TIMEOUT_MESSAGE}" in denied.stderr
    good = write(tmp_path, "dry-good", manifest("dry-good"))
    shown = json.loads(kubectl("apply", "--dry-run=server", "-o", "json", "-n", namespace, "-f", good).stdout)
    assert shown["metadata"]["finalizers"] == [FINALIZER]  # the mutating webhook ran
    assert read(kube_api, namespace, "dry-good") is None
    assert read(kube_api, namespace, "dry-bad") is None


@pytest.mark.usefixtures("admission")
def test_delete_leaves_a_deletion_timestamp_until_our_finalizer_is_removed(
    kubectl, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    kubectl("apply", "-n", namespace, "-f", write(tmp_path, "doomed", manifest("doomed")))
    kubectl("delete", "-n", namespace, "service", "doomed", "--wait=false")
    held = read(kube_api, namespace, "doomed")
    assert held is not None and held.metadata.deletion_timestamp is not None
    assert held.metadata.finalizers == [FINALIZER]
    kubectl(
        "patch",
        "-n",
        namespace,
        "service",
        "doomed",
        "--type=json",
        "-p",
        '[{"op":"remove","path":"/metadata/finalizers"}]',
    )
    assert read(kube_api, namespace, "doomed") is None


@pytest.mark.usefixtures("admission")
def test_webhook_cache_follows_creates_updates_and_deletes(
    kubectl, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    shared = {"loadbalancer.openstack.org/load-balancer-id": LB_ID}
    owner = write(tmp_path, "owner", manifest("owner", shared, port=80))
    kubectl("apply", "-n", namespace, "-f", owner)
    second = write(tmp_path, "second", manifest("second", shared, port=80))
    collision = f"spec.ports[0]: TCP/80 is already used on load balancer {LB_ID} by Service {namespace}/owner"
    _eventually_denied(kubectl, namespace, second, collision)  # create seen by the cache

    Path(owner).write_text(manifest("owner", shared, port=81))
    kubectl("apply", "-n", namespace, "-f", owner)
    _eventually_allowed(kubectl, namespace, second)  # update seen: port 80 is free now
    kubectl("delete", "-n", namespace, "service", "second", "--wait=false")
    kubectl(
        "patch",
        "-n",
        namespace,
        "service",
        "second",
        "--type=json",
        "-p",
        '[{"op":"remove","path":"/metadata/finalizers"}]',
    )

    third = write(tmp_path, "third", manifest("third", shared, port=81))
    _eventually_denied(kubectl, namespace, third, collision.replace("80", "81"))
    kubectl("delete", "-n", namespace, "service", "owner", "--wait=false")
    kubectl(
        "patch",
        "-n",
        namespace,
        "service",
        "owner",
        "--type=json",
        "-p",
        '[{"op":"remove","path":"/metadata/finalizers"}]',
    )
    _eventually_allowed(kubectl, namespace, third)  # delete seen: nobody uses the load balancer


def _eventually_denied(kubectl, namespace: str, path: str, message: str) -> None:
    deadline = time.monotonic() + 10
    while True:
        done = kubectl("apply", "--dry-run=server", "-n", namespace, "-f", path, check=False)
        if done.returncode == 1 and message in done.stderr:
            return
        assert time.monotonic() < deadline, f"never denied with {message!r}: {done.stdout}{done.stderr}"
        time.sleep(0.2)


def _eventually_allowed(kubectl, namespace: str, path: str) -> None:
    deadline = time.monotonic() + 10
    while True:
        done = kubectl("apply", "-n", namespace, "-f", path, check=False)
        if done.returncode == 0:
            return
        assert time.monotonic() < deadline, f"never allowed: {done.stderr}"
        time.sleep(0.2)
