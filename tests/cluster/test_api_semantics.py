"""What controllers rely on, checked on the real API server: allocation, status, finalizers, leases, watch."""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from kubernetes import client, watch
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

FINALIZER = "loadbalancer.openstack.org/cleanup"


def lb_service(name: str, finalizers: list[str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "finalizers": finalizers or []},
        "spec": {"type": "LoadBalancer", "selector": {"app": name}, "ports": [{"name": "http", "port": 80}]},
    }


def delete_service(core: client.CoreV1Api, name: str, namespace: str) -> None:
    # 1.20 answers a Service delete with a Status, which this client would parse as a Service and fail.
    core.delete_namespaced_service(name, namespace, _preload_content=False).release_conn()


def test_api_server_allocates_cluster_ip_and_node_ports(kube_api: ApiClient, namespace: str) -> None:
    created = client.CoreV1Api(kube_api).create_namespaced_service(namespace, lb_service("alloc"))
    assert created.spec.cluster_ip.startswith("10.96.")
    assert 30000 <= created.spec.ports[0].node_port <= 32767
    assert created.spec.ports[0].protocol == "TCP"  # defaulted by the server


def test_status_is_a_subresource(kube_api: ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(kube_api)
    core.create_namespaced_service(namespace, lb_service("status"))
    ingress = {"status": {"loadBalancer": {"ingress": [{"ip": "172.24.4.10"}]}}}
    core.patch_namespaced_service(namespace=namespace, name="status", body=ingress)  # main resource: ignored
    assert core.read_namespaced_service("status", namespace).status.load_balancer.ingress is None
    core.patch_namespaced_service_status("status", namespace, ingress)
    stored = core.read_namespaced_service_status("status", namespace)
    assert [i.ip for i in stored.status.load_balancer.ingress] == ["172.24.4.10"]


def test_finalizer_keeps_a_deleted_service_until_it_is_removed(kube_api: ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(kube_api)
    core.create_namespaced_service(namespace, lb_service("held", [FINALIZER]))
    delete_service(core, "held", namespace)
    held = core.read_namespaced_service("held", namespace)
    assert held.metadata.deletion_timestamp is not None
    assert held.metadata.finalizers == [FINALIZER]
    core.patch_namespaced_service("held", namespace, [{"op": "remove", "path": "/metadata/finalizers"}])
    with pytest.raises(ApiException) as gone:
        core.read_namespaced_service("held", namespace)
    assert gone.value.status == 404


def test_lease_updates_use_optimistic_concurrency(kube_api: ApiClient, namespace: str) -> None:
    coordination = client.CoordinationV1Api(kube_api)
    now = datetime.datetime.now(datetime.UTC)
    body = client.V1Lease(
        metadata=client.V1ObjectMeta(name="dispatcher"),
        spec=client.V1LeaseSpec(
            holder_identity="a", lease_duration_seconds=15, renew_time=now, acquire_time=now
        ),
    )
    first = coordination.create_namespaced_lease(namespace, body)
    first.spec.holder_identity = "b"
    coordination.replace_namespaced_lease("dispatcher", namespace, first)
    first.spec.holder_identity = "c"  # still carries the old resourceVersion
    with pytest.raises(ApiException) as conflict:
        coordination.replace_namespaced_lease("dispatcher", namespace, first)
    assert conflict.value.status == 409
    assert coordination.read_namespaced_lease("dispatcher", namespace).spec.holder_identity == "b"


def test_events_can_be_recorded_for_a_service(kube_api: ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(kube_api)
    svc = core.create_namespaced_service(namespace, lb_service("evented"))
    core.create_namespaced_event(
        namespace,
        {
            "metadata": {"generateName": "evented."},
            "involvedObject": {
                "kind": "Service",
                "namespace": namespace,
                "name": "evented",
                "uid": svc.metadata.uid,
            },
            "reason": "EnsuredLoadBalancer",
            "message": "Ensured load balancer",
            "type": "Normal",
            "source": {"component": "octavia-lb"},
        },
    )
    events = core.list_namespaced_event(namespace, field_selector="involvedObject.name=evented").items
    assert [e.reason for e in events] == ["EnsuredLoadBalancer"]


def test_watch_sees_added_modified_and_deleted(kube_api: ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(kube_api)
    seen: list[tuple[str, str]] = []
    version = core.list_namespaced_service(namespace).metadata.resource_version
    watcher = watch.Watch()

    def follow() -> None:
        for event in watcher.stream(
            core.list_namespaced_service, namespace, resource_version=version, timeout_seconds=20
        ):
            seen.append((event["type"], event["object"].metadata.name))
            if event["type"] == "DELETED":
                watcher.stop()

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    core.create_namespaced_service(namespace, lb_service("watched"))
    core.patch_namespaced_service("watched", namespace, {"metadata": {"labels": {"x": "1"}}})
    delete_service(core, "watched", namespace)
    thread.join(25)
    assert seen == [("ADDED", "watched"), ("MODIFIED", "watched"), ("DELETED", "watched")]
