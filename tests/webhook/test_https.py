"""HTTPS integration tests: real AdmissionReview bodies against the webhook served by a real uvicorn."""

from __future__ import annotations

import base64
import socket
import ssl
import threading
import warnings
from pathlib import Path

import httpx
import orjson
import pytest
from octavia_lb_devkit.testing.certs import CertFiles
from octavia_lb_devkit.testing.samples import ANN, LB_ID, encode, review, service

from octavia_lb.common.config import CloudConfig
from octavia_lb.common.kube import ServicesCache
from octavia_lb.common.rules import FINALIZER, Peer
from octavia_lb.webhook.app import create_app
from tests.fixtures.tls import client_context
from tests.fixtures.webhook import RunningWebhook, webhook_thread


def post(webhook: RunningWebhook, path: str, body: dict) -> dict:
    with webhook.client() as client:
        reply = client.post(path, content=encode(body), headers={"Content-Type": "application/json"})
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "application/json"
    answer = reply.json()
    assert answer["apiVersion"] == "admission.k8s.io/v1" and answer["kind"] == "AdmissionReview"
    assert answer["response"]["uid"] == body["request"]["uid"]
    return answer["response"]


def patch_of(response: dict) -> list | None:
    if "patch" not in response:
        return None
    assert response["patchType"] == "JSONPatch"
    return orjson.loads(base64.b64decode(response["patch"]))


def test_create_of_a_good_service_is_allowed(webhook: RunningWebhook) -> None:
    response = post(webhook, "/validate", review("CREATE", service()))
    assert response["allowed"] is True
    assert "patch" not in response and "status" not in response


def test_create_of_a_bad_service_is_denied_with_every_problem(webhook: RunningWebhook) -> None:
    svc = service(
        annotations={
            ANN + "keep-floatingip": "True",
            ANN + "health-monitor-delay": "5",
            ANN + "health-monitor-timeout": "10",
            ANN + "enable-health-monitor": "true",
        }
    )
    response = post(webhook, "/validate", review("CREATE", svc))
    assert response["allowed"] is False
    assert response["status"]["code"] == 403 and response["status"]["reason"] == "Forbidden"
    message = response["status"]["message"]
    assert 'keep-floatingip: "True"' in message
    assert "health-monitor-timeout" in message and '"10"' in message
    assert "patch" not in response


def test_unknown_annotation_is_a_warning_not_a_denial(webhook: RunningWebhook) -> None:
    response = post(webhook, "/validate", review("CREATE", service(annotations={ANN + "flavour-id": "x"})))
    assert response["allowed"] is True
    assert any("flavour-id" in w for w in response["warnings"])


def test_update_passes_the_old_object_to_the_rules(webhook: RunningWebhook) -> None:
    flavor_a, flavor_b = "0b5c3b8e-1d7e-4c9b-9a55-2f8f1e7a9c01", "7d0a9f5e-2c3b-4e6d-8f1a-9b2c3d4e5f60"
    old = service(annotations={ANN + "load-balancer-id": LB_ID, ANN + "flavor-id": flavor_a})
    new = service(annotations={ANN + "load-balancer-id": LB_ID, ANN + "flavor-id": flavor_b})
    denied = post(webhook, "/validate", review("UPDATE", new, old=old))
    assert denied["allowed"] is False
    assert "flavor-id" in denied["status"]["message"]
    unchanged = post(webhook, "/validate", review("UPDATE", old, old=old))
    assert unchanged["allowed"] is True
    # the same change on CREATE has no old object to compare with, so it is fine
    assert post(webhook, "/validate", review("CREATE", new))["allowed"] is True


def test_delete_is_allowed_without_patch(webhook: RunningWebhook) -> None:
    bad = service(annotations={ANN + "keep-floatingip": "True"})
    for path in ("/validate", "/mutate"):
        response = post(webhook, path, review("DELETE", None, old=bad))
        assert response == {"uid": response["uid"], "allowed": True}


def test_dry_run_gets_the_same_answers(webhook: RunningWebhook) -> None:
    bad = service(annotations={ANN + "keep-floatingip": "True"})
    wet = post(webhook, "/validate", review("CREATE", bad))
    dry = post(webhook, "/validate", review("CREATE", bad, dry_run=True))
    assert dry["allowed"] is wet["allowed"] is False
    assert dry["status"] == wet["status"]
    assert patch_of(post(webhook, "/mutate", review("CREATE", service(), dry_run=True))) is not None


