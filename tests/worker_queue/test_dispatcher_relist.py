"""The dispatcher after 410 Gone: the re-list enqueues what changed while the history was lost, nothing else.

An in-process Dispatcher against the list+watch stand-in (which can expire its history on demand, as the
real apiserver cannot be made to do for Services) and a real Redis queue.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from octavia_lb_devkit.testing.listwatch_standin import ListWatchServer
from octavia_lb_devkit.testing.samples import service

from octavia_lb.common.kube import load_kube_config
from octavia_lb.worker.dispatch.dispatcher import Dispatcher
from octavia_lb.worker.runtime import queueing
from octavia_lb.worker.runtime.celery_app import create_app
from octavia_lb.worker.settings import Settings, from_env_and_args
from tests.fixtures.worker import QueueEnv

Message = tuple[str, str]  # name, reason


def drain(env: QueueEnv, settings: Settings) -> list[Message]:
    """Takes every waiting message, clearing its de-duplication marker as a starting task would."""
    r = env.client()
    got = []
    while isinstance(raw := r.rpop(env.queue), bytes):  # None once the queue is empty
        args, kwargs, _ = json.loads(base64.b64decode(json.loads(raw)["body"]))
        queueing.clear_pending(r, settings.key_prefix, args[0], args[1])
        got.append((args[1], kwargs.get("reason", "")))
    return sorted(got)


def settle(env: QueueEnv, settings: Settings, seconds: float = 1.0) -> list[Message]:
    """Everything enqueued until the queue has stayed quiet for `seconds`."""
    got: list[Message] = []
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < seconds:
        new = drain(env, settings)
        if new:
            got += new
            quiet_since = time.monotonic()
        time.sleep(0.05)
    return sorted(got)


@pytest.fixture
def standin() -> Iterator[ListWatchServer]:
    server = ListWatchServer().start()
    try:
        yield server
    finally:
        server.stop()


def test_relist_after_410_enqueues_only_the_changes(
    standin: ListWatchServer, queue_env: QueueEnv, tmp_path: Path
) -> None:
    for name in ("same", "changed", "deleted"):
        standin.put(service(name))
    standin.put(service("plain", type_="ClusterIP"))
    settings = from_env_and_args(env={**queue_env.env, "OCTAVIA_LB_WATCH_TIMEOUT": "30"})
    api = load_kube_config(str(standin.write_kubeconfig(tmp_path / "kc")))
    dispatcher = Dispatcher(create_app(settings), queue_env.client(), api, {}, settings)
    dispatcher.start()
    try:
        # a term's first list enqueues every tracked Service
        first = settle(queue_env, settings)
        assert first == [("changed", "listed"), ("deleted", "listed"), ("same", "listed")]
        watches = standin.watch_requests
        # the history is lost, and with it these changes: only the re-list can show them
        standin.expire()
        with_port = service("changed", ports=[("TCP", 8443)])
        standin.services[("team-a", "changed")] = with_port
        del standin.services[("team-a", "deleted")]
        standin.services[("team-a", "new")] = service("new")
        standin.services[("team-a", "plain")] = service("plain", type_="ClusterIP", ports=[("TCP", 81)])
        assert settle(queue_env, settings, 2.0) == [
            ("changed", "listed"),
            ("deleted", "deleted"),
            ("new", "listed"),
        ]
        assert standin.list_requests == 2 and standin.watch_requests > watches
        # and the watch goes on from the re-list
        standin.put(service("later"))
        assert settle(queue_env, settings) == [("later", "added")]
    finally:
        dispatcher.stop()
