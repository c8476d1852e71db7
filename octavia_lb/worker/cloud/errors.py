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
Third-party exceptions are translated at one boundary, `openstack_errors()`, with `raise ... from exc`
so the original stays in the traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

# Octavia answers 409 while a load balancer is PENDING_*; a short wait is usually enough.
CONFLICT_DELAY = 5.0
RETRYABLE_4XX = frozenset({408, 409, 425, 429})


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


def _status_code(exc: BaseException) -> int | None:
    code = getattr(exc, "status_code", None) or getattr(exc, "http_status", None)
    if code is None:
        response = getattr(exc, "response", None)
        code = getattr(response, "status_code", None)
    return int(code) if code is not None else None


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    value = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date; the backoff is good enough


def translate_openstack_error(exc: BaseException, operation: str) -> ReconcileError:
    """The ReconcileError for an openstacksdk / keystoneauth / requests exception.

    409 (PENDING_* is immutable), 408/425/429, 5xx, timeouts and connection failures are temporary;
    other 4xx are permanent, 403 included: Octavia and Neutron answer 403 for exceeded quotas.
    """
    from keystoneauth1 import exceptions as ksa_exc
    from openstack import exceptions as os_exc
    from requests import exceptions as req_exc

    detail = getattr(exc, "details", None) or str(exc) or type(exc).__name__
    code = _status_code(exc)
    if code is not None and isinstance(exc, os_exc.HttpException | ksa_exc.HttpError):
        message = f"{operation}: HTTP {code}: {detail}"
        if code == 409:
            return TemporaryError(message, delay=CONFLICT_DELAY)
        if code in RETRYABLE_4XX or code >= 500:
            return TemporaryError(message, delay=_retry_after(exc))
        if code == 403:
            return PermanentError(f"{message} (forbidden or quota exceeded)")
        return PermanentError(message)
    transient = (
        os_exc.ResourceTimeout,
        ksa_exc.ConnectionError,
        ksa_exc.RetriableConnectionFailure,
        req_exc.ConnectionError,
        req_exc.Timeout,
        ConnectionError,
        TimeoutError,
    )
    if any(isinstance(link, transient) for link in _chain(exc)):
        # keystoneauth wraps a timed-out login in DiscoveryFailure; the cause says it was only slow
        return TemporaryError(f"{operation}: {type(exc).__name__}: {detail}")
    if isinstance(exc, os_exc.ResourceFailure):
        # a resource went to ERROR; the next run sees it and replaces it
        return TemporaryError(f"{operation}: {detail}")
    return PermanentError(f"{operation}: {type(exc).__name__}: {detail}")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, then its causes and contexts (bounded: chains can be cyclic)."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen and len(seen) < 16:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


@contextmanager
def openstack_errors(operation: str) -> Iterator[None]:
    """Translate third-party exceptions raised inside the block; our own signals pass through untouched."""
    from keystoneauth1 import exceptions as ksa_exc
    from openstack import exceptions as os_exc
    from requests import exceptions as req_exc

    try:
        yield
    except ReconcileSignal:
        raise
    except (os_exc.SDKException, ksa_exc.ClientException, req_exc.RequestException, OSError) as exc:
        raise translate_openstack_error(exc, operation) from exc
