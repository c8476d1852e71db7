"""What the webhook answers to a parsed AdmissionRequest: the rules' verdict, or the finalizer patch.

Pure apart from reading the Services cache; the HTTP layer (app.py) only moves bytes and counts.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from octavia_lb.common import rules
from octavia_lb.common.config import CloudConfig
from octavia_lb.common.service import ServiceView
from octavia_lb.webhook.admission import AdmissionRequest, Operation, allow, deny, finalizer_patch
from octavia_lb.webhook.request import Subject


class Outcome(enum.Enum):
    """The metrics label for an answer."""

    IGNORED = "ignored"  # not ours to judge: other type or class, DELETE, CONNECT, not a Service
    ALLOWED = "allowed"
    DENIED = "denied"
    PATCHED = "patched"


class PeerSource(Protocol):
    """What the webhook needs from the Services cache (common.kube.ServicesCache)."""

    @property
    def synced(self) -> bool: ...

    def peers_for(self, load_balancer_id: str) -> Sequence[rules.Peer]: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class Answer:
    review: dict[str, Any]
    outcome: Outcome


def _judged(request: AdmissionRequest) -> Subject | None:
    """The Service to judge, or None when it is not ours."""
    if request.operation not in (Operation.CREATE, Operation.UPDATE) or not request.is_service:
        return None
    return request.object  # set only for a Service we manage


def _peers(view: ServiceView, cache: PeerSource) -> Sequence[rules.Peer]:
    lb_id = rules.named_load_balancer(view)
    # on UPDATE the cache still holds this Service's previous version: the sharing rules leave it out
    return cache.peers_for(lb_id) if lb_id else ()


def validate(request: AdmissionRequest, config: CloudConfig, cache: PeerSource) -> Answer:
    service = _judged(request)
    if service is None:
        return Answer(allow(request.uid), Outcome.IGNORED)
    view = service.view
    old = request.old_object if request.operation is Operation.UPDATE else None
    verdict = rules.review_view(view, old.view if old else None, _peers(view, cache), config)
    if verdict.allowed:
        return Answer(allow(request.uid, verdict.warnings), Outcome.ALLOWED)
    return Answer(deny(request.uid, verdict.message, verdict.warnings), Outcome.DENIED)


def mutate(request: AdmissionRequest) -> Answer:
    service = _judged(request)
    if service is None:
        return Answer(allow(request.uid), Outcome.IGNORED)
    patch = finalizer_patch(service, rules.FINALIZER)
    return Answer(allow(request.uid, patch=patch), Outcome.PATCHED if patch else Outcome.ALLOWED)
