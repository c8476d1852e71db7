"""What a reconcile gets from the process it runs in, as types: `runtime.tasks.WorkerContext` provides it,
tests build their own. Protocols, so any object with these attributes fits (no import of the runtime).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import redis

    from octavia_lb.common.config import CloudConfig
    from octavia_lb.worker.settings import Settings


class CloudContext(Protocol):
    """Enough to reach the cloud: the process's parsed cloud.conf (its gateway is keyed on it)."""

    @property
    def cloud_config(self) -> CloudConfig: ...


class ReconcileContext(CloudContext, Protocol):
    """Everything `reconcile_service` uses: settings, Redis (memo, fresh-build record, locks), the
    Kubernetes API client, cloud.conf, and the per-load-balancer lock."""

    @property
    def settings(self) -> Settings: ...

    @property
    def redis(self) -> redis.Redis: ...

    @property
    def kube(self) -> Any: ...  # kubernetes.client.ApiClient (untyped library)

    def lock_load_balancer(self, lb_id: str) -> AbstractContextManager[None]: ...