@pytest.mark.parametrize(
    "svc",
    [
        service(type_="ClusterIP", annotations={ANN + "keep-floatingip": "True"}),
        service(type_="NodePort", annotations={ANN + "keep-floatingip": "True"}),
        service(loadBalancerClass="example.com/other", annotations={ANN + "keep-floatingip": "True"}),
    ],
    ids=["ClusterIP", "NodePort", "other-class"],
)
def test_unmanaged_services_are_allowed_untouched(webhook: RunningWebhook, svc: dict) -> None:
    for path in ("/validate", "/mutate"):
        response = post(webhook, path, review("CREATE", svc))
        assert response == {"uid": response["uid"], "allowed": True}


def test_mutate_adds_the_finalizer_once(webhook: RunningWebhook) -> None:
    svc = service()
    first = patch_of(post(webhook, "/mutate", review("CREATE", svc)))
    assert first == [{"op": "add", "path": "/metadata/finalizers", "value": [FINALIZER]}]
    svc["metadata"]["finalizers"] = [FINALIZER]  # what the apiserver stores after applying it
    second = post(webhook, "/mutate", review("UPDATE", svc, old=svc))
    assert second["allowed"] is True and patch_of(second) is None


def test_mutate_appends_to_existing_finalizers(webhook: RunningWebhook) -> None:
    response = post(webhook, "/mutate", review("CREATE", service(finalizers=["example.com/keep"])))
    assert patch_of(response) == [{"op": "add", "path": "/metadata/finalizers/-", "value": FINALIZER}]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (
            b'{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{}}',
            "apiVersion/kind",
        ),
        (
            b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}',
            "uid",
        ),
        (
            b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",'
            b'"request":{"uid":"u","operation":"CREATE","object":"svc"}}',
            "request.object must be an object",
        ),
    ],
    ids=["malformed", "v1beta1", "no-uid", "object-string"],
)
def test_malformed_bodies_get_400_plain_text(webhook: RunningWebhook, body: bytes, fragment: str) -> None:
    with webhook.client() as client:
        for path in ("/validate", "/mutate"):
            reply = client.post(path, content=body)
            assert reply.status_code == 400
            assert reply.headers["content-type"].startswith("text/plain")
            assert fragment in reply.text


def test_oversized_body_gets_413(tls_certs: CertFiles) -> None:
    app = create_app(CloudConfig.default(), ServicesCache.static(), max_body_bytes=4096)
    big = service(annotations={"example.com/blob": "x" * 5000})
    with webhook_thread(app, tls_certs) as running, running.client() as client:
        reply = client.post("/validate", content=encode(review("CREATE", big)))
        assert reply.status_code == 413
        assert "larger than 4096 bytes" in reply.text

        def chunks():  # no Content-Length: the cap must hold while streaming too
            yield b'{"apiVersion":"admission.k8s.io/v1",'
            yield b" " * 8192

        assert client.post("/validate", content=chunks()).status_code == 413
        assert client.post("/validate", content=encode(review("CREATE", service()))).status_code == 200


def test_default_body_cap_is_3_mib(webhook: RunningWebhook) -> None:
    with webhook.client() as client:
        reply = client.post("/validate", content=b" " * (3 * 1024 * 1024 + 1))
    assert reply.status_code == 413


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/validate", 405), ("PUT", "/mutate", 405), ("POST", "/nope", 404), ("POST", "/healthz", 405)],
)
def test_wrong_method_or_path(webhook: RunningWebhook, method: str, path: str, status: int) -> None:
    with webhook.client() as client:
        assert client.request(method, path, content=b"{}").status_code == status


def test_health_and_readiness(webhook: RunningWebhook) -> None:
    with webhook.client() as client:
        assert client.get("/healthz").text == "ok\n"
        assert client.get("/readyz").status_code == 200


def _tls_1_1_client(ca_file: Path) -> ssl.SSLContext:
    context = client_context(ca_file)
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.1 itself is deprecated: that is the point
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("ALL:@SECLEVEL=0")
    return context


