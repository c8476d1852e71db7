"""`octavia-lb plan --live`: the worker's reconcile, read-only, against the real cluster and cloud.

Per Service it follows `reconcile._Run.ensure` and `_converge`: the TLS reference check, the eligible Nodes,
`find_load_balancer`, `discover`, `build_desired`; then either the worker's create, or the load balancer's
whole tree observed (a full read: the worker's memo and fresh-build record are not used) and
`preview.converge` run on it. The Neutron part (floating IP, security group) runs the worker's own
functions on a `readonly.Recorder`, which forwards reads and records writes without sending them.

Nothing here writes: the Kubernetes client is only used to list Services and Nodes, and every Gateway
write goes to the recorder. `tests/plan/test_plan_live.py` checks that a live plan makes no POST, PUT or
DELETE against the simulator (other than Keystone's token request).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any, cast

from kubernetes import client

from octavia_lb.common.config import CloudConfig
from octavia_lb.common.kube import KubeConfigError, load_kube_config
from octavia_lb.common.model import DesiredService, NodeView, build_desired, service_options
from octavia_lb.common.naming import lb_name, legacy_lb_name
from octavia_lb.worker.cloud.errors import ReconcileError
from octavia_lb.worker.cloud.gateway import Gateway, connect
from octavia_lb.worker.cloud.observed import ACTIVE, ERROR, Observed, OsLoadBalancer
from octavia_lb.worker.cloud.readonly import Recorder, Write
from octavia_lb.worker.plan.load_balancer import Sharing, create_step, sharing_of
from octavia_lb.worker.plan.security_group import Place
from octavia_lb.worker.plan.steps import UpdateLoadBalancer
from octavia_lb.worker.preview.errors import Unreadable
from octavia_lb.worker.preview.output import ERROR as ERROR_VERDICT
from octavia_lb.worker.preview.output import ServicePlan
from octavia_lb.worker.preview.simulate import Change, changes_of, converge, new_vip, simulate
from octavia_lb.worker.reconcile import rename
from octavia_lb.worker.reconcile.apply import observe
from octavia_lb.worker.reconcile.floating_ip import ensure_floating_ip, release
from octavia_lb.worker.reconcile.nodes import eligible_nodes
from octavia_lb.worker.reconcile.run import discover_all, find_load_balancer
from octavia_lb.worker.reconcile.security_group import SecurityGroups
from octavia_lb.worker.reconcile.tls_refs import check_tls_ref


class LivePlanner:
    mode = "live"

    def __init__(
        self,
        config: CloudConfig,
        cluster: str,
        gateway: Gateway,
        services: dict[str, Mapping[str, Any]],
        nodes: list[NodeView],
    ) -> None:
        self.config, self.cluster, self.gateway = config, cluster, gateway
        self.services, self.nodes = services, nodes

    @classmethod
    def connect(cls, config: CloudConfig, cluster: str, kubeconfig: str | None) -> LivePlanner:
        """Read the cluster's Services and Nodes and reach the cloud once; Unreadable when either fails."""
        try:
            api = load_kube_config(kubeconfig)
            # unparsed (_preload_content=False): the raw response, not the V1ServiceList the stubs declare
            raw: Any = client.CoreV1Api(api).list_service_for_all_namespaces(_preload_content=False)
            items = json.loads(raw.data)["items"]
            nodes = eligible_nodes(api)
        except KubeConfigError as exc:
            raise Unreadable(str(exc)) from exc
        except Exception as exc:  # urllib3 and ApiException: the cluster cannot be read
            raise Unreadable(f"cannot read the cluster's Services and Nodes: {exc}") from exc
        services = {f"{s['metadata']['namespace']}/{s['metadata']['name']}": s for s in items}
        gateway = Gateway(connect(config), provider=config.load_balancer.lb_provider)
        try:
            gateway.features()  # authenticates and reads Octavia's versions: fail once, here
        except ReconcileError as exc:
            raise Unreadable(f"cannot reach the cloud: {exc.message}") from exc
        return cls(config, cluster, gateway, services, nodes)

    def stored(self) -> dict[str, Mapping[str, Any]]:
        return self.services

    def plan(self, service: dict[str, Any], plan: ServicePlan) -> None:
        _LiveRun(self, service, plan).run()


