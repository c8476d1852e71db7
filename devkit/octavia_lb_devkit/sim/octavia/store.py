"""Octavia's state: load balancer trees, the provisioning state machine, quotas and the 409 gates.

Every write on a load balancer or a child makes the load balancer immutable (PENDING_*) and schedules one
completion on the simulator clock; the completion settles the whole tree: PENDING_DELETE objects vanish,
PENDING_CREATE/UPDATE become ACTIVE (or ERROR when a build fault is armed), operating statuses are derived.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Callable
from typing import Any

from octavia_lb_devkit.sim.clock import Clock, Scheduler
from octavia_lb_devkit.sim.errors import ApiError, not_found_octavia
from octavia_lb_devkit.sim.faults import Faults
from octavia_lb_devkit.sim.http import Auth
from octavia_lb_devkit.sim.octavia.schemas import QUOTA_LABELS
from octavia_lb_devkit.sim.octavia.states import Operating, Operation, Provisioning
from octavia_lb_devkit.sim.octavia.versions import LATEST, ApiVersion
from octavia_lb_devkit.sim.timing import Timing

KINDS = (
    "loadbalancers",
    "listeners",
    "pools",
    "members",
    "healthmonitors",
    "l7policies",
    "l7rules",
    "flavors",
    "flavorprofiles",
    "availabilityzones",
    "availabilityzoneprofiles",
    "amphorae",
)
LABELS = {
    "loadbalancers": "Load Balancer",
    "listeners": "Listener",
    "pools": "Pool",
    "members": "Member",
    "healthmonitors": "Health Monitor",
    "l7policies": "L7 Policy",
    "l7rules": "L7 Rule",
    "flavors": "Flavor",
    "flavorprofiles": "Flavor profile",
    "availabilityzones": "Availability Zone",
    "availabilityzoneprofiles": "Availability Zone Profile",
    "amphorae": "Amphora",
}
QUOTA_KIND = {
    "loadbalancers": "load_balancer",
    "listeners": "listener",
    "pools": "pool",
    "members": "member",
    "healthmonitors": "health_monitor",
    "l7policies": "l7policy",
    "l7rules": "l7rule",
}
TREE_KINDS = ("listeners", "pools", "members", "healthmonitors", "l7policies", "l7rules")
P = Provisioning


class Octavia:
    def __init__(
        self,
        clock: Clock,
        scheduler: Scheduler,
        timing: Timing,
        rng: random.Random,
        faults: Faults,
        max_version: ApiVersion = LATEST,
    ) -> None:
        self.clock = clock
        self.scheduler = scheduler
        self.timing = timing
        self.rng = rng
        self.faults = faults
        self.max_version = max_version
        self.store: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in KINDS}
        self.quotas: dict[str, dict[str, int]] = {}
        self.on_lb_deleted: list[Callable[[dict[str, Any]], None]] = []  # release the VIP port etc.
        self.by_lb: dict[str, dict[str, dict[str, Any]]] = {}  # lb id -> every child object, by id
        self._seq = itertools.count()
        self.new_id: Callable[[], str] = lambda: str(uuid.uuid4())  # replaced by a seeded source

    # ---- objects ---------------------------------------------------------------------------------
    def new(self, kind: str, attrs: dict[str, Any], lb_id: str | None = None) -> dict[str, Any]:
        item = {
            "id": self.new_id(),
            **attrs,
            "created_at": self.clock.octavia_stamp(),
            "updated_at": None,
            "_seq": next(self._seq),
            "_lb": lb_id,
            "_kind": kind,
        }
        if lb_id is not None and kind in TREE_KINDS:
            self.by_lb.setdefault(lb_id, {})[item["id"]] = item
        if kind in QUOTA_KIND:
            item.update(provisioning_status=P.PENDING_CREATE.value, operating_status=Operating.OFFLINE.value)
        self.store[kind][item["id"]] = item
        return item

    def get(self, kind: str, ident: str, auth: Auth | None = None) -> dict[str, Any]:
        item = self.store[kind].get(ident)
        if item is None or item.get("provisioning_status") == P.DELETED.value:
            raise not_found_octavia(LABELS[kind], ident)
        if (
            auth is not None
            and not auth.is_admin
            and item.get("project_id", auth.project_id) != auth.project_id
        ):
            raise ApiError(403, "Policy does not allow this request to be performed.")
        return item

    def visible(self, kind: str, auth: Auth) -> list[dict[str, Any]]:
        return [
            item
            for item in self.store[kind].values()
            if auth.is_admin or item.get("project_id", auth.project_id) == auth.project_id
        ]

    def children(self, lb_id: str, kind: str) -> list[dict[str, Any]]:
        if kind == "amphorae":
            return [item for item in self.store[kind].values() if item["_lb"] == lb_id]
        return [item for item in self.by_lb.get(lb_id, {}).values() if item["_kind"] == kind]

    def tree(self, lb_id: str) -> list[dict[str, Any]]:
        return list(self.by_lb.get(lb_id, {}).values())

    # ---- quotas ----------------------------------------------------------------------------------
    def quota_for(self, project: str) -> dict[str, int]:
        defaults = {name: -1 for name in QUOTA_KIND.values()}
        return {**defaults, **self.quotas.get(project, {})}

    def check_quota(self, kind: str, project: str, adding: int = 1) -> None:
        name = QUOTA_KIND[kind]
        limit = self.quota_for(project)[name]
        if limit < 0:
            return  # unlimited: skip counting, which is linear in the number of objects
        used = sum(1 for item in self.store[kind].values() if item.get("project_id") == project)
        if used + adding > limit:
            raise ApiError(403, f"Quota has been met for resources: {QUOTA_LABELS[name]}")

    # ---- the mutability gate and the state machine ----------------------------------------------
    def require_mutable_lb(self, lb: dict[str, Any], allow_error: bool = False) -> None:
        """LB PUT/DELETE/failover: anything but ACTIVE (or ERROR where allowed) is a 409."""
        status = lb["provisioning_status"]
        if status == P.ACTIVE.value or (allow_error and status == P.ERROR.value):
            return
        raise ApiError(409, f"Invalid state {status} of loadbalancer resource {lb['id']}")

    def require_mutable_child(self, lb_id: str, pool: dict[str, Any] | None = None) -> dict[str, Any]:
        lb = self.get("loadbalancers", lb_id)
        if lb["provisioning_status"] != P.ACTIVE.value:
            raise ApiError(409, f"Load Balancer {lb_id} is immutable and cannot be updated.")
        if pool is not None and pool["provisioning_status"] != P.ACTIVE.value:
            raise ApiError(409, f"Pool {pool['id']} is immutable and cannot be updated.")
        return lb

    def mark(self, item: dict[str, Any], status: Provisioning) -> None:
        item["provisioning_status"] = status.value
        if status is P.PENDING_UPDATE or status is P.PENDING_DELETE:
            item["updated_at"] = self.clock.octavia_stamp()

    def start(self, lb: dict[str, Any], op: Operation, touched: tuple[dict[str, Any], ...] = ()) -> None:
        """Make `lb` (and listeners/pools a child write affects) PENDING_UPDATE; schedule completion."""
        if lb["provisioning_status"] == P.ACTIVE.value or lb["provisioning_status"] == P.ERROR.value:
            self.mark(lb, P.PENDING_UPDATE)
        for item in touched:
            if item["provisioning_status"] == P.ACTIVE.value:
                self.mark(item, P.PENDING_UPDATE)
        fail = op in (Operation.LB_CREATE, Operation.LB_FAILOVER) and self.faults.take_error_build()
        lb_id = lb["id"]
        self.scheduler.at(self.timing.draw(op, self.rng), lambda: self.settle(lb_id, fail))

    def settle(self, lb_id: str, fail: bool = False) -> None:
        lb = self.store["loadbalancers"].get(lb_id)
        if lb is None:
            return
        for item in self.tree(lb_id):
            self._settle_one(item, fail)
        if lb["provisioning_status"] == P.PENDING_DELETE.value:
            self.remove_lb(lb)
            return
        lb["provisioning_status"] = (P.ERROR if fail else P.ACTIVE).value
        self.derive_operating(lb)

    def _settle_one(self, item: dict[str, Any], fail: bool) -> None:
        status = item["provisioning_status"]
        if status == P.PENDING_DELETE.value:
            self.remove(item)
        elif status in (P.PENDING_CREATE.value, P.PENDING_UPDATE.value):
            item["provisioning_status"] = (P.ERROR if fail else P.ACTIVE).value

    def remove(self, item: dict[str, Any]) -> None:
        self.store[item["_kind"]].pop(item["id"], None)
        self.by_lb.get(item["_lb"], {}).pop(item["id"], None)
        if item.get("_hm_pool"):
            pool = self.store["pools"].get(item["_hm_pool"])
            if pool is not None:
                pool["healthmonitor_id"] = None
        for listener in self.store["listeners"].values():
            if listener.get("default_pool_id") == item["id"]:
                listener["default_pool_id"] = None

    def remove_lb(self, lb: dict[str, Any]) -> None:
        for item in self.by_lb.pop(lb["id"], {}).values():
            self.store[item["_kind"]].pop(item["id"], None)
        for amp in self.children(lb["id"], "amphorae"):
            self.store["amphorae"].pop(amp["id"], None)
        self.store["loadbalancers"].pop(lb["id"], None)
        for callback in self.on_lb_deleted:
            callback(lb)

    def derive_operating(self, lb: dict[str, Any]) -> None:
        """Operating statuses once nothing is pending: admin-down is OFFLINE, members need a monitor."""
        monitored = {
            hm["_hm_pool"]
            for hm in self.children(lb["id"], "healthmonitors")
            if hm["admin_state_up"] and hm["provisioning_status"] == P.ACTIVE.value
        }
        for item in self.tree(lb["id"]) + [lb]:
            if item["provisioning_status"] == P.ERROR.value:
                item["operating_status"] = Operating.ERROR.value
            elif not item.get("admin_state_up", True):
                item["operating_status"] = Operating.OFFLINE.value
            elif "_pool" in item and "address" in item:
                item["operating_status"] = (
                    Operating.ONLINE if item["_pool"] in monitored else Operating.NO_MONITOR
                ).value
            else:
                item["operating_status"] = Operating.ONLINE.value
