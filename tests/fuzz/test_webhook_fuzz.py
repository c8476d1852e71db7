"""Fuzz the real webhook process: >= 10,000 generated reviews and non-reviews, zero 5xx, zero crashes.

Shares of FUZZ_EXAMPLES per family (the module's fixture then checks process, /metrics and log):
well-typed reviews 55 % (validate and mutate), one field retyped 25 %, garbage bodies 15 %, huge inputs 5 %.
"""

from __future__ import annotations

import orjson
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.fuzz.conftest import Fuzzer, fuzz_settings
from tests.fuzz.oracle import Sent
from tests.fuzz.strategies import garbage_body, huge_review, retyped_review, well_typed_review

pytestmark = [pytest.mark.fuzz, pytest.mark.cluster, pytest.mark.timeout(900)]

paths = st.sampled_from(["/validate", "/mutate"])


@fuzz_settings(0.35)
@given(review=well_typed_review())
def test_well_typed_reviews_are_always_answered_by_validate(fuzzer: Fuzzer, review: dict) -> None:
    response = fuzzer.review("/validate", review, must_answer=True)
    assert response is not None
    event("allowed" if response["allowed"] else "denied")


@fuzz_settings(0.20)
@given(review=well_typed_review())
def test_well_typed_reviews_get_an_applicable_idempotent_patch(fuzzer: Fuzzer, review: dict) -> None:
    response = fuzzer.review("/mutate", review, must_answer=True)
    assert response is not None and response["allowed"] is True, "the mutating webhook never denies"
    event("patched" if "patch" in response else "unchanged")


@fuzz_settings(0.25)
@given(review=retyped_review(), path=paths)
def test_one_retyped_field_gets_400_or_an_answer(fuzzer: Fuzzer, review: object, path: str) -> None:
    body = orjson.dumps(review)
    keeps_uid = isinstance(review, dict) and isinstance(review.get("request"), dict)
    uid = review["request"].get("uid") if keeps_uid else None
    # a review whose uid survived may be answered (the retyped field may be one the webhook ignores)
    sent = Sent(path, body, review if isinstance(uid, str) and uid else None)
    response = fuzzer.post(sent)
    if response is not None:
        assert sent.review is not None, f"a body without a usable uid was answered: {body[:300]!r}"
    event("answered" if response is not None else "400")


@fuzz_settings(0.15)
@given(body=garbage_body, path=paths)
def test_garbage_gets_a_plain_400(fuzzer: Fuzzer, body: bytes, path: str) -> None:
    review = _as_review(body)
    response = fuzzer.post(Sent(path, body, review))
    # deep nesting inside a field the webhook ignores still makes a valid review: then the uid is echoed
    assert response is None or review is not None, f"garbage was answered: {body[:200]!r} -> {response}"
    event("400" if response is None else "answered")


def _as_review(body: bytes) -> dict | None:
    """The body as a review with a usable uid, when it is one; the oracle then checks the echo."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    request = document.get("request") if isinstance(document, dict) else None
    uid = request.get("uid") if isinstance(request, dict) else None
    return document if isinstance(uid, str) and uid else None


@fuzz_settings(0.05)
@given(review=huge_review(), path=paths)
def test_huge_inputs_are_answered_or_capped(fuzzer: Fuzzer, review: dict, path: str) -> None:
    body = orjson.dumps(review)
    response = fuzzer.post(Sent(path, body, review), must_answer=len(body) <= 3 * 1024 * 1024)
    event("413" if response is None else "answered")
