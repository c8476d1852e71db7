"""The Nodes that may receive load-balancer traffic, read fresh from the API server (the eligibility
predicate, shared with the dispatcher and the preview, is common/nodes.py).
"""

from __future__ import annotations

from kubernetes import client

from octavia_lb.common.kube_json import KubeJson
from octavia_lb.common.model import NodeView
from octavia_lb.common.nodes import is_eligible


def eligible_nodes(api: client.ApiClient) -> list[NodeView]:
    """Every eligible Node, sorted by name so that `nodes[0]` (used for subnet autodetection) is stable."""
    items = KubeJson(api).list_nodes()
    return sorted((NodeView.from_dict(n) for n in items if is_eligible(n)), key=lambda n: n.name)
