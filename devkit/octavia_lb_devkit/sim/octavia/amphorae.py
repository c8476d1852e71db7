"""Octavia amphorae (admin API): listing, stats, config push, failover and delete of ERROR amphorae."""

from __future__ import annotations

from typing import Any

from octavia_lb_devkit.sim.errors import ApiError, Service
from octavia_lb_devkit.sim.http import Call, Reply, Router
from octavia_lb_devkit.sim.octavia.quotas import require_admin
from octavia_lb_devkit.sim.octavia.states import Operation
from octavia_lb_devkit.sim.octavia.store import Octavia
from octavia_lb_devkit.sim.query import Dialect, list_view, public

FILTERABLE = {
    "loadbalancer_id",
    "compute_id",
    "role",
    "status",
    "lb_network_ip",
    "ha_ip",
    "vrrp_ip",
    "ha_port_id",
    "vrrp_port_id",
    "image_id",
    "compute_flavor",
    "cached_zone",
    "id",
}
NOT_FOUND = "The resource could not be found."


class Amphorae:
    def __init__(self, octavia: Octavia, dialect: Dialect) -> None:
        self.o = octavia
        self.dialect = dialect

    def _amphora(self, call: Call) -> dict[str, Any]:
        require_admin(call)
        return self.o.get("amphorae", call.params["id"])

    def listing(self, call: Call) -> Reply:
        require_admin(call)
        items = list(self.o.store["amphorae"].values())
        return Reply(200, list_view(items, call, "amphorae", self.dialect, FILTERABLE))

    def show(self, call: Call) -> Reply:
        return Reply(200, {"amphora": public(self._amphora(call))})

    def stats(self, call: Call) -> Reply:
        amp = self._amphora(call)
        zero = {
            "active_connections": 0,
            "bytes_in": 0,
            "bytes_out": 0,
            "request_errors": 0,
            "total_connections": 0,
        }
        return Reply(
            200,
            {
                "amphora_stats": [
                    {
                        "id": amp["id"],
                        "loadbalancer_id": amp["loadbalancer_id"],
                        "listener_id": listener["id"],
                        **zero,
                    }
                    for listener in self.o.children(amp["loadbalancer_id"], "listeners")
                ]
            },
        )

    def configure(self, call: Call) -> Reply:
        self._amphora(call)
        if not self.o.max_version.supports("2.7"):
            raise ApiError(404, NOT_FOUND)
        return Reply(202)

    def failover(self, call: Call) -> Reply:
        lb = self.o.get("loadbalancers", self._amphora(call)["loadbalancer_id"])
        self.o.require_mutable_lb(lb, allow_error=True)
        self.o.start(lb, Operation.LB_FAILOVER)
        return Reply(202)

    def delete(self, call: Call) -> Reply:
        amp = self._amphora(call)
        if not self.o.max_version.supports("2.21"):
            raise ApiError(404, NOT_FOUND)
        if amp["status"] != "ERROR":
            raise ApiError(409, f"Amphora {amp['id']} is not in ERROR state and cannot be deleted.")
        del self.o.store["amphorae"][amp["id"]]
        return Reply(204)

    def register(self, router: Router, base: str) -> None:
        svc, path = Service.LOAD_BALANCER, f"{base}/octavia/amphorae"
        router.add("GET", path, self.listing, svc)
        router.add("GET", f"{path}/{{id}}", self.show, svc)
        router.add("GET", f"{path}/{{id}}/stats", self.stats, svc)
        router.add("PUT", f"{path}/{{id}}/config", self.configure, svc)
        router.add("PUT", f"{path}/{{id}}/failover", self.failover, svc)
        router.add("DELETE", f"{path}/{{id}}", self.delete, svc)
