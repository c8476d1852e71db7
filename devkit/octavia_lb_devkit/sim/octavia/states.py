"""Octavia's provisioning and operating statuses, and the timed operations that move between them."""

from __future__ import annotations

from enum import StrEnum


class Provisioning(StrEnum):
    ACTIVE = "ACTIVE"
    PENDING_CREATE = "PENDING_CREATE"
    PENDING_UPDATE = "PENDING_UPDATE"
    PENDING_DELETE = "PENDING_DELETE"
    DELETED = "DELETED"
    ERROR = "ERROR"

    @property
    def pending(self) -> bool:
        return self.value.startswith("PENDING_")


class Operating(StrEnum):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"
    DEGRADED = "DEGRADED"
    ERROR = "ERROR"
    DRAINING = "DRAINING"
    NO_MONITOR = "NO_MONITOR"


class Operation(StrEnum):
    """A kind of asynchronous work; each has its own delay in a timing profile."""

    LB_CREATE = "lb_create"
    LB_UPDATE = "lb_update"
    LB_DELETE = "lb_delete"
    LB_FAILOVER = "lb_failover"
    CHILD_CREATE = "child_create"
    CHILD_UPDATE = "child_update"
    CHILD_DELETE = "child_delete"
    FIP_ACTIVE = "fip_active"
    API_LATENCY = "api_latency"
