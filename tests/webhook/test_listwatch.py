"""The shared list+watch loop (common/listwatch.py) against the stand-in server: what its users rely on.

Both the webhook's Services cache (test_cache.py) and the dispatcher (tests/worker_queue) run on this loop;
here it is driven directly, with recording callbacks. Against the real kube-apiserver:
tests/worker_queue/test_watch.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from octavia_lb_devkit.testing.listwatch_standin import ListWatchServer
from octavia_lb_devkit.testing.samples import service

from octavia_lb.common.kube import load_kube_config
from octavia_lb.common.listwatch import ListWatch, ListWatchSettings
from tests.polling import wait_for

FAST = ListWatchSettings(page_size=2, watch_seconds=30, backoff_initial=0.05, backoff_max=0.2)


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    wait_for("the condition", check, timeout=timeout, interval=0.02)


class Recorder:
    """Keeps each list's names and each event; `fail_next_event` makes the next event's callback raise."""

    def __init__(self) -> None:
        self.lists: list[list[str]] = []
        self.events: list[tuple[str, str]] = []
        self.fail_next_event = False
        self.started = 0.0  # monotonic time the loop was started

    def keep(self, obj: dict[str, Any]) -> str | None:
        name: str = obj["metadata"]["name"]
        return None if name.startswith("skip") else name

    def on_list(self, names: list[str]) -> None:
        self.lists.append(names)

    def on_event(self, kind: str, obj: dict[str, Any]) -> None:
        if self.fail_next_event:
            self.fail_next_event = False
            raise RuntimeError("the consumer failed on this event")
        self.events.append((kind, obj["metadata"]["name"]))


@contextmanager
def running(
    server: ListWatchServer, tmp_path: Path, settings: ListWatchSettings = FAST
) -> Iterator[tuple[ListWatch[str], Recorder]]:
    core = client.CoreV1Api(load_kube_config(str(server.write_kubeconfig(tmp_path / "kc"))))
    seen = Recorder()
    loop = ListWatch(
        core.list_service_for_all_namespaces, "services", seen.keep, seen.on_list, seen.on_event, settings
    )
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    seen.started = time.monotonic()
    thread.start()
    try:
        yield loop, seen
    finally:
        stop.set()
        loop.interrupt()
        thread.join(5)
        assert not thread.is_alive(), "the loop did not stop"


def test_keep_filters_each_page_and_the_list_arrives_whole(
    listwatch: ListWatchServer, tmp_path: Path
) -> None:
    for name in ("a", "skip-b", "c", "d", "skip-e"):
        listwatch.put(service(name))
    with running(listwatch, tmp_path) as (loop, seen):
        eventually(lambda: loop.lists == 1)
        assert seen.lists == [["a", "c", "d"]]  # one call, after all three pages
        assert listwatch.list_requests == 3
        assert loop.resource_version == str(listwatch.rv)


@pytest.mark.parametrize("as_event", [True, False], ids=["error-event", "http-410"])
def test_410_lists_again_and_watches_from_the_new_list(
    listwatch: ListWatchServer, tmp_path: Path, as_event: bool
) -> None:
    listwatch.expire_as_event = as_event
    listwatch.put(service("a"))
    with running(listwatch, tmp_path) as (loop, seen):
        eventually(lambda: listwatch.watch_requests >= 1)
        listwatch.expire()
        listwatch.services.pop(("team-a", "a"))  # lost with the history: only a re-list shows it
        listwatch.services[("team-a", "b")] = service("b")
        eventually(lambda: len(seen.lists) == 2)
        assert seen.lists == [["a"], ["b"]]
        assert seen.events == []  # the 410 is not an event, nor are the changes it hid
        relisted_at = loop.resource_version
        listwatch.put(service("c"))
        eventually(lambda: ("ADDED", "c") in seen.events)
        assert relisted_at in listwatch.watch_versions  # the watch resumed from the re-list's version
        assert loop.lists == 2


def test_bookmarks_move_the_version_without_an_event(listwatch: ListWatchServer, tmp_path: Path) -> None:
    with running(listwatch, tmp_path) as (loop, seen):
        eventually(lambda: listwatch.watch_requests >= 1)
        listwatch.bookmark()
        eventually(lambda: loop.resource_version == str(listwatch.rv))
        assert seen.events == []


def test_a_failed_event_callback_gets_that_event_again_without_a_relist(
    listwatch: ListWatchServer, tmp_path: Path
) -> None:
    with running(listwatch, tmp_path) as (loop, seen):
        eventually(lambda: listwatch.watch_requests >= 1)
        seen.fail_next_event = True
        listwatch.put(service("a"))
        eventually(lambda: ("ADDED", "a") in seen.events)
        assert seen.events == [("ADDED", "a")]
        assert listwatch.watch_requests >= 2 and loop.lists == 1


def test_failed_lists_back_off_then_succeed(listwatch: ListWatchServer, tmp_path: Path) -> None:
    listwatch.put(service("a"))
    listwatch.fail_lists = 4
    slow = ListWatchSettings(page_size=2, backoff_initial=0.2, backoff_max=1.6)
    with running(listwatch, tmp_path, slow) as (loop, seen):
        eventually(lambda: seen.lists == [["a"]])
        # jittered waits of at least half of 0.2, 0.4, 0.8, 1.6 s: growing (a fixed 0.2 s would take < 0.8 s)
        assert time.monotonic() - seen.started >= 1.5
        assert listwatch.list_requests == 5 and loop.lists == 1
