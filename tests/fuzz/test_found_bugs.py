"""Inputs the fuzz run found to break the webhook, kept as fast regression tests on a real HTTPS server."""

from __future__ import annotations

import pytest
from octavia_lb_devkit.testing.samples import ANN, encode, review, service

from tests.fixtures.webhook import RunningWebhook


@pytest.mark.parametrize("key", ["connection-limit", "health-monitor-delay", "timeout-client-data"])
def test_integer_annotation_with_thousands_of_digits_is_denied_not_500(
    webhook: RunningWebhook, key: str
) -> None:
    # Python refuses int() of strings over 4,300 digits with ValueError (CVE-2020-10735 limit)
    svc = service(annotations={ANN + key: "1" * 5000})
    with webhook.client() as client:
        reply = client.post("/validate", content=encode(review("CREATE", svc)))
        assert reply.status_code == 200, reply.text
        response = reply.json()["response"]
        assert response["allowed"] is False
        assert ANN + key in response["status"]["message"]
        metrics = client.get("/metrics").text
    assert "octavia_lb_webhook_internal_errors_total{" not in metrics


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize(
    "body",
    [
        _nested(1000),  # the body itself: "must be a JSON object, got <it>"
        b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":' + _nested(1000) + b"}",
        b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u",'
        b'"operation":"CREATE","object":{"metadata":{"annotations":{"k":' + _nested(1000) + b"}}}}}",
    ],
    ids=["root", "request", "annotation-value"],
)
def test_deeply_nested_values_get_a_plain_400_not_500(webhook: RunningWebhook, body: bytes) -> None:
    # orjson parses 1024 levels but serialises fewer; error messages used to re-serialise the value
    with webhook.client() as client:
        reply = client.post("/validate", content=body)
    assert reply.status_code == 400, reply.text
    assert "nested too deeply to show" in reply.text
