"""Health checks for the parts of the local stack: Redis PING, HTTP 200, HTTPS 200 with the part's CA.

Each check is one short attempt (no retries): `status` reports what it sees now, and `up` uses the same
check to decide whether a recorded part can be kept.
"""

from __future__ import annotations

import json
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from octavia_lb_devkit.dev.layout import CheckKind, Part

TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Health:
    healthy: bool
    detail: str  # what the check saw: "200", "PONG", or the error


def check(part: Part) -> Health:
    if part.check is CheckKind.REDIS:
        return _redis_ping(part.url)
    context = None
    headers = {}
    if part.check is CheckKind.HTTPS:
        context = ssl.create_default_context(cafile=part.ca_file)
        if part.bearer_from:
            headers["Authorization"] = f"Bearer {kubeconfig_token(Path(part.bearer_from))}"
    return _http_get(part.url, context, headers)


def kubeconfig_token(path: Path) -> str:
    """The first user's bearer token of a kubeconfig written by controlplane.Cluster (JSON is YAML)."""
    try:
        return str(json.loads(path.read_text())["users"][0]["user"]["token"])
    except (OSError, ValueError, KeyError, IndexError):
        return ""


def _http_get(url: str, context: ssl.SSLContext | None, headers: dict[str, str]) -> Health:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S, context=context) as response:
            return Health(response.status == 200, f"HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        return Health(False, f"HTTP {exc.code}")
    except (OSError, ssl.SSLError) as exc:
        return Health(False, _reason(exc))


def _redis_ping(url: str) -> Health:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT_S) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            answer = sock.recv(64)
    except OSError as exc:
        return Health(False, _reason(exc))
    return Health(answer.startswith(b"+PONG"), answer.decode(errors="replace").strip() or "no answer")


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason if reason is not None else exc)
