"""Process settings for the dispatcher and the workers, from command-line flags and `OCTAVIA_LB_*` variables.

Flags win over the environment (the CLI already reads the `OCTAVIA_LB_*` default for the flags it declares);
everything else comes from the environment only. Every value is checked here, once, so that a typo fails at
start-up with the variable name and the offending value rather than minutes later inside a task.

| variable (OCTAVIA_LB_...) | default                     | meaning                                      |
|---------------------------|-----------------------------|----------------------------------------------|
| REDIS_URL                 | redis://127.0.0.1:6379/0    | broker, locks, de-duplication; or Sentinels: |
|                           |                             | sentinel://h1:26379;sentinel://h2:26379/0    |
| REDIS_SENTINEL_MASTER     | (none)                      | master name the Sentinels watch (sentinel:// |
|                           |                             | only, and then required)                     |
| REDIS_SENTINEL_PASSWORD   | (none)                      | password of the Sentinels themselves         |
| CLUSTER_NAME              | kubernetes                  | OCCM cluster name; prefixes Redis keys       |
| QUEUE                     | octavia-lb                  | Celery queue name                            |
| RESYNC_PERIOD             | 300                         | seconds between full resyncs                 |
| WATCH_TIMEOUT             | 300                         | seconds before a watch is renewed            |
| LEASE_NAME                | octavia-lb-dispatcher       | Lease for leader election                    |
| LEASE_NAMESPACE           | kube-system                 |                                              |
| LEASE_DURATION            | 15                          | a standby takes over after this              |
| LEASE_RETRY_PERIOD        | 2                           | seconds between renew/acquire tries          |
| REQUEUE_COUNTDOWN         | 5                           | wait when a load balancer is PENDING_*       |
| LOCK_BUSY_COUNTDOWN       | 5                           | wait (+ jitter) when a lock is held          |
| RETRY_BACKOFF_BASE        | 2                           | first retry delay of a TemporaryError        |
| RETRY_BACKOFF_MAX         | 120                         | cap of the exponential retry delay           |
| MAX_CRASHES               | 3                           | runs that killed their process, then give up |
| MAX_RETRIES               | 10                          | retries before leaving it to resync          |
| TASK_SOFT_TIME_LIMIT      | 840                         | SoftTimeLimitExceeded raised in the task     |
| TASK_TIME_LIMIT           | 900                         | the pool child is killed                     |
| VISIBILITY_TIMEOUT        | 1800                        | unacked messages come back after this        |
| SOFT_SHUTDOWN_TIMEOUT     | 30                          | grace for running tasks on SIGTERM           |
| DEDUP_TTL                 | 300                         | lifetime of an enqueue de-duplication marker |
| LOCK_TTL                  | 30                          | a dead holder's lock expires after this      |
| METRICS_PORT              | (off)                       | Prometheus port; 0 = any free                |
| METRICS_HOST              | 127.0.0.1                   | address /metrics binds; 0.0.0.0 in a pod     |
| IDENTITY                  | <hostname>_<pid>            | Lease holder identity                        |
| RECONCILE_TARGET          | reconcile:reconcile_service | module:function a task calls                 |
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

PREFIX = "OCTAVIA_LB_"
REDIS_SCHEMES = ("redis", "rediss", "unix", "sentinel")
# A countdown is held by the worker as an unacked message; past the visibility timeout Redis redelivers it
# (celery#7009), so no countdown may exceed this share of the timeout.
MAX_COUNTDOWN_FRACTION = 0.2


class SettingsError(ValueError):
    """A flag or environment variable has a value we cannot use."""


@dataclass(frozen=True)
class Settings:
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_sentinel_master: str = ""
    redis_sentinel_password: str = ""
    cluster_name: str = "kubernetes"
    queue: str = "octavia-lb"
    cloud_config: str | None = None
    kubeconfig: str | None = None
    resync_period: float = 300.0
    watch_timeout: int = 300
    lease_name: str = "octavia-lb-dispatcher"
    lease_namespace: str = "kube-system"
    lease_duration: float = 15.0
    lease_retry_period: float = 2.0
    requeue_countdown: float = 5.0
    lock_busy_countdown: float = 5.0
    retry_backoff_base: float = 2.0
    retry_backoff_max: float = 120.0
    max_retries: int = 10
    max_crashes: int = 3
    task_soft_time_limit: float = 840.0
    task_time_limit: float = 900.0
    visibility_timeout: float = 1800.0
    soft_shutdown_timeout: float = 30.0
    dedup_ttl: float = 300.0
    lock_ttl: float = 30.0
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    reconcile_target: str = "octavia_lb.worker.reconcile.run:reconcile_service"
    identity: str = ""

    def __post_init__(self) -> None:
        _check_redis_url(self.redis_url)
        if self.uses_sentinel and not self.redis_sentinel_master:
            raise SettingsError(
                f"redis_sentinel_master: must be set (OCTAVIA_LB_REDIS_SENTINEL_MASTER) when redis_url "
                f"{_redact(self.redis_url)!r} names Sentinels; use the name in their `sentinel monitor` line"
            )
        for field in ("cluster_name", "queue", "lease_name", "lease_namespace"):
            if not getattr(self, field):
                raise SettingsError(f"{field}: must not be empty")
        if ":" not in self.reconcile_target:
            raise SettingsError(
                f"reconcile_target: {self.reconcile_target!r} must look like 'module:function'"
            )
        if self.task_soft_time_limit >= self.task_time_limit:
            raise SettingsError(
                f"task_soft_time_limit: {self.task_soft_time_limit:g} must be less than "
                f"task_time_limit ({self.task_time_limit:g})"
            )
        if self.visibility_timeout <= self.task_time_limit:
            raise SettingsError(
                f"visibility_timeout: {self.visibility_timeout:g} must be greater than task_time_limit "
                f"({self.task_time_limit:g}), or running tasks are delivered twice"
            )
        if self.lease_retry_period >= self.lease_duration:
            raise SettingsError(
                f"lease_retry_period: {self.lease_retry_period:g} must be less than "
                f"lease_duration ({self.lease_duration:g})"
            )
        try:
            ipaddress.ip_address(self.metrics_host)
        except ValueError:
            raise SettingsError(
                f"metrics_host: {self.metrics_host!r} is not an IP address; use 127.0.0.1, 0.0.0.0 or ::"
            ) from None
        if not self.identity:
            object.__setattr__(self, "identity", f"{socket.gethostname()}_{os.getpid()}")

    def __repr__(self) -> str:
        # the Redis URL may carry a password: show it redacted, like every log line does
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        shown["redis_url"] = _redact(self.redis_url)
        shown["redis_sentinel_password"] = "***" if self.redis_sentinel_password else ""
        return f"Settings({', '.join(f'{name}={value!r}' for name, value in shown.items())})"

    @property
    def uses_sentinel(self) -> bool:
        return self.redis_url.startswith("sentinel://")

    @property
    def max_countdown(self) -> float:
        """The longest countdown any message may carry (see MAX_COUNTDOWN_FRACTION)."""
        return self.visibility_timeout * MAX_COUNTDOWN_FRACTION

    @property
    def key_prefix(self) -> str:
        """Prefix of our own Redis keys; one Redis can serve several clusters."""
        return f"octavia-lb:{self.cluster_name}:"


def _check_redis_url(url: str) -> None:
    # Sentinels are listed as kombu takes them: sentinel://h1:26379;sentinel://h2:26379/0
    alternatives = url.split(";") if url.startswith("sentinel://") else [url]
    for one in alternatives:
        parts = urlsplit(one)
        allowed = ("sentinel",) if len(alternatives) > 1 else REDIS_SCHEMES
        if parts.scheme not in allowed:
            raise SettingsError(
                f"redis_url: {_redact(one)!r} must start with one of "
                f"{', '.join(s + '://' for s in allowed)}"
            )
        if parts.scheme != "unix" and not parts.hostname:
            raise SettingsError(f"redis_url: {_redact(one)!r} has no host")
        try:
            parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
        except ValueError:
            raise SettingsError(f"redis_url: {_redact(one)!r} has a port that is not a number") from None
        db = parts.path.lstrip("/")
        if parts.scheme != "unix" and db and not db.isdigit():
            raise SettingsError(f"redis_url: {_redact(one)!r}: the path must be a database number such as /0")


def _redact(url: str) -> str:
    """The URL (each `;`-separated Sentinel too) without its password, for error messages and logs."""
    return ";".join(_redact_one(one) for one in url.split(";"))


def _redact_one(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def redacted_redis_url(settings: Settings) -> str:
    return _redact(settings.redis_url)


_PARSERS: dict[str, Callable[[str], Any]] = {
    "resync_period": float,
    "watch_timeout": int,
    "lease_duration": float,
    "lease_retry_period": float,
    "requeue_countdown": float,
    "lock_busy_countdown": float,
    "retry_backoff_base": float,
    "retry_backoff_max": float,
    "max_retries": int,
    "max_crashes": int,
    "task_soft_time_limit": float,
    "task_time_limit": float,
    "visibility_timeout": float,
    "soft_shutdown_timeout": float,
    "dedup_ttl": float,
    "lock_ttl": float,
    "metrics_port": int,
}
_STRINGS = (
    "redis_url",
    "redis_sentinel_master",
    "redis_sentinel_password",
    "cluster_name",
    "queue",
    "cloud_config",
    "kubeconfig",
    "lease_name",
    "lease_namespace",
    "reconcile_target",
    "identity",
    "metrics_host",
)
_NON_NEGATIVE = {"metrics_port", "max_retries", "soft_shutdown_timeout"}


def _parse(field: str, raw: str, source: str) -> Any:
    parser = _PARSERS.get(field)
    if parser is None:
        return raw
    try:
        value = parser(raw.strip())
    except ValueError:
        kind = "an integer" if parser is int else "a number"
        raise SettingsError(f"{source}: {raw!r} is not {kind}") from None
    if value < 0 or (value == 0 and field not in _NON_NEGATIVE):
        raise SettingsError(f"{source}: {raw!r} must be {'>= 0' if field in _NON_NEGATIVE else '> 0'}")
    return value


def from_env_and_args(
    args: argparse.Namespace | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Settings from `OCTAVIA_LB_*` variables, overridden by the flags that are present and not None."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for field in (*_STRINGS, *_PARSERS):
        name = PREFIX + field.upper()
        if env.get(name, "") != "":
            values[field] = _parse(field, env[name], name)
    for field in (*_STRINGS, *_PARSERS):
        flag = getattr(args, field, None) if args is not None else None
        if flag is not None:
            source = "--" + field.replace("_", "-")
            values[field] = _parse(field, str(flag), source) if field in _PARSERS else flag
    return Settings(**values)
