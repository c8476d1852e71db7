"""The webhook's transport, checked on the real `octavia-lb webhook` process: TLS 1.2+ only, no plain HTTP
anywhere, a request size cap.

Every refusal is paired with a control showing that the same client succeeds against a server that allows
it, so a failure means the webhook refused, not that the client could not speak the protocol at all.
"""

from __future__ import annotations

import socket
import ssl
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from octavia_lb_devkit.controlplane.cluster import Cluster
from octavia_lb_devkit.testing.certs import CertFiles
from octavia_lb_devkit.testing.samples import encode, review, service

from tests.fixtures.tls import client_context
from tests.fixtures.webhook import WebhookProcess, webhook_process

pytestmark = pytest.mark.cluster

CAP = 3 * 1024 * 1024


@pytest.fixture(scope="module")
def server(
    cluster: Cluster, tls_certs: CertFiles, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebhookProcess]:
    with webhook_process(tls_certs, cluster.kubeconfig, tmp_path_factory.mktemp("transport")) as process:
        yield process


def _old_client(ca_file: Path, version: ssl.TLSVersion) -> ssl.SSLContext:
    context = client_context(ca_file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # deprecated versions: the point
        context.minimum_version = version
        context.maximum_version = version
    context.set_ciphers("ALL:@SECLEVEL=0")
    return context


def _handshake(context: ssl.SSLContext, port: int) -> str | None:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        return tls.version()


def _permissive_port(certs: CertFiles, version: ssl.TLSVersion) -> tuple[socket.socket, threading.Thread]:
    """A one-shot TLS server that accepts `version`: the control for the refusal tests."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers("ALL:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = version
    context.load_cert_chain(certs.cert, certs.key)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with context.wrap_socket(conn, server_side=True):
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


@pytest.mark.parametrize(
    ("version", "name"), [(ssl.TLSVersion.TLSv1, "TLSv1"), (ssl.TLSVersion.TLSv1_1, "TLSv1.1")]
)
def test_tls_1_0_and_1_1_handshakes_fail(
    server: WebhookProcess, tls_certs: CertFiles, version: ssl.TLSVersion, name: str
) -> None:
    client = _old_client(server.running.ca_file, version)
    listener, thread = _permissive_port(tls_certs, version)
    with listener:
        assert _handshake(client, listener.getsockname()[1]) == name, "control: this client speaks " + name
        thread.join(5)
    with pytest.raises(ssl.SSLError):
        _handshake(client, server.running.port)


@pytest.mark.parametrize(
    ("version", "name"), [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")]
)
def test_tls_1_2_and_1_3_are_served(server: WebhookProcess, version: ssl.TLSVersion, name: str) -> None:
    context = client_context(server.running.ca_file, minimum=version, maximum=version)
    assert _handshake(context, server.running.port) == name
    with httpx.Client(verify=context) as client:
        assert client.get(server.running.url + "/healthz").text == "ok\n"


def test_weak_tls_1_2_ciphers_are_refused(server: WebhookProcess) -> None:
    context = client_context(server.running.ca_file, maximum=ssl.TLSVersion.TLSv1_2)
    context.set_ciphers("aNULL:eNULL:RC4:DES:3DES:EXPORT:MD5:@SECLEVEL=0")
    with pytest.raises(ssl.SSLError):
        _handshake(context, server.running.port)


def _plain_http(port: int, path: str, body: bytes) -> bytes:
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return received


@pytest.mark.parametrize("path", ["/validate", "/mutate"])
def test_plain_http_to_the_port_gets_no_admission_answer(server: WebhookProcess, path: str) -> None:
    body = encode(review("CREATE", service()))
    received = _plain_http(server.running.port, path, body)
    assert b"AdmissionReview" not in received and b"allowed" not in received
    assert not received.startswith(b"HTTP/1.1 200")
    with server.running.client() as client:  # control: the same review over TLS is answered
        assert client.post(path, content=body).json()["kind"] == "AdmissionReview"


def _listening_ports(pid: int) -> set[int]:
    """TCP ports in LISTEN state whose socket belongs to process `pid` (from /proc, no tools needed)."""
    fd_dir = Path(f"/proc/{pid}/fd")
    inodes = set()
    for fd in fd_dir.iterdir():
        try:
            target = fd.readlink().name
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A = LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def test_the_process_listens_on_the_https_port_only(server: WebhookProcess) -> None:
    assert _listening_ports(server.process.pid) == {server.running.port}


def test_request_size_cap_is_413(server: WebhookProcess) -> None:
    with server.running.client() as client:
        too_big = client.post("/validate", content=b" " * (CAP + 1))
        assert too_big.status_code == 413 and "larger than" in too_big.text

        def stream() -> Iterator[bytes]:  # no Content-Length: the cap holds while reading too
            for _ in range(4):
                yield b" " * (1024 * 1024)

        assert client.post("/mutate", content=stream()).status_code == 413
        big_but_allowed = service(annotations={"example.com/blob": "x" * (CAP - 64 * 1024)})
        reply = client.post("/validate", content=encode(review("CREATE", big_but_allowed)))
        assert reply.status_code == 200 and reply.json()["response"]["allowed"] is True
