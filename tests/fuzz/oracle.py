"""What every webhook answer must look like, whatever was sent: the fuzz run's single oracle.

An answer is either HTTP 400 (or 413 for a body over the cap) with a short plain-text message, or HTTP 200
with an `admission.k8s.io/v1` AdmissionReview whose response echoes the request's uid; a denial carries a
403 Forbidden status with a message, a patch is a JSON Patch that applies to the object it was computed for.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import httpx
import jsonpatch
import jsonpointer
import orjson

from octavia_lb.common.rules import FINALIZER

MAX_BODY_BYTES = 3 * 1024 * 1024


class BadAnswer(AssertionError):
    pass


@dataclass(frozen=True)
class Sent:
    """One request: the raw body, and the review it encodes when there is one."""

    path: str
    body: bytes
    review: dict[str, Any] | None = None


def check_plain_error(reply: httpx.Response) -> None:
    if not reply.headers.get("content-type", "").startswith("text/plain"):
        raise BadAnswer(f"HTTP {reply.status_code} is not text/plain: {reply.headers.get('content-type')}")
    text = reply.text
    if not text.strip() or len(text) > 4096 or "Traceback" in text or "internal error" in text:
        raise BadAnswer(f"HTTP {reply.status_code} body is not a short plain message: {text[:300]!r}")


def check_answer(sent: Sent, reply: httpx.Response, must_answer: bool) -> dict[str, Any] | None:
    """Raise BadAnswer unless `reply` is acceptable for `sent`; return the AdmissionReview response if any.

    `must_answer` says the body was a well-typed review, which must get a review back (never 400).
    """
    status = reply.status_code
    if status == 413:
        if len(sent.body) <= MAX_BODY_BYTES:
            raise BadAnswer(f"413 for a body of {len(sent.body)} bytes, under the cap")
        check_plain_error(reply)
        return None
    if status == 400 and not must_answer:
        check_plain_error(reply)
        return None
    if status != 200:
        raise BadAnswer(f"HTTP {status} for {sent.path}: {reply.text[:300]!r}")
    return check_review(sent, reply)


def check_review(sent: Sent, reply: httpx.Response) -> dict[str, Any]:
    answer = orjson.loads(reply.content)
    if answer.get("apiVersion") != "admission.k8s.io/v1" or answer.get("kind") != "AdmissionReview":
        raise BadAnswer(f"not an AdmissionReview v1: {reply.text[:300]}")
    response = answer.get("response")
    if not isinstance(response, dict) or not isinstance(response.get("allowed"), bool):
        raise BadAnswer(f"response.allowed missing: {reply.text[:300]}")
    if sent.review is not None and response.get("uid") != sent.review["request"]["uid"]:
        sent_uid = sent.review["request"]["uid"]
        raise BadAnswer(f"uid not echoed: sent {sent_uid!r}, got {response.get('uid')!r}")
    warnings = response.get("warnings", [])
    if not isinstance(warnings, list) or not all(isinstance(w, str) and w for w in warnings):
        raise BadAnswer(f"warnings must be non-empty strings: {warnings!r}")
    if response["allowed"]:
        if "status" in response:
            raise BadAnswer(f"an allowed answer carries a status: {response['status']!r}")
    else:
        _check_denial(response)
    if "patch" in response:
        if sent.path != "/mutate":
            raise BadAnswer("the validating webhook returned a patch")
        _check_patch(sent, response)
    return response


def _check_denial(response: dict[str, Any]) -> None:
    status = response.get("status") or {}
    message = status.get("message")
    if status.get("code") != 403 or status.get("reason") != "Forbidden":
        raise BadAnswer(f"a denial must be 403 Forbidden: {status!r}")
    if not isinstance(message, str) or not message.strip():
        raise BadAnswer(f"a denial must say why: {status!r}")


def patched_object(response: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    """The object after the apiserver applies the response's JSON Patch (BadAnswer when it cannot)."""
    if response.get("patchType") != "JSONPatch":
        raise BadAnswer(f"patchType must be JSONPatch: {response.get('patchType')!r}")
    try:
        operations = orjson.loads(base64.b64decode(response["patch"], validate=True))
        return jsonpatch.apply_patch(obj, operations)
    except (
        binascii.Error,
        orjson.JSONDecodeError,
        jsonpatch.JsonPatchException,
        jsonpointer.JsonPointerException,
        KeyError,
        TypeError,
    ) as exc:
        raise BadAnswer(f"patch {response['patch']!r} does not apply: {exc}") from exc


def _check_patch(sent: Sent, response: dict[str, Any]) -> None:
    assert sent.review is not None
    after = patched_object(response, sent.review["request"]["object"])
    if FINALIZER not in after["metadata"]["finalizers"]:
        raise BadAnswer(f"the patch did not add {FINALIZER}: {after['metadata']}")
