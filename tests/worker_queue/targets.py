"""Reconcile stand-ins for the queue tests, selected with OCTAVIA_LB_RECONCILE_TARGET.

They stand where `octavia_lb.worker.reconcile.run.reconcile_service` stands, so the real task, lock,
queueing and Celery code run around them. What each call does is scripted through Redis (a list of actions per
Service), and every call is recorded there, so a test in another process can drive and observe
real worker processes.
"""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Any

from celery import current_task

from octavia_lb.worker.cloud.errors import PermanentError, Requeue, TemporaryError


def script_key(namespace: str, name: str) -> str:
    return f"test:script:{namespace}/{name}"


def calls_key(namespace: str, name: str) -> str:
    return f"test:calls:{namespace}/{name}"


def done_key(namespace: str, name: str) -> str:
    return f"test:done:{namespace}/{name}"


def scripted(context: Any, namespace: str, name: str) -> None:
    """Pops the next action for namespace/name (default `ok`), records the call, then acts it out."""
    client = context.redis
    raw = client.lpop(script_key(namespace, name))
    action = raw.decode() if raw else "ok"
    call = {
        "t": time.time(),
        "pid": os.getpid(),
        "retries": current_task.request.retries if current_task else None,
        "reason": (current_task.request.kwargs or {}).get("reason") if current_task else None,
        "action": action,
    }
    client.rpush(calls_key(namespace, name), json.dumps(call))
    verb, _, arg = action.partition(":")
    try:
        _act(context, verb, arg)
    finally:
        client.rpush(done_key(namespace, name), json.dumps({"t": time.time(), "action": action}))


def _act(context: Any, verb: str, arg: str) -> None:
    if verb == "ok":
        return
    if verb == "sleep":
        time.sleep(float(arg))
    elif verb == "requeue":
        raise Requeue(float(arg), "test: load balancer PENDING_UPDATE")
    elif verb == "temporary":
        raise TemporaryError("test: Octavia answered 503", delay=float(arg) if arg else None)
    elif verb == "permanent":
        raise PermanentError("test: Octavia answered 400")
    elif verb == "die":
        os.kill(os.getpid(), signal.SIGKILL)  # an OOM kill or a segfault
    elif verb == "crash":
        raise RuntimeError("test: a bug")
    elif verb == "lblock":
        lb_id, _, seconds = arg.partition("/")
        with context.lock_load_balancer(lb_id):
            time.sleep(float(seconds or 0))
    else:
        raise ValueError(f"test script: unknown action {verb!r}")
