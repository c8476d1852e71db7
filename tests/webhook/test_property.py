"""Property: whatever body arrives, the webhook never answers 5xx, and every answer is well formed.

Bodies are random JSON, truncated real reviews, and real reviews with one field anywhere replaced by a value
of another type. They go over HTTPS to a real uvicorn server.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from octavia_lb_devkit.testing.certs import CertFiles, write_certs
from octavia_lb_devkit.testing.samples import ANN, LB_ID, review, service

from octavia_lb.common.annotations import ANNOTATIONS, INTERNAL, SOURCE_RANGES
from octavia_lb.common.config import CloudConfig
from octavia_lb.common.kube import ServicesCache
from octavia_lb.webhook.app import create_app
from tests.fixtures.webhook import RunningWebhook, webhook_thread
from tests.fuzz.strategies import replace_at

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)

SEEDS = [
    review("CREATE", service(annotations={ANN + "keep-floatingip": "True", ANN + "flavour": "x"})),
    review("UPDATE", service(annotations={ANN + "load-balancer-id": LB_ID}), old=service()),
    review("DELETE", None, old=service()),
    review("CREATE", service(type_="ClusterIP"), dry_run=True),
]


def _paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


@st.composite
def mutated_reviews(draw: st.DrawFn) -> bytes:
    seed = draw(st.sampled_from(SEEDS))
    path = draw(st.sampled_from(list(_paths(seed))))
    return orjson.dumps(replace_at(orjson.loads(orjson.dumps(seed)), path, draw(json_values)))


@st.composite
def truncated_reviews(draw: st.DrawFn) -> bytes:
    raw = orjson.dumps(draw(st.sampled_from(SEEDS)))
    return raw[: draw(st.integers(0, len(raw) - 1))]


tricky_text = st.sampled_from(
    [
        "",
        "true",
        "True",
        "-1",
        "0",
        "10",
        "99999999999999999999",
        "v2",
        "~[",
        "a=b,c",
        "10.0.0.0/8",
        LB_ID,
        "tcp",
        " ",
    ]
) | st.text(max_size=30)


@st.composite
def annotated_reviews(draw: st.DrawFn) -> bytes:
    """Well-typed Services whose annotations (every catalogue key) hold odd strings: the rules must cope."""
    keys = draw(st.lists(st.sampled_from([*ANNOTATIONS, INTERNAL, SOURCE_RANGES, ANN + "nope"]), max_size=6))
    annotations = {key: draw(tricky_text) for key in keys}
    ports = draw(
        st.lists(
            st.tuples(st.sampled_from(["TCP", "UDP", "SCTP", "HTTP"]), st.integers(-1, 70000)),
            min_size=1,
            max_size=3,
        )
    )
    new = service(
        annotations=annotations, ports=ports, externalTrafficPolicy=draw(st.sampled_from(["Local", "x"]))
    )
    old = service(annotations={key: draw(tricky_text) for key in keys})
    return orjson.dumps(review("UPDATE", new, old=old) if draw(st.booleans()) else review("CREATE", new))


bodies = (
    mutated_reviews()
    | annotated_reviews()
    | annotated_reviews()
    | truncated_reviews()
    | json_values.map(orjson.dumps)
    | st.binary(max_size=200)
    | st.builds(
        lambda r: orjson.dumps(
            {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": r}
        ),
        json_values,
    )
)


@pytest.fixture(scope="module")
def shared_webhook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningWebhook]:
    certs: CertFiles = write_certs(tmp_path_factory.mktemp("tls-prop"))
    with webhook_thread(create_app(CloudConfig.default(), ServicesCache.static()), certs) as running:
        yield running


@pytest.fixture(scope="module")
def http(shared_webhook: RunningWebhook) -> Iterator[httpx.Client]:
    with shared_webhook.client() as client:
        yield client


def _check_review_answer(body: bytes, answer: dict) -> None:
    request_uid = orjson.loads(body)["request"]["uid"]
    assert answer["apiVersion"] == "admission.k8s.io/v1" and answer["kind"] == "AdmissionReview"
    response = answer["response"]
    assert response["uid"] == request_uid
    assert isinstance(response["allowed"], bool)
    if not response["allowed"]:
        assert response["status"]["code"] == 403 and response["status"]["message"]
    if "patch" in response:
        assert response["patchType"] == "JSONPatch"
        assert isinstance(orjson.loads(base64.b64decode(response["patch"])), list)
    assert all(isinstance(w, str) and w for w in response.get("warnings", []))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, path=st.sampled_from(["/validate", "/mutate"]))
def test_never_5xx_and_always_well_formed(http: httpx.Client, body: bytes, path: str) -> None:
    reply = http.post(path, content=body)
    event(f"HTTP {reply.status_code}")
    assert reply.status_code in (200, 400), (reply.status_code, reply.text)
    if reply.status_code == 400:
        assert reply.headers["content-type"].startswith("text/plain")
        assert reply.text.startswith("bad AdmissionReview: ")
    else:
        assert reply.headers["content-type"] == "application/json"
        _check_review_answer(body, reply.json())


def test_no_internal_errors_were_counted(http: httpx.Client) -> None:
    # runs after the property test in this module: any swallowed exception would show here
    assert "octavia_lb_webhook_internal_errors_total{" not in http.get("/metrics").text
