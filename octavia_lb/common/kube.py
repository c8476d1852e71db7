"""Kubernetes access for the webhook: client setup, and the Services cache (list+watch into a Peer index).

The cache keeps only `Peer`s (what the sharing rules need) for Services that name a load balancer,
indexed by load-balancer-id, turning each listed page into peers as it arrives (common/listwatch.py reads
the API's JSON with orjson instead of the client's models: 10,000 deserialized V1Service objects would cost
far more memory than the peers themselves).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes import config as kube_config
from kubernetes.config.config_exception import ConfigException

from octavia_lb.common import rules
from octavia_lb.common.config import CloudConfig
from octavia_lb.common.listwatch import ListWatch, ListWatchSettings
from octavia_lb.common.rule_context import Peer

log = logging.getLogger(__name__)

_IN_CLUSTER_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
# the client's config loaders carry no annotations; typed names keep strict checking of their callers
_load_kube_config: Callable[..., None] = kube_config.load_kube_config
_load_incluster_config: Callable[..., None] = kube_config.load_incluster_config


class KubeConfigError(RuntimeError):
    """No usable Kubernetes client configuration; the message says what was tried."""


def load_kube_config(path: str | None = None) -> client.ApiClient:
    """A client from `path` (--kubeconfig), else in-cluster, else $KUBECONFIG, else ~/.kube/config."""
    configuration = client.Configuration()
    try:
        if path:
            source = f"--kubeconfig {path}"
            _load_kube_config(config_file=path, client_configuration=configuration)
        elif os.environ.get("KUBERNETES_SERVICE_HOST") and _IN_CLUSTER_TOKEN.exists():
            source = "in-cluster config"
            _load_incluster_config(client_configuration=configuration)
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
            _load_kube_config(config_file=default, client_configuration=configuration)
    except (ConfigException, OSError, ValueError) as exc:
        raise KubeConfigError(f"cannot load Kubernetes configuration from {source}: {exc}") from exc
    log.info("Kubernetes API %s (from %s)", configuration.host, source)
    return client.ApiClient(configuration)


Key = tuple[str, str]  # (namespace, name)


class PeerIndex:
    """Peers by namespace/name and by load-balancer-id; writers and readers may be different threads."""

    def __init__(self, peers: Iterable[Peer] = ()) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[Key, Peer] = {}
        self._by_lb: dict[str, dict[Key, Peer]] = {}
        self.replace(peers)

    def replace(self, peers: Iterable[Peer]) -> None:
        by_key = {(p.namespace, p.name): p for p in peers if p.load_balancer_id}
        by_lb: dict[str, dict[Key, Peer]] = {}
        for key, peer in by_key.items():
            by_lb.setdefault(peer.load_balancer_id, {})[key] = peer
        with self._lock:  # swap whole so readers never see half a re-list
            self._by_key, self._by_lb = by_key, by_lb

    def put(self, key: Key, peer: Peer | None) -> None:
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

    def peers_for(self, load_balancer_id: str) -> tuple[Peer, ...]:
        with self._lock:
            return tuple(self._by_lb.get(load_balancer_id, {}).values())

    def __len__(self) -> int:
        return len(self._by_key)


def _key(service: dict[str, Any]) -> Key:
    metadata = service.get("metadata") or {}
    return (metadata.get("namespace", ""), metadata.get("name", ""))


class ServicesCache:
    """All the cluster's Services as Peers, kept current by a background list+watch thread (listwatch.py).

    `synced` turns true after the first complete list; re-lists (after 410 Gone) swap the index whole.
    """

    def __init__(
        self,
        api: client.ApiClient | None,
        config: CloudConfig,
        settings: ListWatchSettings | None = None,
    ) -> None:
        self._config = config
        self._index = PeerIndex()
        self._synced = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: ListWatch[Peer] | None = None
        if api is not None:
            self._loop = ListWatch(
                client.CoreV1Api(api).list_service_for_all_namespaces,
                "services cache",
                self._listed_peer,
                self._listed,
                self._event,
                settings,
            )

    @classmethod
    def static(cls, peers: Iterable[Peer] = ()) -> ServicesCache:
        """A fixed cache, synced from the start, for runs without a cluster (lint, local runs, tests)."""
        cache = cls(None, CloudConfig.default())
        cache._index.replace(peers)
        cache._synced.set()
        return cache

    @property
    def synced(self) -> bool:
        return self._synced.is_set()

    @property
    def resource_version(self) -> str:
        return self._loop.resource_version if self._loop else ""

    @property
    def lists(self) -> int:
        """Complete lists done; more than one means re-lists happened."""
        return self._loop.lists if self._loop else 0

    def wait_synced(self, timeout: float | None = None) -> bool:
        return self._synced.wait(timeout)

    def peers_for(self, load_balancer_id: str) -> tuple[Peer, ...]:
        return self._index.peers_for(load_balancer_id)

    def __len__(self) -> int:
        return len(self._index)

    def start(self) -> None:
        if self._loop is None or self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._loop.run, args=(self._stop,), name="services-cache", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._loop is not None:
            self._loop.interrupt()
        if self._thread is not None:
            self._thread.join(timeout)

    # -- the list+watch callbacks (background thread) --

    def _peer(self, service: dict[str, Any]) -> Peer | None:
        try:
            return rules.peer_of(service, self._config)
        except Exception:  # one odd Service must not stop the cache
            log.exception("services cache: skipping %s/%s", *_key(service))
            return None

    def _listed_peer(self, service: dict[str, Any]) -> Peer | None:
        peer = self._peer(service)
        return peer if peer is not None and peer.load_balancer_id else None  # the index drops the rest

    def _listed(self, peers: list[Peer]) -> None:
        self._index.replace(peers)
        self._synced.set()

    def _event(self, kind: str, service: dict[str, Any]) -> None:
        self._index.put(_key(service), None if kind == "DELETED" else self._peer(service))
