"""The dispatcher's list+watch loop against the real kube-apiserver: events, 410 Gone → list again."""

from __future__ import annotations

import base64
import threading
import time
from typing import Any

import requests
from kubernetes import client

from octavia_lb.worker.dispatch.dispatcher import ResourceWatcher, WatchTiming


class Recorder:
    def __init__(self) -> None:
        self.lists: list[list[dict[str, Any]]] = []
        self.events: list[tuple[str, str]] = []

    def on_list(self, items: list[dict[str, Any]]) -> None:
        self.lists.append(items)

    def on_event(self, kind: str, obj: dict[str, Any]) -> None:
        self.events.append((kind, obj["metadata"]["name"]))


def wait(predicate, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def start(
    watcher: ResourceWatcher, resume_from: str | None = None
) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop, resume_from), daemon=True)
    thread.start()
    return stop, thread


def finish(watcher: ResourceWatcher, stop: threading.Event, thread: threading.Thread) -> None:
    stop.set()
    watcher.interrupt()
    thread.join(5)
    assert not thread.is_alive()


def config_map(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name}, "data": {"k": "v"}}


def config_map_watcher(
    core: client.CoreV1Api, namespace: str, seen: Recorder, *timing: WatchTiming
) -> ResourceWatcher:
    """A watcher of the namespace's ConfigMaps that reports to `seen`."""
    return ResourceWatcher(
        lambda **kw: core.list_namespaced_config_map(namespace, **kw),
        "configmaps",
        seen.on_list,
        seen.on_event,
        *timing,
    )


def test_lists_then_streams_events(kube_api, namespace) -> None:
    core = client.CoreV1Api(kube_api)
    core.create_namespaced_config_map(namespace, config_map("before"))
    seen = Recorder()
    watcher = config_map_watcher(core, namespace, seen)
    stop, thread = start(watcher)
    try:
        wait(lambda: seen.lists)
        assert [i["metadata"]["name"] for i in seen.lists[0]] == ["before"]
        core.create_namespaced_config_map(namespace, config_map("after"))
        core.delete_namespaced_config_map("before", namespace, _preload_content=False)
        wait(lambda: ("DELETED", "before") in seen.events)
        assert seen.events[:2] == [("ADDED", "after"), ("DELETED", "before")]
        assert watcher.lists == 1
    finally:
        finish(watcher, stop, thread)


def event(name: str, namespace: str) -> dict[str, Any]:
    involved = {"kind": "Service", "name": "web", "namespace": namespace}
    return {"metadata": {"name": name}, "involvedObject": involved, "reason": "Test", "message": name}


def compact_etcd(etcd_url: str) -> int:
    """Drops etcd's history up to now, as the API server's periodic compaction does."""
    key = base64.b64encode(b"/").decode()
    revision = requests.post(f"{etcd_url}/v3/kv/range", json={"key": key}, timeout=5).json()["header"][
        "revision"
    ]
    requests.post(f"{etcd_url}/v3/kv/compaction", json={"revision": revision, "physical": True}, timeout=5)
    return int(revision)


def test_gone_resource_version_lists_again_and_keeps_watching(cluster, kube_api, namespace) -> None:
    # Events bypass the API server's watch cache, so an old resourceVersion reaches etcd, and after a
    # compaction etcd answers what a long-disconnected watch gets: 410 Gone ("too old").
    core = client.CoreV1Api(kube_api)
    core.create_namespaced_event(namespace, event("present", namespace), _preload_content=False)
    compact_etcd(cluster.etcd_url)
    seen = Recorder()
    watcher = ResourceWatcher(
        lambda **kw: core.list_namespaced_event(namespace, **kw), "events", seen.on_list, seen.on_event
    )
    stop, thread = start(watcher, resume_from="1")
    try:
        wait(lambda: watcher.lists == 1)
        assert seen.events == []  # the 410 is not passed on as an event
        assert [i["metadata"]["name"] for i in seen.lists[0]] == ["present"]
        assert int(watcher.resource_version) > 1
        core.create_namespaced_event(namespace, event("later", namespace), _preload_content=False)
        wait(lambda: ("ADDED", "later") in seen.events)
        assert watcher.lists == 1
    finally:
        finish(watcher, stop, thread)


def test_renews_the_watch_when_the_server_ends_it(kube_api, namespace) -> None:
    core = client.CoreV1Api(kube_api)
    seen = Recorder()
    watcher = config_map_watcher(core, namespace, seen, WatchTiming(timeout=1))
    stop, thread = start(watcher)
    try:
        wait(lambda: watcher.lists == 1)
        time.sleep(2.5)  # at least two server-side watch timeouts
        core.create_namespaced_config_map(namespace, config_map("late"))
        wait(lambda: ("ADDED", "late") in seen.events)
        assert watcher.lists == 1  # resumed from the last resourceVersion, no re-list
    finally:
        finish(watcher, stop, thread)
