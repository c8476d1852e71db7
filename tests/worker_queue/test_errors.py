"""The translation boundary: real openstacksdk / keystoneauth exceptions, built from real HTTP answers."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from keystoneauth1 import session as ksa_session
from openstack import exceptions as os_exc

from octavia_lb.worker.cloud.errors import PermanentError, Requeue, TemporaryError
from octavia_lb.worker.cloud.gateway import openstack_errors, translate_openstack_error


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        status = int(self.path.strip("/").split("/")[0])
        body = json.dumps({"faultstring": f"simulated {status}"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status == 503:
            self.send_header("Retry-After", "7")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def http_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def sdk_error(http_url: str, status: int) -> os_exc.HttpException:
    response = requests.get(f"{http_url}/{status}", timeout=5)
    with pytest.raises(os_exc.HttpException) as caught:
        os_exc.raise_from_response(response)
    return caught.value


@pytest.mark.parametrize(
    ("status", "kind", "delay", "text"),
    [
        (409, TemporaryError, 5.0, "HTTP 409"),
        (500, TemporaryError, None, "HTTP 500"),
        (503, TemporaryError, 7.0, "HTTP 503"),
        (429, TemporaryError, None, "HTTP 429"),
        (403, PermanentError, None, "quota"),
        (404, PermanentError, None, "HTTP 404"),
        (400, PermanentError, None, "simulated 400"),
    ],
    ids=["conflict", "server-error", "retry-after", "throttled", "quota", "not-found", "bad-request"],
)
def test_http_status_decides(http_url: str, status: int, kind: type, delay: float | None, text: str) -> None:
    translated = translate_openstack_error(sdk_error(http_url, status), "create load balancer")
    assert type(translated) is kind
    assert translated.message.startswith("create load balancer: ")
    assert text in translated.message
    if kind is TemporaryError:
        assert translated.delay == delay


def test_boundary_chains_the_cause(http_url: str) -> None:
    with pytest.raises(TemporaryError) as caught, openstack_errors("update listener"):
        os_exc.raise_from_response(requests.get(f"{http_url}/409", timeout=5))
    assert isinstance(caught.value.__cause__, os_exc.ConflictException)


def test_boundary_lets_our_signals_through() -> None:
    with pytest.raises(Requeue), openstack_errors("anything"):
        raise Requeue(3, "PENDING_UPDATE")


def test_timeouts_and_refused_connections_are_temporary() -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts, never answers
    port = silent.getsockname()[1]
    try:
        with pytest.raises(TemporaryError) as caught, openstack_errors("get load balancer"):
            ksa_session.Session().get(f"http://127.0.0.1:{port}/", timeout=0.3)
        assert "Timeout" in caught.value.message
    finally:
        silent.close()
    with pytest.raises(TemporaryError) as refused, openstack_errors("get load balancer"):
        ksa_session.Session().get(f"http://127.0.0.1:{port}/", timeout=0.3)
    assert "ConnectFailure" in refused.value.message


def test_negative_delays_are_rejected_with_the_value() -> None:
    with pytest.raises(ValueError, match=r"delay: -1 must be >= 0"):
        Requeue(-1, "x")
    with pytest.raises(ValueError, match=r"delay: -2 must be >= 0"):
        TemporaryError("x", delay=-2)
