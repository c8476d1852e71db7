"""When a load balancer counts as this Service's under an old cluster name, and when it does not."""

from __future__ import annotations

from typing import Any

from octavia_lb.worker.cloud.observed import OsLoadBalancer
from octavia_lb.worker.reconcile.rename import looks_renamed, shown_in_status

OLD = "kube_service_old_shop_web"
SERVICE: dict[str, Any] = {
    "metadata": {"namespace": "shop", "name": "web"},
    "status": {"loadBalancer": {"ingress": [{"ip": "172.24.4.9"}]}},
}


def _lb(name: str = OLD, tags: tuple[str, ...] = (OLD,)) -> OsLoadBalancer:
    return OsLoadBalancer.from_api(
        {
            "id": "lb",
            "name": name,
            "provisioning_status": "ACTIVE",
            "vip_address": "10.0.0.9",
            "tags": list(tags),
        }
    )


def test_own_name_under_another_cluster_is_a_rename():
    assert looks_renamed(_lb(), SERVICE, "new")


def test_same_cluster_other_service_or_foreign_names_are_not():
    assert not looks_renamed(_lb(), SERVICE, "old")  # nothing changed
    assert not looks_renamed(_lb("kube_service_old_shop_api", ("kube_service_old_shop_api",)), SERVICE, "new")
    assert not looks_renamed(_lb("made-by-hand", ()), SERVICE, "new")


def test_a_load_balancer_shared_with_another_service_is_never_renamed():
    assert not looks_renamed(_lb(tags=(OLD, "kube_service_old_shop_api")), SERVICE, "new")


def test_the_status_must_already_show_its_address():
    assert shown_in_status(SERVICE, _lb(), "172.24.4.9")
    assert shown_in_status(
        {**SERVICE, "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.9"}]}}}, _lb(), None
    )
    assert not shown_in_status(SERVICE, _lb(), None)
    assert not shown_in_status({"metadata": SERVICE["metadata"]}, _lb(), "172.24.4.9")
