"""The Services cache: list+watch against a stand-in (pages, 410 Gone, reconnects) and the real apiserver."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from kubernetes import client
from octavia_lb_devkit.testing.listwatch_standin import ListWatchServer
from octavia_lb_devkit.testing.samples import ANN, LB_ID, service

from octavia_lb.common.config import CloudConfig
from octavia_lb.common.kube import KubeConfigError, ServicesCache, load_kube_config
from octavia_lb.common.listwatch import ListWatchSettings
from octavia_lb.common.rules import Peer
from tests.polling import wait_for

OTHER_LB = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
FAST = ListWatchSettings(page_size=3, watch_seconds=30, backoff_initial=0.05, backoff_max=0.2)


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    wait_for("the condition", check, timeout=timeout, interval=0.02)


def on_lb(name: str, lb: str = LB_ID, port: int = 80, namespace: str = "team-a") -> dict:
    return service(name, namespace, annotations={ANN + "load-balancer-id": lb}, ports=[("TCP", port)])


def names(cache: ServicesCache, lb: str = LB_ID) -> set[str]:
    return {p.key for p in cache.peers_for(lb)}


@contextmanager
def running_cache(kubeconfig: Path, settings: ListWatchSettings = FAST) -> Iterator[ServicesCache]:
    cache = ServicesCache(load_kube_config(str(kubeconfig)), CloudConfig.default(), settings)
    cache.start()
    try:
        yield cache
    finally:
        cache.stop()


def test_lists_in_pages_and_keeps_only_services_on_a_load_balancer(
    listwatch: ListWatchServer, tmp_path: Path
):
    for i in range(7):
        listwatch.put(on_lb(f"s{i}", LB_ID if i % 2 else OTHER_LB, port=80 + i))
    listwatch.put(service("plain"))  # LoadBalancer without an id: no peer
    listwatch.put(service("cip", type_="ClusterIP", annotations={ANN + "load-balancer-id": LB_ID}))
    with running_cache(listwatch.write_kubeconfig(tmp_path / "kc")) as cache:
        assert cache.wait_synced(10)
        assert listwatch.list_requests == 3  # 9 Services at page size 3
        assert names(cache) == {"team-a/s1", "team-a/s3", "team-a/s5"}
        assert len(cache.peers_for(OTHER_LB)) == 4
        assert len(cache) == 7
        peer = cache.peers_for(LB_ID)[0]
        assert isinstance(peer, Peer) and peer.ports == frozenset({("TCP", 80 + int(peer.name[1:]))})


def test_watch_applies_adds_changes_and_deletes(listwatch: ListWatchServer, tmp_path: Path) -> None:
    listwatch.put(on_lb("a"))
    with running_cache(listwatch.write_kubeconfig(tmp_path / "kc")) as cache:
        assert cache.wait_synced(10)
        listwatch.put(on_lb("b", port=81))
        eventually(lambda: names(cache) == {"team-a/a", "team-a/b"})
        listwatch.put(on_lb("b", OTHER_LB, port=81))  # moved to another load balancer
        eventually(lambda: names(cache) == {"team-a/a"} and names(cache, OTHER_LB) == {"team-a/b"})
        listwatch.put(service("a"))  # annotation removed
        eventually(lambda: names(cache) == set())
        listwatch.delete("team-a", "b")
        eventually(lambda: len(cache) == 0)
        assert listwatch.list_requests == 1


@pytest.mark.parametrize("as_event", [True, False], ids=["error-event", "http-410"])
def test_410_gone_makes_it_list_again(listwatch: ListWatchServer, tmp_path: Path, as_event: bool) -> None:
    listwatch.expire_as_event = as_event
    listwatch.put(on_lb("a"))
    with running_cache(listwatch.write_kubeconfig(tmp_path / "kc")) as cache:
        assert cache.wait_synced(10)
        eventually(lambda: listwatch.watch_requests >= 1)
        # changes made while the history is lost reach the cache only through the re-list
        listwatch.expire()
        listwatch.services.pop(("team-a", "a"))
        listwatch.services[("team-a", "c")] = on_lb("c", port=82)
        eventually(lambda: cache.lists >= 2)
        eventually(lambda: names(cache) == {"team-a/c"})
        # and the watch resumes from the re-list's resourceVersion
        listwatch.put(on_lb("d", port=83))
        eventually(lambda: names(cache) == {"team-a/c", "team-a/d"})


def test_watch_resumes_from_last_version_after_the_stream_ends(listwatch: ListWatchServer, tmp_path: Path):
    listwatch.put(on_lb("a"))
    settings = ListWatchSettings(page_size=3, watch_seconds=1, backoff_initial=0.05, backoff_max=0.2)
    with running_cache(listwatch.write_kubeconfig(tmp_path / "kc"), settings) as cache:
        assert cache.wait_synced(10)
        listwatch.put(on_lb("b", port=81))
        eventually(lambda: "team-a/b" in names(cache))
        eventually(lambda: listwatch.watch_requests >= 2, timeout=10)
        assert listwatch.list_requests == 1
        assert listwatch.watch_versions[-1] == cache.resource_version == str(listwatch.rv)


def test_not_synced_until_the_first_list_completes(listwatch: ListWatchServer, tmp_path: Path) -> None:
    listwatch.list_gate.clear()
    with running_cache(listwatch.write_kubeconfig(tmp_path / "kc")) as cache:
        time.sleep(0.3)
        assert not cache.synced
        listwatch.list_gate.set()
        assert cache.wait_synced(10)


def test_reconnects_with_backoff_when_the_server_is_unreachable(tmp_path: Path) -> None:
    dead = ListWatchServer()
    kubeconfig = dead.write_kubeconfig(tmp_path / "kc")
    dead.httpd.server_close()  # the port is now closed: connections are refused
    with running_cache(kubeconfig) as cache:
        time.sleep(0.5)
        assert not cache.synced
        assert cache.lists == 0


def test_static_cache_is_synced_and_indexed() -> None:
    peers = [Peer("ns", "a", "u1", LB_ID, False, frozenset()), Peer("ns", "b", "u2", "", False, frozenset())]
    cache = ServicesCache.static(peers)
    assert cache.synced and len(cache) == 1
    assert [p.name for p in cache.peers_for(LB_ID)] == ["a"]
    assert cache.peers_for(OTHER_LB) == ()


def test_kubeconfig_resolution_names_what_was_tried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    with pytest.raises(KubeConfigError, match="missing does not exist"):
        load_kube_config(None)
    with pytest.raises(KubeConfigError, match="--kubeconfig"):
        load_kube_config(str(tmp_path / "nope"))
    stub = ListWatchServer()
    try:
        monkeypatch.setenv("KUBECONFIG", str(stub.write_kubeconfig(tmp_path / "kc")))
        assert load_kube_config(None).configuration.host == stub.url
        monkeypatch.delenv("KUBECONFIG")
        monkeypatch.setenv("HOME", str(tmp_path))
        (tmp_path / ".kube").mkdir()
        stub.write_kubeconfig(tmp_path / ".kube" / "config")
        assert load_kube_config(None).configuration.host == stub.url
    finally:
        stub.httpd.server_close()


@pytest.mark.cluster
def test_against_the_real_apiserver(cluster, kube_api, namespace: str) -> None:
    core = client.CoreV1Api(kube_api)

    def create(name: str, lb: str, port: int) -> None:
        body = on_lb(name, lb, port, namespace)
        del body["metadata"]["uid"], body["metadata"]["managedFields"]
        core.create_namespaced_service(namespace, body)

    create("first", LB_ID, 80)
    with running_cache(cluster.kubeconfig) as cache:
        assert cache.wait_synced(15)
        assert names(cache) == {f"{namespace}/first"}
        create("second", LB_ID, 81)
        eventually(lambda: names(cache) == {f"{namespace}/first", f"{namespace}/second"})
        patch = {"metadata": {"annotations": {ANN + "load-balancer-id": OTHER_LB}}}
        core.patch_namespaced_service("second", namespace, patch)
        eventually(lambda: names(cache, OTHER_LB) == {f"{namespace}/second"})
        # the 1.20 apiserver answers a Status here, which this client cannot read as a V1Service
        core.delete_namespaced_service("first", namespace, _preload_content=False)
        eventually(lambda: names(cache) == set())
        assert int(cache.resource_version) > 0
        assert cache.lists == 1
