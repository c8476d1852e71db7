"""The Nodes that may receive load-balancer traffic, read fresh from the API server.

Eligible as for the service controller: not being deleted, `node.kubernetes.io/exclude-from-external-load-
balancers` absent (or not "true"), and no cluster-autoscaler ToBeDeleted taint. The node-selector
annotation is applied later, by the model, because OCCM's "no available nodes" check comes before it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kubernetes import client

from octavia_lb.common.model import NodeView

EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"
TO_BE_DELETED_TAINT = "ToBeDeletedByClusterAutoscaler"


def is_eligible(node: Mapping[str, Any]) -> bool:
    meta, spec = node.get("metadata") or {}, node.get("spec") or {}
    if meta.get("deletionTimestamp"):
        return False
    if (meta.get("labels") or {}).get(EXCLUDE_LABEL, "false").lower() == "true":
        return False
    return not any(t.get("key") == TO_BE_DELETED_TAINT for t in spec.get("taints") or ())


def eligible_nodes(api: client.ApiClient) -> list[NodeView]:
    """Every eligible Node, sorted by name so that `nodes[0]` (used for subnet autodetection) is stable."""
    raw = client.CoreV1Api(api).list_node(_preload_content=False)
    items = json.loads(raw.data)["items"]
    return sorted((NodeView.from_dict(n) for n in items if is_eligible(n)), key=lambda n: n.name)
