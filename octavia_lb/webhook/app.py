"""The webhook's HTTP layer: read a capped body, answer AdmissionReviews, serve health, readiness and metrics.

The two admission endpoints are plain ASGI apps that `WebhookAPI.__call__` answers before FastAPI's own
middleware, routing and Request/Response objects: those would add nothing here (admission.parse_review
reads the body) and used to cost more than the rules per review. Health, readiness and metrics are FastAPI
routes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from octavia_lb.common.config import CloudConfig
from octavia_lb.webhook import decide
from octavia_lb.webhook.admission import AdmissionRequest, BadRequest, encode, parse_review
from octavia_lb.webhook.metrics import WebhookMetrics, create_metrics

log = logging.getLogger(__name__)

TEXT = b"text/plain; charset=utf-8"
JSON = b"application/json"

# The apiserver caps request bodies at 3 MiB (etcd's object limit is 1.5 MiB); a review is never larger.
MAX_BODY_BYTES = 3 * 1024 * 1024


class BodyTooLarge(Exception):
    pass


def _content_length(scope: Scope) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == b"content-length":
            return value.decode("latin-1")
    return None


async def read_capped_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The body, or BodyTooLarge as soon as it is known to exceed `limit` (by header or while streaming)."""
    length = _content_length(scope)
    if length is not None:
        if not length.isdigit():
            raise BadRequest(f"Content-Length must be a number of bytes, got {length!r}")
        if int(length) > limit:
            raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadRequest("client disconnected before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class AdmissionEndpoint:
    """`POST /validate` or `/mutate` as a plain ASGI app: no Request/Response objects on the hot path."""

    def __init__(
        self,
        name: str,
        answer: Callable[[AdmissionRequest], decide.Answer],
        metrics: WebhookMetrics,
        limit: int,
    ) -> None:
        self.name, self.answer, self.metrics, self.limit = name, answer, metrics, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status, content_type, content = await self._respond(scope, receive)
        headers = [(b"content-type", content_type), (b"content-length", str(len(content)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def _respond(self, scope: Scope, receive: Receive) -> tuple[int, bytes, bytes]:
        started = time.perf_counter()
        try:
            review = parse_review(await read_capped_body(scope, receive, self.limit))
        except BodyTooLarge:
            self.metrics.bad_requests.labels(self.name, "413").inc()
            return 413, TEXT, f"request body larger than {self.limit} bytes\n".encode()
        except BadRequest as exc:
            self.metrics.bad_requests.labels(self.name, "400").inc()
            return 400, TEXT, f"bad AdmissionReview: {exc}\n".encode()
        try:
            result = self.answer(review)
            content = encode(result.review)
        except Exception:
            # input was checked above, so this is our bug: say so, and never dress it up as a verdict
            log.exception("%s: uid=%s %s failed", self.name, review.uid, review.operation.value)
            self.metrics.internal_errors.labels(self.name).inc()
            return 500, TEXT, b"internal error; see the webhook's log\n"
        self.metrics.observe(
            self.name, review.operation.value, result.outcome.value, time.perf_counter() - started
        )
        if result.outcome is decide.Outcome.DENIED:
            log.info("%s: uid=%s %s/%s denied", self.name, review.uid, review.namespace, review.name)
        return 200, JSON, content


class WebhookAPI(FastAPI):
    """The FastAPI app, with admission POSTs answered before anything else.

    FastAPI wraps its router in error, telemetry and body-limit middleware; on the admission path these
    cost about as much as the rules themselves, and AdmissionEndpoint already handles its own errors and
    body limit. Every other request (health, readiness, metrics, wrong methods) takes the usual route.
    """

    admission: Mapping[str, AdmissionEndpoint] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            endpoint = self.admission.get(scope["path"])
            if endpoint is not None:
                await endpoint(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(
    config: CloudConfig, cache: decide.PeerSource, *, max_body_bytes: int = MAX_BODY_BYTES
) -> FastAPI:
    """The ASGI app for `octavia-lb webhook`; `cache` supplies the peers on a shared load balancer."""
    metrics = create_metrics(lambda: len(cache))
    app = WebhookAPI(title="octavia-lb admission webhook", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.metrics = metrics

    def validate(review: AdmissionRequest) -> decide.Answer:
        return decide.validate(review, config, cache)

    endpoints = {
        "/validate": AdmissionEndpoint("validate", validate, metrics, max_body_bytes),
        "/mutate": AdmissionEndpoint("mutate", decide.mutate, metrics, max_body_bytes),
    }
    for path, endpoint in endpoints.items():
        # routed too, so that other methods get 405 from the router; POSTs never get this far
        app.router.routes.append(Route(path, endpoint, methods=["POST"]))
    app.admission = endpoints

    @app.get("/healthz", response_class=PlainTextResponse)
    async def healthz() -> str:
        return "ok\n"

    @app.get("/readyz", response_class=PlainTextResponse)
    async def readyz() -> PlainTextResponse:
        if cache.synced:
            return PlainTextResponse("ok\n")
        return PlainTextResponse("services cache not synced yet\n", status_code=503)

    @app.get("/metrics")
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
