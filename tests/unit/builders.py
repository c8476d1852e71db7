"""Small builders of Service dicts (the API's JSON shape) for the rule tests."""

from typing import Any

P = "loadbalancer.openstack.org/"
INTERNAL = "service.beta.kubernetes.io/openstack-internal-load-balancer"
LB_ID = "2b224530-9414-4302-8163-5abebdcdc84f"
OTHER_LB_ID = "7d0e4f7a-3b7c-4a8e-9f11-0c2d3e4f5a6b"
UUID_A = "fa6a4e6c-6ae4-4dde-ae86-3e2f452c1f03"
UUID_B = "a02eb6c3-fc69-46ae-a3fe-fb43c1563cbc"


def service(
    name: str = "web",
    annotations: dict[str, str] | None = None,
    ports: list[tuple[str, int]] | None = None,
    namespace: str = "default",
    uid: str = "",
    **spec: Any,
) -> dict[str, Any]:
    """A LoadBalancer Service; short annotation names get the loadbalancer.openstack.org/ prefix."""
    full = {(k if "/" in k else P + k): v for k, v in (annotations or {}).items()}
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "annotations": full}
    if uid:
        meta["uid"] = uid
    port_list = [
        {"protocol": proto, "port": port, "targetPort": port} for proto, port in ports or [("TCP", 80)]
    ]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {"type": "LoadBalancer", "ports": port_list, **spec},
    }
