"""Errors the simulated APIs answer with, and how each service spells them.

Handlers raise `ApiError`; the HTTP layer renders it in the format of the service that was called:
Octavia (`faultcode/faultstring/debuginfo`), Neutron (`NeutronError`), Keystone (`error`) or Barbican
(`code/title/description`).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

# Neutron's exception class names by status, used when a handler gives no explicit type.
_NEUTRON_TYPES = {
    400: "HTTPBadRequest",
    401: "HTTPUnauthorized",
    403: "HTTPForbidden",
    404: "HTTPNotFound",
    405: "HTTPMethodNotAllowed",
    409: "HTTPConflict",
    500: "HTTPInternalServerError",
    503: "HTTPServiceUnavailable",
}


class Service(Enum):
    """Which API a request was addressed to; selects the error body format."""

    IDENTITY = "identity"
    NETWORK = "network"
    LOAD_BALANCER = "load-balancer"
    KEY_MANAGER = "key-manager"
    CONTROL = "control"


class ApiError(Exception):
    """An HTTP error answer: status, human message and (for Neutron) the exception type name."""

    def __init__(self, status: int, message: str, kind: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind


def title(status: int) -> str:
    return _TITLES.get(status, "Error")


def render(service: Service, error: ApiError) -> dict[str, Any]:
    """The JSON body for `error` in the format `service` uses."""
    if service is Service.NETWORK:
        kind = error.kind or _NEUTRON_TYPES.get(error.status, "NeutronException")
        return {"NeutronError": {"type": kind, "message": error.message, "detail": ""}}
    if service is Service.IDENTITY:
        return {"error": {"code": error.status, "title": title(error.status), "message": error.message}}
    if service is Service.LOAD_BALANCER:
        fault = "Client" if error.status < 500 else "Server"
        return {"faultcode": fault, "faultstring": error.message, "debuginfo": None}
    if service is Service.KEY_MANAGER:
        return {"code": error.status, "title": title(error.status), "description": error.message}
    return {"error": error.message, "status": error.status}


def not_found_octavia(resource: str, ident: str) -> ApiError:
    return ApiError(404, f"{resource} {ident} not found.")


def not_found_neutron(kind: str, ident: str) -> ApiError:
    words = {
        "Network": "Network",
        "Subnet": "Subnet",
        "Port": "Port",
        "Router": "Router",
        "FloatingIP": "Floating IP",
        "SecurityGroup": "Security group",
        "SecurityGroupRule": "Security group rule",
    }
    return ApiError(404, f"{words.get(kind, kind)} {ident} could not be found.", f"{kind}NotFound")


UNAUTHORIZED = "The request you have made requires authentication."
