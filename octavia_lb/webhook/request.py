"""What the webhook keeps of an AdmissionReview's request: the parsed form both decoders produce."""

from __future__ import annotations

import enum

import msgspec

from octavia_lb.common.service import ServiceView


class Operation(enum.Enum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    CONNECT = "CONNECT"


class Subject(msgspec.Struct, frozen=True):
    """What the webhook reads of `request.object` or `request.oldObject`: a Service's view."""

    view: ServiceView
    # metadata is an object: the finalizer patch adds to it instead of creating it
    has_metadata: bool


class AdmissionRequest(msgspec.Struct, frozen=True):
    """The parts of `request` the webhook uses.

    `object` is set only when it is a Service we manage (type LoadBalancer, spec.loadBalancerClass unset or
    ours: `rules.is_managed`), and `old_object` only then too: the webhook reads nothing of any other object,
    so it builds no view of one (both are still type-checked). Its view has the request's namespace when its
    metadata has none (a hand-made review may omit it; peers match by it).
    """

    uid: str
    operation: Operation
    namespace: str
    name: str
    kind: str
    dry_run: bool
    object: Subject | None
    old_object: Subject | None

    @property
    def is_service(self) -> bool:
        return self.kind == "Service"
