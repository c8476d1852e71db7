"""Which Nodes may receive load-balancer traffic: one predicate for the worker, preview and dispatcher.

Eligible as for the service controller: not being deleted, `node.kubernetes.io/exclude-from-external-load-
balancers` absent or a Go-style false (any other value, empty included, excludes), and no cluster-autoscaler
ToBeDeleted taint. The node-selector annotation is applied later, by the model, because OCCM's "no available
nodes" check comes before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"
TO_BE_DELETED_TAINT = "ToBeDeletedByClusterAutoscaler"
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})  # Go's strconv.ParseBool false values


def excluded_by_label(labels: Mapping[str, str]) -> bool:
    return EXCLUDE_LABEL in labels and labels[EXCLUDE_LABEL] not in _FALSE


def is_eligible(node: Mapping[str, Any]) -> bool:
    meta, spec = node.get("metadata") or {}, node.get("spec") or {}
    if meta.get("deletionTimestamp"):
        return False
    if excluded_by_label(meta.get("labels") or {}):
        return False
    return not any(t.get("key") == TO_BE_DELETED_TAINT for t in spec.get("taints") or ())
