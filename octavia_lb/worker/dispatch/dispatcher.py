"""`octavia-lb dispatcher`: turn Service and Node changes into reconcile messages, while holding the Lease.

Level-triggered like a Kubernetes controller: it lists and watches Services and Nodes (listing again after
410 Gone, reconnecting with backoff), enqueues a reconcile for every Service we manage or still hold our
finalizer on, re-enqueues the Services whose member set a Node change can alter, and every resync period
compares every Service with the cloud in bulk (resync.py: a few paginated lists, not ~7 reads per Service)
and enqueues those that differ (a changed Service differs from its cloud until it is reconciled), so a lost
message or a manual change in Octavia is repaired within one period; without a cloud.conf it enqueues them
all. A term's first list enqueues every Service; a re-list after 410 Gone only those that changed.
De-duplication in `queueing` makes all of this cheap: at most one message per Service waits in the queue.

Which Node changes matter: the node joins or leaves, or its labels, addresses, Ready condition, the
`node.kubernetes.io/exclude-from-external-load-balancers` label or the autoscaler's ToBeDeleted taint change.
Heartbeats do not. A Service is affected when the node is an eligible member by its node selector (annotation
`loadbalancer.openstack.org/node-selector`, present even if empty, else cloud.conf) before or after it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import redis
from kubernetes import client

from octavia_lb.common import rules
from octavia_lb.common.listwatch import ListWatch, ListWatchSettings
from octavia_lb.common.model import NodeView
from octavia_lb.common.values import ValueProblem, parse_node_selector
from octavia_lb.worker.dispatch import compact, resync
from octavia_lb.worker.dispatch.leader import LeaderElector, LeaseConfig
from octavia_lb.worker.runtime import metrics, metrics_http, queueing
from octavia_lb.worker.runtime import redis_client as redis_connection
from octavia_lb.worker.settings import Settings, SettingsError, from_env_and_args, redacted_redis_url

log = logging.getLogger(__name__)

NODE_SELECTOR_ANNOTATION = "loadbalancer.openstack.org/node-selector"
Key = tuple[str, str]
T = TypeVar("T")
Selector = Mapping[str, str] | None  # None: the annotation cannot be parsed; treat every node as relevant


# -- what a Service or Node change means (pure) --


def tracked(service: Mapping[str, Any]) -> bool:
    """We manage it, or our finalizer is on it (being deleted, or its type changed away from LoadBalancer)."""
    finalizers = (service.get("metadata") or {}).get("finalizers") or ()
    return rules.is_managed(service) or rules.FINALIZER in finalizers


def relevant_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Spec, annotations, finalizers, deletion or identity changed; status writes (ours) are not relevant."""
    o, n = old.get("metadata") or {}, new.get("metadata") or {}
    return old.get("spec") != new.get("spec") or any(
        o.get(f) != n.get(f) for f in ("annotations", "finalizers", "deletionTimestamp", "uid")
    )


def service_selector(service: Mapping[str, Any], default: Mapping[str, str]) -> Selector:
    annotations = (service.get("metadata") or {}).get("annotations") or {}
    if NODE_SELECTOR_ANNOTATION not in annotations:
        return default
    try:
        return parse_node_selector(annotations[NODE_SELECTOR_ANNOTATION])  # "" means: no filtering
    except ValueProblem:
        return None


def member_for(view: NodeView, selector: Selector) -> bool:
    return view.eligible and (selector is None or view.matches(selector))


def node_affects(old: NodeView | None, new: NodeView | None, selector: Selector) -> bool:
    return any(view is not None and member_for(view, selector) for view in (old, new))


# -- the dispatcher --


def _as_is(obj: dict[str, Any]) -> dict[str, Any]:
    return obj


def _counted(resource: str, on_list: Callable[[list[T]], None]) -> Callable[[list[T]], None]:
    def listed(items: list[T]) -> None:
        metrics.RELISTS.labels(resource=resource).inc()
        on_list(items)

    return listed


