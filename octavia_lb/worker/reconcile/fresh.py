"""A short-lived record, in Redis, of a load balancer this worker just created with a fully populated call.

Octavia builds exactly the tree it accepted in that call, so the first run that finds the load balancer
ACTIVE can trust the create response instead of reading every listener, pool, member and monitor back
(which costs more requests than the create itself). The record holds a fingerprint of the desired graph
and the address; it is used once, only while the Service still wants exactly that graph, and expires on
its own. Every other run, and every periodic resync, observes the full tree.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from octavia_lb.common.model import DesiredService

TTL_SECONDS = 900


def fingerprint(want: DesiredService) -> str:
    # frozen dataclasses have a deterministic repr: equal graphs, equal fingerprints. shared_id is left out:
    # it is the load-balancer-id annotation, which the create itself writes.
    return hashlib.sha256(repr(dataclasses.replace(want, shared_id=None)).encode()).hexdigest()


def _key(prefix: str, lb_id: str) -> str:
    return f"{prefix}fresh-build:{lb_id}"


def remember(client: Any, prefix: str, lb_id: str, want: DesiredService, address: str) -> None:
    record = {"fingerprint": fingerprint(want), "address": address}
    client.set(_key(prefix, lb_id), json.dumps(record), ex=TTL_SECONDS)


def take(client: Any, prefix: str, lb_id: str, want: DesiredService) -> str | None:
    """The address recorded at creation if the record matches `want`; the record is consumed either way."""
    raw = client.getdel(_key(prefix, lb_id))
    if raw is None:
        return None
    record = json.loads(raw)
    return record["address"] if record.get("fingerprint") == fingerprint(want) else None
