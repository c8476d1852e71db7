"""Builders for model and planner tests: a Service dict, Nodes and a cloud.conf with few keystrokes."""

from __future__ import annotations

from typing import Any

from octavia_lb.common.config import CloudConfig, parse_cloud_config
from octavia_lb.common.model import DesiredService, Discovered, Features, NodeView, build_desired
from octavia_lb.worker.cloud.observed import LoadBalancerId, OsLoadBalancer

A = "loadbalancer.openstack.org/"
CLUSTER = "kubernetes"
LATEST = Features()
NOTHING = Discovered()
CONF = "[LoadBalancer]\nsubnet-id = vip-subnet\nfloating-network-id = public-net\n"
# The ACTIVE load balancer of the Service `service()` builds, as the gateway reports it.
LB = OsLoadBalancer(
    LoadBalancerId("lb-1"),
    "kube_service_kubernetes_shop_web",
    "ACTIVE",
    "10.0.0.9",
    "vip-port",
    "vip-subnet",
    (),
)


def service(
    annotations: dict[str, str] | None = None, ports: list[dict[str, Any]] | None = None, **spec: Any
) -> dict[str, Any]:
    ports = (
        ports if ports is not None else [{"name": "http", "port": 80, "nodePort": 30080, "protocol": "TCP"}]
    )
    return {
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "uid": "0f1e2d3c-aaaa-bbbb-cccc-1234567890ab",
            "annotations": {(k if "/" in k else A + k): v for k, v in (annotations or {}).items()},
        },
        "spec": {"type": "LoadBalancer", "ports": ports, **spec},
    }


def nodes(*specs: str) -> list[NodeView]:
    """`"n1=10.0.0.1"` or `"n1=10.0.0.1,fd00::1"`; labels as `"n1=10.0.0.1;zone=a"`."""
    result = []
    for spec in specs:
        head, _, labels = spec.partition(";")
        name, _, addrs = head.partition("=")
        result.append(
            NodeView(
                name,
                tuple(("InternalIP", a) for a in addrs.split(",")),
                dict(kv.split("=") for kv in labels.split(";") if kv),
            )
        )
    return result


def config(extra: str = "", base: str = CONF) -> CloudConfig:
    return parse_cloud_config(base + extra)


def build(
    svc: dict[str, Any] | None = None,
    node_list: list[NodeView] | None = None,
    conf: str = "",
    features: Features = LATEST,
    discovered: Discovered = NOTHING,
    base: str = CONF,
) -> DesiredService:
    return build_desired(
        svc or service(),
        node_list if node_list is not None else nodes("n1=10.0.0.1"),
        config(conf, base),
        CLUSTER,
        features,
        discovered,
    )