def _counted_events(
    resource: str, on_event: Callable[[str, dict[str, Any]], None]
) -> Callable[[str, dict[str, Any]], None]:
    def received(kind: str, obj: dict[str, Any]) -> None:
        metrics.WATCH_EVENTS.labels(resource=resource, type=kind).inc()
        on_event(kind, obj)

    return received


def _key(obj: Mapping[str, Any]) -> Key:
    metadata = obj.get("metadata") or {}
    return metadata.get("namespace", ""), metadata.get("name", "")


class Dispatcher:
    """Caches Services and Nodes and enqueues reconciles; `start()` when leading, `stop()` when not."""

    def __init__(
        self,
        app: Any,
        redis_client: redis.Redis,
        api: client.ApiClient,
        default_selector: Mapping[str, str],
        settings: Settings,
    ) -> None:
        self._app = app
        self._redis = redis_client
        self._settings = settings
        self._default_selector = default_selector
        self._lock = threading.Lock()  # the two watch threads and the resync share the caches
        self._services: dict[Key, dict[str, Any]] = {}
        self._nodes: dict[str, NodeView] = {}
        core = client.CoreV1Api(api)
        # the Services are cached for the whole term, so they are kept small (compact.py)
        loop = ListWatchSettings(
            watch_seconds=settings.watch_timeout, connect_timeout=10, list_read_timeout=120
        )
        self._watchers: list[ListWatch[Any]] = [
            ListWatch(
                core.list_service_for_all_namespaces,
                "services",
                _as_is,
                _counted("services", self._services_listed),
                _counted_events("services", self._service_event),
                loop,
                compact.loads,
            ),
            ListWatch(
                core.list_node,
                "nodes",
                NodeView.from_dict,
                _counted("nodes", self._nodes_listed),
                _counted_events("nodes", self._node_event),
                loop,
                compact.loads,
            ),
        ]
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._nodes_synced = False
        self._listed = False  # a term's first list enqueues every Service; later re-lists only changes
        self._drift = resync.DriftCheck(settings, api) if settings.cloud_config else None

    def start(self) -> None:
        if self._threads:
            return
        self._stop = threading.Event()  # one per term as leader
        self._listed = False
        self._threads = [
            threading.Thread(target=w.run, args=(self._stop,), name=f"watch-{w.resource}", daemon=True)
            for w in self._watchers
        ]
        self._threads.append(threading.Thread(target=self._resync_loop, name="resync", daemon=True))
        for thread in self._threads:
            thread.start()
        log.info("watching services and nodes; resync every %gs", self._settings.resync_period)

    def stop(self) -> None:
        if not self._threads:
            return
        self._stop.set()
        for watcher in self._watchers:
            watcher.interrupt()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []
        log.info("stopped watching")

    # -- enqueueing --

    def _enqueue(self, key: Key, reason: str) -> None:
        try:
            published = queueing.enqueue_reconcile(self._app, self._redis, key[0], key[1], reason=reason)
        except Exception as exc:  # Redis down: the resync after it comes back repairs this
            log.warning("enqueue %s/%s (%s) failed: %s", *key, reason, exc)
            return
        if published:
            log.info("enqueued %s/%s (%s)", *key, reason)

    def _resync_loop(self) -> None:
        while not self._stop.wait(self._settings.resync_period):
            with self._lock:
                services = {k: s for k, s in self._services.items() if tracked(s)}
            # only the Services that differ from what they want (resync.py), or all without cloud.conf
            chosen = resync.choose(self._drift, services)
            if self._stop.is_set():
                return  # leadership ended during the check: the next leader resyncs
            for key in chosen:
                self._enqueue(key, "resync")
            metrics.RESYNCS.inc()
            log.info("resync: %d services, %d enqueued", len(services), len(chosen))

    # -- Services --

    def _services_listed(self, items: list[dict[str, Any]]) -> None:
        fresh = {_key(s): s for s in items}
        with self._lock:
            old = self._services
            gone = [k for k, s in old.items() if k not in fresh and tracked(s)]
            self._services = fresh
            first, self._listed = not self._listed, True
        for key in gone:  # deleted while we were not watching
            self._enqueue(key, "deleted")
        for key, service in fresh.items():
            # a re-list (after 410 Gone) enqueues only what changed; the resync compares the rest
            before = old.get(key)
            if tracked(service) and (first or before is None or relevant_change(before, service)):
                self._enqueue(key, "listed")

    def _service_event(self, kind: str, service: dict[str, Any]) -> None:
        key = _key(service)
        with self._lock:
            old = self._services.pop(key, None) if kind == "DELETED" else self._services.get(key)
            if kind != "DELETED":
                self._services[key] = service
        was = old is not None and tracked(old)
        if kind == "ADDED" and tracked(service):
            self._enqueue(key, "added")
        elif (
            kind == "MODIFIED"
            and (tracked(service) or was)
            and (old is None or relevant_change(old, service))
        ):
            self._enqueue(key, "updated")
        elif kind == "DELETED" and (tracked(service) or was):
            self._enqueue(key, "deleted")

    # -- Nodes --

    def _nodes_listed(self, views: list[NodeView]) -> None:
        fresh = {view.name: view for view in views}
        with self._lock:
            old, self._nodes = self._nodes, fresh
            first, self._nodes_synced = not self._nodes_synced, True
        if first:
            return  # the Services list enqueues everything anyway
        for name in set(old) | set(fresh):
            if old.get(name) != fresh.get(name):
                self._node_changed(name, old.get(name), fresh.get(name))

    def _node_event(self, kind: str, node: dict[str, Any]) -> None:
        name = (node.get("metadata") or {}).get("name", "")
        new = None if kind == "DELETED" else NodeView.from_dict(node)
        with self._lock:
            old = self._nodes.pop(name, None) if new is None else self._nodes.get(name)
            if new is not None:
                self._nodes[name] = new
        if old != new:
            self._node_changed(name, old, new)

    def _node_changed(self, name: str, old: NodeView | None, new: NodeView | None) -> None:
        with self._lock:
            services = [(k, s) for k, s in self._services.items() if tracked(s)]
        reason = "node-added" if old is None else "node-removed" if new is None else "node-changed"
        for key, service in services:
            if node_affects(old, new, service_selector(service, self._default_selector)):
                self._enqueue(key, reason)


