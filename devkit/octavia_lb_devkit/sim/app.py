"""The simulator's ASGI application: one port, four OpenStack services and the `/_sim/` control API.

A bare ASGI callable keeps the per-request overhead small: it runs due clock events, matches the route,
counts it, applies injected latency and faults, authenticates the token, calls the handler and renders
errors in the called service's format. An exception from the simulator's own code becomes a 500 that is
logged and recorded in `internal_errors`, which tests assert stays empty.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from typing import Any
from urllib.parse import parse_qsl

import orjson

from octavia_lb_devkit.sim import control
from octavia_lb_devkit.sim.errors import UNAUTHORIZED, ApiError, Service, render
from octavia_lb_devkit.sim.http import Call, Reply, Router
from octavia_lb_devkit.sim.state import Cloud, SimConfig

log = logging.getLogger("octavia_lb_devkit.sim")
_PREFIXES = (
    ("/identity", Service.IDENTITY),
    ("/networking", Service.NETWORK),
    ("/load-balancer", Service.LOAD_BALANCER),
    ("/key-manager", Service.KEY_MANAGER),
    ("/_sim", Service.CONTROL),
)


def service_of(path: str) -> Service:
    return next((svc for prefix, svc in _PREFIXES if path.startswith(prefix)), Service.CONTROL)


def canonical(path: str) -> str:
    """Octavia serves `/v2` and `/v2.0` alike; a `.json` suffix is accepted and ignored."""
    if path.endswith(".json"):
        path = path[:-5]
    if path.startswith("/load-balancer/v2/") or path == "/load-balancer/v2":
        path = "/load-balancer/v2.0" + path[len("/load-balancer/v2") :]
    return path.rstrip("/") or "/"


class Simulator:
    """Holds the current `Cloud` and answers ASGI HTTP requests against it."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.cloud = Cloud.build(self.config)
        self.control = Router()
        control.add_routes(self.control, self)

    def reset(self) -> None:
        self.cloud = Cloud.build(self.config, self.cloud.clock)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        body = await _read_body(receive)
        reply = await self.handle(scope, body)
        await _send(send, reply)

    async def handle(self, scope: dict[str, Any], raw: bytes) -> Reply:
        path, method = canonical(scope["path"]), scope["method"]
        service = service_of(path)
        try:
            return await self._dispatch(scope, path, method, service, raw)
        except ApiError as exc:
            return _error(service, exc)
        except Exception as exc:  # the simulator's own bug: answer 500, remember it for the tests
            log.exception("internal simulator error on %s %s", method, scope["path"])
            self.cloud.internal_errors.append(f"{method} {scope['path']}: {exc!r}\n{traceback.format_exc()}")
            return _error(service, ApiError(500, f"Internal simulator error: {exc!r}"))

    async def _dispatch(
        self, scope: dict[str, Any], path: str, method: str, service: Service, raw: bytes
    ) -> Reply:
        cloud = self.cloud
        cloud.scheduler.run_due()
        router = self.control if service is Service.CONTROL else cloud.router
        found = router.match(method, path)
        if found is None:
            allowed = router.allowed_methods(path)
            if allowed:
                raise ApiError(
                    405,
                    f"The method {method} is not allowed for this resource; allowed: {', '.join(allowed)}.",
                )
            raise ApiError(404, "The resource could not be found.")
        route, params = found
        if service is not Service.CONTROL:
            cloud.counts[f"{method} {route.template}"] += 1
            delay = cloud.api_latency()
            if delay > 0:
                await asyncio.sleep(delay)
                cloud.scheduler.run_due()
            injected = cloud.faults.check(method, route.template, cloud.rng)
            if injected is not None:
                raise injected
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        call = Call(
            method,
            scope["path"].removesuffix(".json"),
            params,
            parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True),
            _json(raw, service),
            _base_url(scope, headers),
            route.service,
            headers=headers,
        )
        if not route.public:
            call.auth = cloud.identity.authenticate(headers.get("x-auth-token"))
            if call.auth is None:
                return _error(Service.IDENTITY, ApiError(401, UNAUTHORIZED))
        return route.handler(call)


def _json(raw: bytes, service: Service) -> Any:
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if service is Service.KEY_MANAGER:
            raise ApiError(400, "Malformed JSON") from None  # Barbican's words, no parser detail
        raise ApiError(400, f"Malformed JSON in request body: {exc}") from None


def _base_url(scope: dict[str, Any], headers: dict[str, str]) -> str:
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}"


def _error(service: Service, error: ApiError) -> Reply:
    return Reply(error.status, render(service, error))


async def _read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send: Any, reply: Reply) -> None:
    """JSON, or `bytes` sent as they are (a Barbican secret payload, with its own Content-Type)."""
    if reply.body is None or reply.status == 204:
        payload = b""
    else:
        payload = reply.body if isinstance(reply.body, bytes) else orjson.dumps(reply.body)
    extra = {k.lower(): v for k, v in reply.headers.items()}
    content_type = extra.pop("content-type", "application/json")
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(payload)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
