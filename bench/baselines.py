"""The two baselines `bench.webhook` measures next to the webhook, each served like the webhook itself
(`octavia_lb.webhook.server.run_https`: same uvicorn settings, TLS context, uvloop and httptools).

- `raw`: a plain ASGI callable that reads the body and returns a constant AdmissionReview. It is the
  ceiling of uvicorn + TLS on this machine: no Python web framework can answer faster.
- `parse`: the same plain ASGI callable, but it parses the review (orjson) and answers with its uid: the
  least any correct admission webhook does, with no rule at all. Its ratio to `raw` is the ceiling of every
  webhook that reads what it is sent.
- `fastapi`: a minimal FastAPI app whose `POST /validate` reads the body through a Request and returns
  the same constant. It is uvicorn + the framework the webhook uses, doing no work.

Run one with `python -m bench.baselines raw|parse|fastapi CERT KEY`; it prints `listening on https://x:<port>`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CONSTANT_REVIEW = orjson.dumps(
    {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {"uid": "x", "allowed": True},
    }
)


async def _body(receive: Any) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _answer(send: Any, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def raw_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await _body(receive)
    await _answer(send, CONSTANT_REVIEW)


async def parse_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    review = orjson.loads(await _body(receive))
    answer = {"uid": review["request"]["uid"], "allowed": True}
    reply = {"apiVersion": review["apiVersion"], "kind": review["kind"], "response": answer}
    await _answer(send, orjson.dumps(reply))


def fastapi_app() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/validate")
    async def validate(request: Request) -> Response:
        await request.body()  # every admission endpoint must read the review
        return Response(CONSTANT_REVIEW, media_type="application/json")

    return app


def serve(kind: str, cert: str, key: str) -> None:
    from octavia_lb.webhook.server import run_https
    from octavia_lb.webhook.tls import CertReloader

    app = {"raw": lambda: raw_app, "parse": lambda: parse_app, "fastapi": fastapi_app}[kind]()
    run_https(
        app, "127.0.0.1", 0, CertReloader.for_files(cert, key),
        lambda port: print(f"listening on https://x:{port}", flush=True),
    )


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("raw", "parse", "fastapi"):
        raise SystemExit("usage: python -m bench.baselines raw|parse|fastapi CERT KEY")
    serve(*sys.argv[1:])
