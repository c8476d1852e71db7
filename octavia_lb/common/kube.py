"""Kubernetes access for the webhook: client setup, and the Services cache (list+watch into a Peer index).

The cache keeps only `rules.Peer`s (what the sharing rules need) for Services that name a load balancer,
indexed by load-balancer-id. It reads the API's JSON with orjson instead of the client's models: 10,000
deserialized V1Service objects would cost far more memory than the peers themselves.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from kubernetes import client
from kubernetes import config as kube_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from octavia_lb.common import rules
from octavia_lb.common.config import CloudConfig

log = logging.getLogger(__name__)

_IN_CLUSTER_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")


class KubeConfigError(RuntimeError):
    """No usable Kubernetes client configuration; the message says what was tried."""


def load_kube_config(path: str | None = None) -> client.ApiClient:
    """A client from `path` (--kubeconfig), else in-cluster, else $KUBECONFIG, else ~/.kube/config."""
    configuration = client.Configuration()
    try:
        if path:
            source = f"--kubeconfig {path}"
            kube_config.load_kube_config(config_file=path, client_configuration=configuration)
        elif os.environ.get("KUBERNETES_SERVICE_HOST") and _IN_CLUSTER_TOKEN.exists():
            source = "in-cluster config"
            kube_config.load_incluster_config(client_configuration=configuration)
        else:
            default = os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")
            source = (
                f"$KUBECONFIG {default}" if os.environ.get("KUBECONFIG") else f"default kubeconfig {default}"
            )
            if not any(Path(p).exists() for p in default.split(os.pathsep) if p):
                raise KubeConfigError(
                    f"no Kubernetes configuration: no --kubeconfig, not running in a cluster, and {source} "
                    "does not exist"
                )
            kube_config.load_kube_config(config_file=default, client_configuration=configuration)
    except (ConfigException, OSError, ValueError) as exc:
        raise KubeConfigError(f"cannot load Kubernetes configuration from {source}: {exc}") from exc
    log.info("Kubernetes API %s (from %s)", configuration.host, source)
    return client.ApiClient(configuration)


@dataclass(frozen=True)
class CacheSettings:
    page_size: int = 500
    watch_seconds: int = (
        300  # the server ends each watch after this; we re-watch from the last resourceVersion
    )
    connect_timeout: float = 5.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0


class WatchExpired(Exception):
    """The resourceVersion is too old (HTTP 410 Gone / ERROR event with code 410): list again."""


Key = tuple[str, str]  # (namespace, name)


class PeerIndex:
    """Peers by namespace/name and by load-balancer-id; writers and readers may be different threads."""

    def __init__(self, peers: Iterable[rules.Peer] = ()) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[Key, rules.Peer] = {}
        self._by_lb: dict[str, dict[Key, rules.Peer]] = {}
        self.replace(peers)

    def replace(self, peers: Iterable[rules.Peer]) -> None:
        by_key = {(p.namespace, p.name): p for p in peers if p.load_balancer_id}
        by_lb: dict[str, dict[Key, rules.Peer]] = {}
        for key, peer in by_key.items():
            by_lb.setdefault(peer.load_balancer_id, {})[key] = peer
        with self._lock:  # swap whole so readers never see half a re-list
            self._by_key, self._by_lb = by_key, by_lb

    def put(self, key: Key, peer: rules.Peer | None) -> None:
        with self._lock:
            old = self._by_key.pop(key, None)
            if old is not None:
                group = self._by_lb[old.load_balancer_id]
                del group[key]
                if not group:
                    del self._by_lb[old.load_balancer_id]
            if peer is not None and peer.load_balancer_id:
                self._by_key[key] = peer
                self._by_lb.setdefault(peer.load_balancer_id, {})[key] = peer

    def peers_for(self, load_balancer_id: str) -> tuple[rules.Peer, ...]:
        with self._lock:
            return tuple(self._by_lb.get(load_balancer_id, {}).values())

    def __len__(self) -> int:
        return len(self._by_key)


def _key(service: dict[str, Any]) -> Key:
    metadata = service.get("metadata") or {}
    return (metadata.get("namespace", ""), metadata.get("name", ""))


class ServicesCache:
    """All the cluster's Services as Peers, kept current by a background list+watch thread.

    `synced` turns true after the first complete list; re-lists (after 410 Gone) swap the index atomically.
    """

    def __init__(
        self, api: client.ApiClient | None, config: CloudConfig, settings: CacheSettings | None = None
    ):
        self._api = api
        self._config = config
        self._settings = settings or CacheSettings()
        self._index = PeerIndex()
        self._synced = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._response: Any = None
        self.resource_version = ""
        self.lists = 0  # complete lists done; more than one means re-lists happened

    @classmethod
    def static(cls, peers: Iterable[rules.Peer] = ()) -> ServicesCache:
        """A fixed cache, synced from the start, for runs without a cluster (lint, local runs, tests)."""
        cache = cls(None, CloudConfig.default())
        cache._index.replace(peers)
        cache._synced.set()
        return cache

    @property
    def synced(self) -> bool:
        return self._synced.is_set()

    def wait_synced(self, timeout: float | None = None) -> bool:
        return self._synced.wait(timeout)

    def peers_for(self, load_balancer_id: str) -> tuple[rules.Peer, ...]:
        return self._index.peers_for(load_balancer_id)

    def __len__(self) -> int:
        return len(self._index)

    def start(self) -> None:
        if self._api is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="services-cache", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        response = self._response
        if response is not None:
            response.shutdown()  # unblocks the watch thread's socket read
        if self._thread is not None:
            self._thread.join(timeout)

    # -- the list+watch loop (background thread) --

    def _peer(self, service: dict[str, Any]) -> rules.Peer | None:
        try:
            return rules.peer_of(service, self._config)
        except Exception:  # one odd Service must not stop the cache
            log.exception("services cache: skipping %s/%s", *_key(service))
            return None

    def _run(self) -> None:
        backoff = self._settings.backoff_initial
        must_list = True
        while not self._stop.is_set():
            try:
                if must_list:
                    self._list()
                    must_list = False
                self._watch()
                backoff = self._settings.backoff_initial
            except WatchExpired:
                log.info("services cache: resourceVersion %s expired, listing again", self.resource_version)
                must_list = True
            except Exception as exc:
                if self._stop.is_set():
                    break
                delay = backoff * random.uniform(0.5, 1.0)  # jitter so replicas do not reconnect in step
                log.warning("services cache: %s; retrying in %.1fs", exc, delay)
                self._stop.wait(delay)
                backoff = min(backoff * 2, self._settings.backoff_max)

    def _get(self, watch: bool, **params: Any) -> Any:
        core = client.CoreV1Api(self._api)
        read_timeout = self._settings.watch_seconds + 30 if watch else 60
        try:
            return core.list_service_for_all_namespaces(
                watch=watch or None,
                _preload_content=False,
                _request_timeout=(self._settings.connect_timeout, read_timeout),
                **params,
            )
        except ApiException as exc:
            if exc.status == 410:
                raise WatchExpired from exc
            raise

    def _list(self) -> None:
        peers: list[rules.Peer] = []
        token: str | None = None
        while True:
            response = self._get(False, limit=self._settings.page_size, _continue=token)
            page = orjson.loads(response.data)
            peers.extend(p for p in map(self._peer, page.get("items") or ()) if p is not None)
            metadata = page.get("metadata") or {}
            token = metadata.get("continue")
            if not token:
                break
        self._index.replace(peers)
        self.resource_version = metadata.get("resourceVersion", "")
        self.lists += 1
        self._synced.set()
        log.info(
            "services cache: listed %d peers at resourceVersion %s", len(self._index), self.resource_version
        )

    def _watch(self) -> None:
        response = self._get(
            True,
            resource_version=self.resource_version,
            allow_watch_bookmarks=True,
            timeout_seconds=self._settings.watch_seconds,
        )
        self._response = response
        try:
            for event in _events(response):
                self._apply(event)
        finally:
            self._response = None
            response.release_conn()

    def _apply(self, event: dict[str, Any]) -> None:
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise WatchExpired
            raise RuntimeError(f"watch error: {obj.get('message') or obj}")
        if kind in ("ADDED", "MODIFIED"):
            self._index.put(_key(obj), self._peer(obj))
        elif kind == "DELETED":
            self._index.put(_key(obj), None)
        version = (obj.get("metadata") or {}).get("resourceVersion")
        if version:
            self.resource_version = version


def _events(response: Any) -> Iterator[dict[str, Any]]:
    """Watch events, one JSON object per line, as the chunks arrive."""
    pending = b""
    for chunk in response.stream(64 * 1024, decode_content=True):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.strip():
                yield orjson.loads(line)
    if pending.strip():
        yield orjson.loads(pending)