class _LiveRun:
    """One Service's live plan; `self.changes` numbers every write in the order the worker makes it."""

    def __init__(self, planner: LivePlanner, service: dict[str, Any], plan: ServicePlan) -> None:
        self.planner, self.service, self.plan = planner, service, plan
        self.config = planner.config
        self.recorder = Recorder(planner.gateway)
        self.gateway = cast(Gateway, self.recorder)  # the worker's functions take it as their Gateway
        meta = service["metadata"]
        self.key = plan.service
        self.lb_name = lb_name(planner.cluster, meta.get("namespace", "default"), meta["name"])
        self.legacy = legacy_lb_name(meta["uid"]) if meta.get("uid") else ""
        self.recorded = 0  # writes of the recorder already turned into changes

    @property
    def next_number(self) -> int:
        return max((c.step for c in self.plan.changes), default=0) + 1

    def run(self) -> None:
        gateway, config = self.gateway, self.config
        _, options = service_options(self.service, config)
        ref = options.default_tls_container_ref
        if ref and config.load_balancer.container_store == "barbican":
            check_tls_ref(gateway, ref, self.key)
        nodes = self.planner.nodes

        def forget() -> None:
            self.plan.notes.append(
                f"load balancer {options.load_balancer_id} of the annotations is gone: the worker removes "
                "the load-balancer-id and -address annotations and looks the load balancer up by name"
            )

        lb = find_load_balancer(
            gateway,
            self.key,
            (self.lb_name, self.legacy),
            options.load_balancer_id,
            options.load_balancer_address,
            forget,
        )
        discovered = discover_all(gateway, options, config, nodes, self.key, lb)
        want = build_desired(
            self.service, nodes, config, self.planner.cluster, gateway.features(), discovered
        )
        self.plan.notes.extend(n.message for n in want.notices)
        if lb is not None and lb.provisioning_status == ERROR and lb.name in (want.lb_name, want.legacy_name):
            self._replace_failed(lb, want)
            lb = None
        if lb is None:
            self._create(want, options.source_ranges)
        else:
            self._converge(want, lb, options.source_ranges)

    # ---- as reconcile._Run ---------------------------------------------------------------------
    def _replace_failed(self, lb: OsLoadBalancer, want: DesiredService) -> None:
        """A build that ended in ERROR is deleted (its floating IP released) and created again."""
        for fip in self.gateway.floating_ips(port_id=lb.vip_port_id) if lb.vip_port_id else []:
            release(self.gateway, fip, keep=want.keep_floatingip, who=self.key)
        self._neutron_changes()
        self.plan.changes.append(
            Change(self.next_number, "delete", "loadbalancer", lb.name, "delete_load_balancer", {"id": lb.id})
        )
        self.plan.notes.append(
            f"load balancer {lb.id} is in ERROR: the worker deletes it and creates it again"
        )

    def _create(self, want: DesiredService, source_ranges: tuple[str, ...]) -> None:
        step = create_step(want)
        state = simulate(_NONE, step)
        assert state is not None  # create_load_balancer is always simulated
        self.plan.changes.extend(changes_of(step, state, self.next_number))
        self.plan.load_balancer = {"id": "", "name": want.lb_name}
        # as _Run._create: the floating IP goes on the new VIP port in the same run
        vip = new_vip(state.lb, want)
        ensure_floating_ip(self.gateway, want, Observed(vip, (), (), None), owner=True)
        self._neutron_changes()
        sharing = Sharing(True, self.config.load_balancer.max_shared_lb, self.gateway.features().tags)
        if self._octavia(want, state, sharing):
            self._security_group(want, state.lb.vip_subnet_id, source_ranges)

    def _converge(self, want: DesiredService, lb: OsLoadBalancer, source_ranges: tuple[str, ...]) -> None:
        self.plan.load_balancer = {"id": lb.id, "name": lb.name}
        if lb.pending:
            self.plan.notes.append(
                f"load balancer {lb.id} is {lb.provisioning_status}: the worker waits until it is ACTIVE"
            )
        elif lb.provisioning_status != ACTIVE:
            self.plan.verdict = ERROR_VERDICT
            self.plan.message = (
                f"load balancer {lb.id} is not ACTIVE, current provisioning status: {lb.provisioning_status}"
            )
            return
        state = observe(self.gateway, lb, with_fip=True)
        owner = lb.name in (want.lb_name, want.legacy_name)
        if not owner and rename.looks_renamed(lb, self.service, self.planner.cluster):
            address = state.floating_ip.address if state.floating_ip else None
            if rename.shown_in_status(self.service, lb, address):
                state = self._rename(lb.name, want.lb_name, state)
                owner = True
        sharing = sharing_of(
            want, state, self.config.load_balancer.max_shared_lb, self.gateway.features().tags
        )
        after = self._octavia(want, state, sharing)
        if after is None:
            return
        # as _Run._converge once Octavia has nothing left to do: the floating IP, then the security group
        fip_state = dataclasses.replace(after, floating_ip=state.floating_ip)
        ensure_floating_ip(self.gateway, want, fip_state, owner)
        self._neutron_changes()
        self._security_group(want, lb.vip_subnet_id, source_ranges)

    def _rename(self, old: str, new: str, state: Observed) -> Observed:
        while (step := rename.next_rename_step(old, new, state)) is not None:
            self.plan.changes.extend(changes_of(step, state, self.next_number))
            after = simulate(state, step)
            assert after is not None  # renames are updates, all simulated
            state = after
            if isinstance(step, UpdateLoadBalancer):
                break
        return state

    def _octavia(self, want: DesiredService, state: Observed, sharing: Sharing) -> Observed | None:
        """The worker's Octavia steps from `state`; None when the list stops before the end."""
        result = converge(want, state, sharing, self.next_number)
        self.plan.changes.extend(result.changes)
        if result.stopped:
            self.plan.complete = False
            self.plan.notes.append(result.stopped)
            return None
        return result.state

    def _security_group(self, want: DesiredService, vip_subnet: str, source_ranges: tuple[str, ...]) -> None:
        groups = SecurityGroups(self.gateway, self.service, self.planner.cluster)
        if self.config.load_balancer.manage_security_groups:
            place = Place(vip_subnet, self.gateway.provider, source_ranges)
            groups.ensure(want, self.planner.nodes, place)
        else:
            groups.delete()
        self._neutron_changes()

    def _neutron_changes(self) -> None:
        for write in self.recorder.writes[self.recorded :]:
            self.plan.changes.append(neutron_change(write, self.recorder, self.next_number))
        self.recorded = len(self.recorder.writes)