def _handshake(context: ssl.SSLContext, address: tuple[str, int]) -> str | None:
    with (
        socket.create_connection(address, timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        return tls.version()


def test_tls_1_1_is_refused(webhook: RunningWebhook, tls_certs: CertFiles) -> None:
    client = _tls_1_1_client(webhook.ca_file)
    # control: this client does complete a TLS 1.1 handshake with a server that allows it...
    permissive = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    permissive.set_ciphers("ALL:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        permissive.minimum_version = ssl.TLSVersion.TLSv1
    permissive.load_cert_chain(tls_certs.cert, tls_certs.key)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        accepted = threading.Thread(target=lambda: _serve_one(listener, permissive))
        accepted.start()
        assert _handshake(client, listener.getsockname()) == "TLSv1.1"
        accepted.join(5)
    # ...so the failure against the webhook is the webhook refusing TLS 1.1
    with pytest.raises(ssl.SSLError):
        _handshake(client, ("127.0.0.1", webhook.port))


def _serve_one(listener: socket.socket, context: ssl.SSLContext) -> None:
    conn, _ = listener.accept()
    with context.wrap_socket(conn, server_side=True):
        pass


def test_tls_1_2_and_1_3_are_accepted(webhook: RunningWebhook) -> None:
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        context = client_context(webhook.ca_file, minimum=version, maximum=version)
        with httpx.Client(verify=context) as client:
            assert client.get(webhook.url + "/healthz").status_code == 200


def test_plain_http_is_not_served(webhook: RunningWebhook) -> None:
    with pytest.raises(httpx.HTTPError), httpx.Client() as client:
        client.get(f"http://127.0.0.1:{webhook.port}/healthz")


def _metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
        if not labels and line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name}{{{wanted}}} in /metrics")


def test_metrics_count_admissions_by_operation_and_verdict(webhook: RunningWebhook) -> None:
    bad = service(annotations={ANN + "keep-floatingip": "True"})
    post(webhook, "/validate", review("CREATE", service()))
    post(webhook, "/validate", review("CREATE", bad))
    post(webhook, "/validate", review("CREATE", bad, dry_run=True))
    post(webhook, "/mutate", review("CREATE", service()))
    post(webhook, "/validate", review("DELETE", None, old=bad))
    with webhook.client() as client:
        client.post("/validate", content=b"nope")
        text = client.get("/metrics").text
    total = "octavia_lb_webhook_admissions_total"
    assert _metric(text, total, webhook="validate", operation="CREATE", verdict="allowed") == 1
    assert _metric(text, total, webhook="validate", operation="CREATE", verdict="denied") == 2
    assert _metric(text, total, webhook="mutate", operation="CREATE", verdict="patched") == 1
    assert _metric(text, total, webhook="validate", operation="DELETE", verdict="ignored") == 1
    histogram = "octavia_lb_webhook_admission_duration_seconds_count"
    assert _metric(text, histogram, webhook="validate", operation="CREATE", verdict="denied") == 2
    assert _metric(text, "octavia_lb_webhook_bad_requests_total", webhook="validate", code="400") == 1
    assert _metric(text, "octavia_lb_webhook_cache_services") == 0


def test_sharing_rules_see_peers_from_the_cache(tls_certs: CertFiles) -> None:
    other = Peer("team-b", "api", "uid-api", LB_ID, False, frozenset({("TCP", 80)}))
    app = create_app(CloudConfig.default(), ServicesCache.static([other]))
    shared = {ANN + "load-balancer-id": LB_ID}
    with webhook_thread(app, tls_certs) as running:
        collide = post(
            running, "/validate", review("CREATE", service(annotations=shared, ports=[("TCP", 80)]))
        )
        assert collide["allowed"] is False
        assert "team-b/api" in collide["status"]["message"]
        fine = post(running, "/validate", review("CREATE", service(annotations=shared, ports=[("TCP", 443)])))
        assert fine["allowed"] is True
        # a Service is not its own peer: updating team-b/api itself does not collide with its cached copy
        me = service("api", "team-b", annotations=shared, ports=[("TCP", 80)])
        assert post(running, "/validate", review("UPDATE", me, old=me))["allowed"] is True
        with running.client() as client:
            assert _metric(client.get("/metrics").text, "octavia_lb_webhook_cache_services") == 1
