"""OCCM-compatible names and descriptions of Octavia and Neutron objects (occm-semantics §4).

Keeping these byte-for-byte equal to OCCM's is what lets this system adopt load balancers OCCM created.
"""

from __future__ import annotations

import re

MAX_NAME_BYTES = 255
LB_PREFIX = "kube_service_"
FIP_DESCRIPTION_MARK = "Floating IP for Kubernetes external service"
# Splits an OCCM load balancer name into its cluster part and the rest (OCCM's rename regexp).
_CLUSTER_OF = re.compile(r"^kube_service_(.+?)_[^_]+(_[^_]+)?$")


def cut(text: str, limit: int = MAX_NAME_BYTES) -> str:
    """Cut to `limit` bytes of UTF-8, as OCCM's Sprintf255 does, without leaving half a character."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[:limit].decode("utf-8", errors="ignore")


def lb_name(cluster: str, namespace: str, name: str) -> str:
    """`kube_service_<cluster>_<namespace>_<name>`: the load balancer's name and its ownership tag."""
    return cut(f"{LB_PREFIX}{cluster}_{namespace}_{name}")


def legacy_lb_name(uid: str) -> str:
    """The pre-1.x name still looked up for old load balancers: "a" + UID without dashes, 32 characters."""
    return ("a" + uid.replace("-", ""))[:32]


def listener_name(index: int, lbname: str) -> str:
    return cut(f"listener_{index}_{lbname}")


def pool_name(index: int, lbname: str) -> str:
    return cut(f"pool_{index}_{lbname}")


def monitor_name(index: int, lbname: str) -> str:
    return cut(f"monitor_{index}_{lbname}")


def member_name_serial(node: str, address: str, node_port: int) -> str:
    """Member name in serial-API mode (batch mode names members after the node)."""
    return cut(f"member_{node}_{address}_{node_port}")


def lb_description(cluster: str, namespace: str, name: str) -> str:
    return cut(f"Kubernetes external service {namespace}/{name} from cluster {cluster}")


def fip_description(cluster: str, namespace: str, name: str) -> str:
    return cut(f"{FIP_DESCRIPTION_MARK} {namespace}/{name} from cluster {cluster}")


def is_our_fip(description: str) -> bool:
    """True for floating IPs created by OCCM or by us (only those are deleted with the Service)."""
    return FIP_DESCRIPTION_MARK in description


def security_group_name(uid: str, namespace: str, name: str) -> str:
    return cut(f"lb-sg-{uid}-{namespace}-{name}")


def security_group_description(cluster: str, namespace: str, name: str) -> str:
    return cut(f"Security Group for {namespace}/{name} Service LoadBalancer in cluster {cluster}")


def is_kube_lb_name(name: str) -> bool:
    """True for names that a cluster created (load balancers made outside Kubernetes are never deleted)."""
    return name.startswith(LB_PREFIX)


def cluster_of(lbname: str) -> str | None:
    """The cluster part of an OCCM load balancer name, or None if it is not one (used to detect renames)."""
    match = _CLUSTER_OF.match(lbname)
    return match.group(1) if match else None
