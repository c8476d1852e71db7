"""The control-plane harness on the real etcd + kube-apiserver: start/stop, kubeconfig, kubectl, Nodes."""

from __future__ import annotations

import json
import os
import ssl
import urllib.request
from pathlib import Path

import pytest
from kubernetes import client
from kubernetes.client import ApiClient
from octavia_lb_devkit.controlplane.build import KubeApiserverMissing, binary_path, build, find_kube_apiserver
from octavia_lb_devkit.controlplane.cluster import NAME_LABEL, Cluster, ClusterError, node_manifest
from octavia_lb_devkit.controlplane.processes import PidRegistry, process_start_ticks


def test_readyz_answers_with_the_admin_token_over_the_cluster_ca(cluster: Cluster) -> None:
    context = ssl.create_default_context(cadata=cluster.ca_pem.decode())
    request = urllib.request.Request(
        f"{cluster.server}/readyz", headers={"Authorization": f"Bearer {cluster.token}"}
    )
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        assert response.read() == b"ok"


def test_kubeconfig_works_for_kubectl_and_reports_server_1_20(cluster: Cluster, kubectl) -> None:
    version = json.loads(kubectl("version", "-o", "json").stdout)
    assert version["serverVersion"]["gitVersion"] == "v1.20.2"
    names = kubectl("get", "namespaces", "-o", "name").stdout.split()
    assert {"namespace/default", "namespace/kube-system", "namespace/kube-public"} <= set(names)


def test_rbac_is_on_and_unknown_tokens_are_refused(cluster: Cluster) -> None:
    context = ssl.create_default_context(cadata=cluster.ca_pem.decode())
    request = urllib.request.Request(
        f"{cluster.server}/api/v1/namespaces", headers={"Authorization": "Bearer nope"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, context=context, timeout=10)
    assert refused.value.code == 401
    anonymous = urllib.request.Request(f"{cluster.server}/api/v1/namespaces")
    with pytest.raises(urllib.error.HTTPError) as forbidden:
        urllib.request.urlopen(anonymous, context=context, timeout=10)
    assert forbidden.value.code == 403  # anonymous reaches RBAC, which says no


def test_system_and_new_namespaces_carry_the_name_label(kube_api: ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(kube_api)
    for name in ("kube-system", "default", namespace):
        assert core.read_namespace(name).metadata.labels[NAME_LABEL] == name


def test_nodes_have_addresses_labels_provider_id_and_ready(
    cluster: Cluster, kube_api: ApiClient, kubectl
) -> None:
    cluster.create_node(
        "harness-node-a",
        "10.0.0.11",
        labels={"topology.kubernetes.io/zone": "nova"},
        provider_id="openstack:///8b0f5d8e-0000-4000-8000-000000000001",
        external_ip="172.24.4.11",
    )
    node = client.CoreV1Api(kube_api).read_node("harness-node-a")
    assert [(a.type, a.address) for a in node.status.addresses] == [
        ("InternalIP", "10.0.0.11"),
        ("Hostname", "harness-node-a"),
        ("ExternalIP", "172.24.4.11"),
    ]
    assert node.metadata.labels["topology.kubernetes.io/zone"] == "nova"
    assert node.spec.provider_id == "openstack:///8b0f5d8e-0000-4000-8000-000000000001"
    assert [(c.type, c.status) for c in node.status.conditions] == [("Ready", "True")]
    wide = kubectl("get", "node", "harness-node-a", "-o", "wide", "--no-headers").stdout.split()
    assert wide[:2] == ["harness-node-a", "Ready"] and "10.0.0.11" in wide and "172.24.4.11" in wide


@pytest.mark.parametrize(
    ("internal", "external", "message"),
    [
        ("10.0.0.300", None, "internal_ip: '10.0.0.300' is not an IP address"),
        ("10.0.0.1", "public", "external_ip: 'public' is not an IP address"),
    ],
)
def test_node_manifest_rejects_bad_addresses_naming_the_field(
    internal: str, external: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        node_manifest("n", internal, external_ip=external)


def test_a_failing_caller_still_stops_etcd_and_apiserver_and_removes_the_directory(tmp_path: Path) -> None:
    registry = PidRegistry(tmp_path / "pids")
    with pytest.raises(RuntimeError, match="caller failed"), Cluster(registry=registry) as own:
        pids = [proc.pid for proc in own.processes]
        directory = own.directory
        assert len(pids) == 2 and all(process_start_ticks(pid) for pid in pids)
        assert {entry.name for entry in registry.entries()} == {"etcd", "kube-apiserver"}
        assert own.start_seconds < 30
        raise RuntimeError("caller failed")
    assert all(process_start_ticks(pid) is None for pid in pids)
    assert not directory.exists()
    assert registry.entries() == []


def test_an_apiserver_that_cannot_start_fails_with_its_log_and_leaves_nothing_running(tmp_path: Path) -> None:
    broken = tmp_path / "kube-apiserver"
    broken.write_text("#!/bin/sh\necho 'flag provided but not defined: --nonsense' >&2\nexit 2\n")
    broken.chmod(0o755)
    registry = PidRegistry(tmp_path / "pids")
    own = Cluster(tmp_path / "cp", kube_apiserver=broken, registry=registry)
    with pytest.raises(ClusterError, match=r"kube-apiserver exited before becoming ready[\s\S]*--nonsense"):
        own.start()
    assert own.processes == ()
    assert registry.entries() == []
    assert (tmp_path / "cp" / "etcd.log").exists()  # a caller-given directory is kept for the logs


def test_missing_binary_names_the_build_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OCTAVIA_LB_CACHE_DIR", str(tmp_path))
    assert binary_path() == tmp_path / "kube-apiserver-1.20.2" / "kube-apiserver"
    command = r"PYTHONPATH=devkit python3 -m octavia_lb_devkit\.controlplane\.build"
    with pytest.raises(KubeApiserverMissing, match=command):
        find_kube_apiserver()


def test_build_reuses_a_working_cached_binary(capsys: pytest.CaptureFixture[str]) -> None:
    cached = find_kube_apiserver()
    before = os.stat(cached).st_mtime_ns
    assert build() == cached
    out = capsys.readouterr().out
    assert f"reusing {cached} (Kubernetes v1.20.2)" in out and "apt-get" not in out
    assert os.stat(cached).st_mtime_ns == before
