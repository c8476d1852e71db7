"""The webhook's HTTP layer: read a capped body, answer AdmissionReviews, serve health, readiness and metrics.

The two admission routes are plain Starlette routes on the FastAPI app: FastAPI's parameter handling would
add nothing here (the body is parsed by admission.parse_review) and costs throughput on the hot path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from octavia_lb.common.config import CloudConfig
from octavia_lb.webhook import decide
from octavia_lb.webhook.admission import AdmissionRequest, BadRequest, encode, parse_review
from octavia_lb.webhook.metrics import WebhookMetrics, create_metrics

log = logging.getLogger(__name__)

# The apiserver caps request bodies at 3 MiB (etcd's object limit is 1.5 MiB); a review is never larger.
MAX_BODY_BYTES = 3 * 1024 * 1024


class BodyTooLarge(Exception):
    pass


async def read_capped_body(request: Request, limit: int) -> bytes:
    """The body, or BodyTooLarge as soon as it is known to exceed `limit` (by header or while streaming)."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise BadRequest(f"Content-Length must be a number of bytes, got {length!r}")
        if int(length) > limit:
            raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _admission_route(
    name: str, answer: Callable[[AdmissionRequest], decide.Answer], metrics: WebhookMetrics, limit: int
) -> Callable[[Request], object]:
    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        try:
            body = await read_capped_body(request, limit)
            review = parse_review(body)
        except BodyTooLarge:
            metrics.bad_requests.labels(name, "413").inc()
            return PlainTextResponse(f"request body larger than {limit} bytes\n", status_code=413)
        except BadRequest as exc:
            metrics.bad_requests.labels(name, "400").inc()
            return PlainTextResponse(f"bad AdmissionReview: {exc}\n", status_code=400)
        try:
            result = answer(review)
            content = encode(result.review)
        except Exception:
            # input was checked above, so this is our bug: say so, and never dress it up as a verdict
            log.exception("%s: uid=%s %s failed", name, review.uid, review.operation.value)
            metrics.internal_errors.labels(name).inc()
            return PlainTextResponse("internal error; see the webhook's log\n", status_code=500)
        metrics.observe(name, review.operation.value, result.outcome.value, time.perf_counter() - started)
        if result.outcome is decide.Outcome.DENIED:
            log.info(
                "%s: uid=%s %s %s/%s denied",
                name,
                review.uid,
                review.operation.value,
                review.namespace,
                review.name,
            )
        return Response(content, media_type="application/json")

    return endpoint


def create_app(
    config: CloudConfig, cache: decide.PeerSource, *, max_body_bytes: int = MAX_BODY_BYTES
) -> FastAPI:
    """The ASGI app for `octavia-lb webhook`; `cache` supplies the peers on a shared load balancer."""
    metrics = create_metrics(lambda: len(cache))
    app = FastAPI(title="octavia-lb admission webhook", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.metrics = metrics

    def validate(review: AdmissionRequest) -> decide.Answer:
        return decide.validate(review, config, cache)

    app.add_route("/validate", _admission_route("validate", validate, metrics, max_body_bytes), ["POST"])
    app.add_route("/mutate", _admission_route("mutate", decide.mutate, metrics, max_body_bytes), ["POST"])

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
