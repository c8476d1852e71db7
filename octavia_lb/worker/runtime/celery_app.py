"""The Celery application on Redis, configured for slow, idempotent infrastructure tasks.

Why each setting (see reference/admission-and-queue.md §4):
- late acks + reject on worker lost: a message is acknowledged only after its task finished, and a pool child
  killed mid-task puts its message back instead of acking it (celery#1628). Tasks are idempotent, so running
  one twice is safe; losing one is not.
- prefetch 1: a worker holds only what it runs, so a crash strands nothing else.
- visibility timeout well above the hard time limit, and countdowns far below it: kombu redelivers any
  message unacked for longer than the timeout, and a long countdown would be delivered again and again.
- cancel long-running tasks on connection loss: their messages come back anyway, so the local copy stops
  instead of running twice in parallel.
- soft shutdown: SIGTERM lets running tasks finish for a while before the messages are restored.
- a consumer step that reconnects when an ack was lost with the connection (broker_watch.py): kombu would
  otherwise count that message as in flight for ever and stop consuming.
- JSON only, no result backend: nobody waits for a result; the Service status is the result.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from octavia_lb.worker.runtime.broker_watch import BrokerWatch
from octavia_lb.worker.runtime.redis_client import sentinel_kwargs
from octavia_lb.worker.settings import Settings, from_env_and_args


class OctaviaCelery(Celery):  # type: ignore[misc]  # celery ships no type hints: Celery is Any
    """A Celery app that carries the process Settings, so tasks and producers read one object."""

    octavia_settings: Settings


def celery_config(settings: Settings) -> dict[str, Any]:
    # sweep for lost messages often enough that a redelivery takes about one visibility timeout, not +100 s
    restore_interval = max(1, min(60, int(settings.visibility_timeout / 10)))
    transport: dict[str, Any] = {
        "visibility_timeout": int(settings.visibility_timeout),
        "unacked_restore_interval": restore_interval,
        "unacked_restore_throttle": 1,
    }
    if settings.uses_sentinel:  # kombu's Sentinel transport: the same URL, the master's name
        transport["master_name"] = settings.redis_sentinel_master
        transport["sentinel_kwargs"] = sentinel_kwargs(settings)
    return {
        "broker_url": settings.redis_url,
        "broker_transport_options": transport,
        "broker_connection_retry_on_startup": True,
        "result_backend": None,
        "task_ignore_result": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_default_queue": settings.queue,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "task_soft_time_limit": settings.task_soft_time_limit,
        "task_time_limit": settings.task_time_limit,
        "worker_prefetch_multiplier": 1,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "worker_soft_shutdown_timeout": settings.soft_shutdown_timeout,
        "worker_enable_soft_shutdown_on_idle": True,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "task_track_started": True,
        "worker_hijack_root_logger": False,
        # No remote control: its broadcast channel is a Redis pub/sub subscription, and kombu's pub/sub
        # reconnect can die with "Unrecoverable error" when Redis is down at that moment (seen in the
        # fault suite's Redis restart). Nothing here uses `celery inspect/control`.
        "worker_enable_remote_control": False,
        "broker_connection_retry": True,
    }


def create_app(settings: Settings) -> OctaviaCelery:
    app = OctaviaCelery("octavia_lb", set_as_current=True)
    app.octavia_settings = settings
    app.conf.update(celery_config(settings))
    app.conf.include = ["octavia_lb.worker.runtime.tasks"]
    app.steps["consumer"].add(BrokerWatch)
    return app


def app_from_env() -> OctaviaCelery:
    """For `celery -A octavia_lb.worker.runtime.celery_app:app_from_env` and other tools wanting an app."""
    return create_app(from_env_and_args())
