"""One list+watch loop, for the webhook's Services cache and the dispatcher's Services and Nodes.

List in pages, then watch from the list's resourceVersion. The server ends every watch after
`watch_seconds`; the loop watches again from the last resourceVersion it saw (events and bookmarks carry
one), without listing. 410 Gone, as the HTTP status or as an ERROR event with code 410, means the server no
longer has that history: list again. Any other failure: reconnect after a jittered exponential backoff.

Bodies are read raw and parsed by the caller's `loads`: the client's models would cost many times the
memory, and each user keeps its own small form of an object (`keep`), page by page, so a large list is never
held whole as parsed JSON unless the user keeps it that way.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
from kubernetes.client.exceptions import ApiException

log = logging.getLogger(__name__)

T = TypeVar("T")
Obj = dict[str, Any]  # a Kubernetes object as parsed JSON
Loads = Callable[[bytes], Any]


class WatchExpired(Exception):
    """The resourceVersion is older than the API server remembers (410 Gone): list again."""


@dataclass(frozen=True)
class ListWatchSettings:
    page_size: int = 500
    watch_seconds: int = 300  # the server ends each watch after this; we re-watch from the last version
    connect_timeout: float = 5.0
    list_read_timeout: float = 60.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0


class ListWatch(Generic[T]):
    """List, then watch; list again after 410 Gone; reconnect with backoff on anything else.

    `list_fn` is a client list call (e.g. `CoreV1Api.list_node`, or a lambda binding a namespace).
    `keep(obj)` turns each listed object into what the user stores (None drops it); `on_list(kept)` gets every
    complete list, first and re-lists alike, and may compare it with what it had; `on_event(type, obj)` gets
    every ADDED, MODIFIED and DELETED event (bookmarks only move the resourceVersion). An exception from a
    callback counts as a failure: the list, or the watch from before that event, is tried again.
    """

    def __init__(
        self,
        list_fn: Callable[..., Any],
        resource: str,
        keep: Callable[[Obj], T | None],
        on_list: Callable[[list[T]], None],
        on_event: Callable[[str, Obj], None],
        settings: ListWatchSettings | None = None,
        loads: Loads = orjson.loads,
    ) -> None:
        self._list_fn = list_fn
        self.resource = resource
        self._keep = keep
        self._on_list = on_list
        self._on_event = on_event
        self._settings = settings or ListWatchSettings()
        self._loads = loads
        self._response: Any = None
        self._stop = threading.Event()
        self.resource_version = ""
        self.lists = 0  # complete lists; more than one means re-lists (or a new run) happened

    def run(self, stop: threading.Event, resume_from: str | None = None) -> None:
        """Loop until `stop` is set (then call `interrupt()`); `resume_from` watches from there without a
        first list."""
        self._stop = stop
        settings = self._settings
        backoff = settings.backoff_initial
        must_list = resume_from is None
        self.resource_version = resume_from or ""
        while not stop.is_set():
            try:
                if must_list:
                    self._list()
                    must_list = False
                self._watch()
                backoff = settings.backoff_initial
            except WatchExpired:
                log.info(
                    "%s: resourceVersion %s is gone; listing again", self.resource, self.resource_version
                )
                must_list = True
            except Exception as exc:
                if stop.is_set():
                    break
                delay = backoff * random.uniform(0.5, 1.0)  # jitter: replicas do not reconnect in step
                log.warning("%s: list/watch failed: %s; retrying in %.1fs", self.resource, exc, delay)
                stop.wait(delay)
                backoff = min(backoff * 2, settings.backoff_max)

    def interrupt(self) -> None:
        """Close the open watch, so that `run` sees its stop event now rather than at the next event."""
        response = self._response
        if response is not None:
            response.shutdown()  # unblocks the watching thread's socket read

    def _call(self, watch: bool, **params: Any) -> Any:
        settings = self._settings
        read_timeout = settings.watch_seconds + 30 if watch else settings.list_read_timeout
        try:
            return self._list_fn(
                watch=watch or None,
                _preload_content=False,
                _request_timeout=(settings.connect_timeout, read_timeout),
                **params,
            )
        except ApiException as exc:
            if exc.status == 410:
                raise WatchExpired from exc
            raise

    def _list(self) -> None:
        kept: list[T] = []
        token = ""
        while True:
            paging: dict[str, Any] = {"limit": self._settings.page_size}
            if token:
                paging["_continue"] = token
            page = self._loads(self._call(False, **paging).data)
            for obj in page.get("items") or ():
                item = self._keep(obj)
                if item is not None:
                    kept.append(item)
            metadata = page.get("metadata") or {}
            token = metadata.get("continue") or ""
            if not token:
                break
        self.resource_version = metadata.get("resourceVersion", "")
        self.lists += 1  # before the callback: whoever it wakes sees the count and version of its list
        self._on_list(kept)
        log.info("%s: listed %d at resourceVersion %s", self.resource, len(kept), self.resource_version)

    def _watch(self) -> None:
        response = self._call(
            True,
            resource_version=self.resource_version,
            allow_watch_bookmarks=True,
            timeout_seconds=self._settings.watch_seconds,
        )
        self._response = response
        try:
            if self._stop.is_set():
                return  # stopped while connecting: interrupt() found no response to close
            for event in self._events(response):
                self._handle(event)
        finally:
            self._response = None
            response.release_conn()

    def _handle(self, event: Obj) -> None:
        kind, obj = event.get("type", ""), event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise WatchExpired
            raise RuntimeError(f"watch error: {obj.get('message') or obj}")
        if kind in ("ADDED", "MODIFIED", "DELETED"):
            self._on_event(kind, obj)
        version = (obj.get("metadata") or {}).get("resourceVersion")
        if version:  # after the callback: an event it failed on is delivered again
            self.resource_version = version

    def _events(self, response: Any) -> Iterator[Obj]:
        """Watch events, one JSON object per line, as the chunks arrive."""
        pending = b""
        for chunk in response.stream(64 * 1024, decode_content=True):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.strip():
                    yield self._loads(line)
        if pending.strip():
            yield self._loads(pending)