_NONE = Observed(OsLoadBalancer.from_api({"id": ""}), (), (), None)


def neutron_change(write: Write, seen: Recorder, number: int) -> Change:
    """A recorded Neutron write as a Change, named after what the reads showed."""
    call, args = write.call, write.args
    if call == "create_floating_ip":
        body = args[0]
        name = body.get("floating_ip_address") or f"on {body.get('floating_network_id')}"
        return Change(number, "create", "floatingip", name, call, dict(body))
    if call == "attach_floating_ip":
        fip = seen.seen_fips.get(args[0])
        old = fip.port_id if fip else None
        name = fip.address if fip else args[0]
        return Change(number, "update", "floatingip", name, call, {"port_id": {"old": old, "new": args[1]}})
    if call == "delete_floating_ip":
        fip = seen.seen_fips.get(args[0])
        return Change(number, "delete", "floatingip", fip.address if fip else args[0], call, {"id": args[0]})
    if call == "create_security_group":
        return Change(number, "create", "security_group", args[0], call, {"description": args[1]})
    if call == "delete_security_group":
        group = seen.seen_groups.get(args[0])
        return Change(
            number, "delete", "security_group", group.name if group else args[0], call, {"id": args[0]}
        )
    if call == "create_security_group_rule":
        body = {k: v for k, v in args[0].items() if k != "security_group_id"}
        name = (
            f"{body['direction']} {body['protocol']} {body['port_range_min']} from {body['remote_ip_prefix']}"
        )
        return Change(number, "create", "security_group_rule", name, call, body)
    if call == "delete_security_group_rule":
        return Change(
            number, "delete", "security_group_rule", _rule_text(seen, args[0]), call, {"id": args[0]}
        )
    if call == "set_port_security_groups":
        port = seen.seen_ports.get(args[0])
        groups = list(port.security_groups) if port else None
        return Change(
            number,
            "update",
            "port",
            args[0],
            call,
            {"security_groups": {"old": groups, "new": list(args[1])}},
        )
    return Change(
        number, call.split("_", 1)[0], call.split("_", 1)[-1], str(args[0]) if args else "", call, {}
    )


def _rule_text(seen: Recorder, rule_id: str) -> str:
    for group in seen.seen_groups.values():
        for rule in group.rules:
            if rule.id == rule_id:
                ports = f" {rule.port_range_min}" if rule.port_range_min else ""
                source = f" from {rule.remote_ip_prefix}" if rule.remote_ip_prefix else ""
                return f"{rule.direction} {rule.protocol or 'any'} {rule.ethertype}{ports}{source}"
    return rule_id