# -- the process --


def _default_selector(settings: Settings) -> Mapping[str, str]:
    if not settings.cloud_config:
        return {}
    from octavia_lb.common.config import load_cloud_config

    text = load_cloud_config(settings.cloud_config).load_balancer.node_selector
    try:
        return parse_node_selector(text) if text else {}
    except ValueProblem as exc:
        raise SettingsError(f"{settings.cloud_config}: [LoadBalancer] node-selector {text!r} {exc}") from None


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = from_env_and_args(args)
        default_selector = _default_selector(settings)
    except (SettingsError, ValueProblem, ValueError, OSError) as exc:
        log.error("%s", exc)
        return 2
    from octavia_lb.common.kube import KubeConfigError, load_kube_config
    from octavia_lb.worker.runtime.celery_app import create_app

    try:
        api = load_kube_config(settings.kubeconfig)
    except KubeConfigError as exc:
        log.error("%s", exc)
        return 2
    redis_client = redis_connection.connect(settings)
    dispatcher = Dispatcher(create_app(settings), redis_client, api, default_selector, settings)
    if settings.metrics_port is not None:
        metrics_http.serve(settings.metrics_port, redis_client, settings.queue, host=settings.metrics_host)

    def on_change(leading: bool) -> None:
        metrics.LEADER.set(1 if leading else 0)
        (dispatcher.start if leading else dispatcher.stop)()

    lease = LeaseConfig(
        settings.lease_name,
        settings.lease_namespace,
        settings.identity,
        settings.lease_duration,
        settings.lease_retry_period,
    )
    elector = LeaderElector(api, lease, on_change)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info(
        "dispatcher standing by as %s (Lease %s/%s, Redis %s, queue %s)",
        settings.identity,
        lease.namespace,
        lease.name,
        redacted_redis_url(settings),
        settings.queue,
    )
    elector.run(stop)
    elector.release()  # a standby takes over now instead of after a lease duration
    dispatcher.stop()
    log.info("dispatcher stopped")
    return 0
