"""What a reconcile may raise, and what the task does about it: the retry meaning lives in the type.

    ReconcileSignal                       base of everything the task interprets
    ├── Requeue(delay, reason)            not an error: the load balancer is PENDING_* (or a lock is held);
    │                                     enqueue again after `delay` seconds, retries are not counted
    └── ReconcileError(message)           something went wrong
        ├── TemporaryError(message, delay)   may succeed later (409, 5xx, timeouts, connection loss):
        │                                    retry with exponential backoff and jitter, at least `delay`
        └── PermanentError(message)          will not succeed by retrying (4xx, quota 403, bad input):
                                             log and stop; the dispatcher's resync tries again later

Any other exception escaping a reconcile is a bug or an untranslated failure; the task treats it as temporary.
Third-party exceptions are translated at one boundary, `gateway.openstack_errors()` (the gateway is the
only module that imports the SDK), with `raise ... from exc` so the original stays in the traceback.
"""

from __future__ import annotations


class ReconcileSignal(Exception):
    """Base of the exceptions that steer the reconcile task."""


class Requeue(ReconcileSignal):
    """Come back after `delay` seconds; the work is progressing, nothing failed."""

    def __init__(self, delay: float, reason: str) -> None:
        if delay < 0:
            raise ValueError(f"delay: {delay!r} must be >= 0")
        super().__init__(f"requeue in {delay:g}s: {reason}")
        self.delay = delay
        self.reason = reason


class ReconcileError(ReconcileSignal):
    """A reconcile failed; the subclass says whether retrying can help."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TemporaryError(ReconcileError):
    """Retry with backoff; `delay` (seconds), when given, is the shortest acceptable wait."""

    def __init__(self, message: str, delay: float | None = None) -> None:
        if delay is not None and delay < 0:
            raise ValueError(f"delay: {delay!r} must be >= 0")
        super().__init__(message)
        self.delay = delay


class PermanentError(ReconcileError):
    """Do not retry this message."""
