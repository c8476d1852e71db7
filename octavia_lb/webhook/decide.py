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


def _judged(request: AdmissionRequest) -> dict[str, Any] | None:
    """The Service to judge, with the request's namespace filled in, or None when it is not ours."""
    if request.operation not in (Operation.CREATE, Operation.UPDATE) or not request.is_service:
        return None
    service = request.obj
    if service is None or not rules.is_managed(service):
        return None
    metadata = service.get("metadata") or {}
    if not metadata.get("namespace") and request.namespace:
        # the apiserver sets it, but a hand-made review may not; peers are matched by namespace/name
        service = {**service, "metadata": {**metadata, "namespace": request.namespace}}
    return service


def _peers(view: ServiceView, config: CloudConfig, cache: PeerSource) -> list[rules.Peer]:
    me = rules.peer_of_view(view, config)
    if me is None or not me.load_balancer_id:
        return []
    # the cache still holds this Service's previous version on UPDATE; it is not its own peer
    return [
        p for p in cache.peers_for(me.load_balancer_id) if (p.namespace, p.name) != (me.namespace, me.name)
    ]


def validate(request: AdmissionRequest, config: CloudConfig, cache: PeerSource) -> Answer:
    service = _judged(request)
    if service is None:
        return Answer(allow(request.uid), Outcome.IGNORED)
    # one view per object serves the shape check, the peer lookup and the rules
    view = request.view if service is request.obj and request.view else ServiceView.from_dict(service)
    old = request.old_obj if request.operation is Operation.UPDATE else None
    old_view = (request.old_view or ServiceView.from_dict(old)) if old is not None else None
    verdict = rules.review_view(view, old_view, _peers(view, config, cache), config)
    if verdict.allowed:
        return Answer(allow(request.uid, verdict.warnings), Outcome.ALLOWED)
    return Answer(deny(request.uid, verdict.message, verdict.warnings), Outcome.DENIED)


def mutate(request: AdmissionRequest) -> Answer:
    service = _judged(request)
    if service is None:
        return Answer(allow(request.uid), Outcome.IGNORED)
    patch = finalizer_patch(service, rules.FINALIZER)
    return Answer(allow(request.uid, patch=patch), Outcome.PATCHED if patch else Outcome.ALLOWED)
