"""`octavia-lb plan [--cloud-config F] [--live] [--output text|json] FILE|- ...`: the changes the worker would
make in Octavia and Neutron for each Service, without making them.

Services are first reviewed with the webhook's rules, in the order `lint` uses (a denied one is not
planned). Then, per Service, the worker's own builder (`model.build_desired`) and planner
(`plan.next_step`, iterated by `preview.converge`) produce the list of writes:

- offline (default): no cloud and no cluster. The load balancer does not exist yet, so the plan is the
  worker's fully populated create (`load_balancer_body`) and the floating IP. Nodes are the Node objects
  in the input, else `--node NAME=IP`, else three placeholders (`node-1..3`, 192.0.2.11–13 and
  2001:db8::11–13, labelled to match the Service's node-selector). An unset nodePort is shown as a
  placeholder from 30000; what only the cloud can tell (an autodetected VIP subnet or floating network)
  is shown as "(autodetected …)".
- `--live`: reads the cluster (the Service as stored, its Nodes, the other Services for the sharing rules)
  and the cloud (the load balancer tree, floating IPs, security groups) and never writes: see
  `plan_live.py`.

Exit 0 when every Service can be planned (with or without changes), 1 when one would be denied or cannot
be built or planned, 2 when the input, cloud.conf, the cluster or the cloud cannot be read.
"""

from __future__ import annotations

import argparse
import copy
import ipaddress
import sys
from collections.abc import Mapping
from typing import Any, Protocol

from octavia_lb.common.config import CloudConfig, CloudConfigError, load_cloud_config
from octavia_lb.common.manifests import ManifestError, read_objects, services_of
from octavia_lb.common.model import (
    BuildError,
    DesiredService,
    Discovered,
    Features,
    NodeView,
    build_desired,
    service_options,
)
from octavia_lb.common.nodes import is_eligible
from octavia_lb.common.rules import FINALIZER, Verdict, is_managed, peer_of, review
from octavia_lb.common.service import ServiceView
from octavia_lb.worker.cloud.errors import ReconcileError
from octavia_lb.worker.cloud.observed import ACTIVE, LoadBalancerId, Observed, OsLoadBalancer
from octavia_lb.worker.plan import floating_ip as fip_plan
from octavia_lb.worker.plan.floating_ip import SubnetLookup
from octavia_lb.worker.plan.load_balancer import PlanError, Sharing, create_step
from octavia_lb.worker.preview.errors import Unreadable
from octavia_lb.worker.preview.output import DENIED, ERROR, UNMANAGED, ServicePlan, write_json, write_text
from octavia_lb.worker.preview.simulate import Change, changes_of, converge, new_vip, simulate

EXIT_OK, EXIT_FAILED, EXIT_UNREADABLE = 0, 1, 2
PLACEHOLDER_NODES = 3
FIRST_NODE_PORT = 30000
AUTO_SUBNET = "(autodetected: the subnet of the first node's port)"
AUTO_NETWORK = "(autodetected: the first external network)"


class Planner(Protocol):
    mode: str
    cluster: str

    def stored(self) -> dict[str, Mapping[str, Any]]:
        """The cluster's Services by `namespace/name` (none offline)."""
        ...

    def plan(self, service: dict[str, Any], plan: ServicePlan) -> None: ...


def run(args: argparse.Namespace) -> int:
    """Entry point of the `plan` subcommand."""
    try:
        config = load_cloud_config(args.cloud_config) if args.cloud_config else CloudConfig.default()
        objects = [obj for path in args.files for obj in read_objects(path)]
        planner = _planner(args, config, objects)
    except (CloudConfigError, ManifestError, Unreadable) as exc:
        print(f"octavia-lb plan: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    for warning in config.warnings:
        print(f"octavia-lb plan: warning: {warning}", file=sys.stderr)
    try:
        plans = plan_services(services_of(objects), config, planner)
    except Unreadable as exc:
        print(f"octavia-lb plan: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    if args.output == "json":
        write_json(plans, planner.mode, planner.cluster, sys.stdout)
    else:
        write_text(plans, sys.stdout)
    return EXIT_FAILED if any(p.failed for p in plans) else EXIT_OK


def _planner(args: argparse.Namespace, config: CloudConfig, objects: list[Mapping[str, Any]]) -> Planner:
    if args.live:
        from octavia_lb.worker.preview.live import LivePlanner  # openstacksdk and the Kubernetes client

        return LivePlanner.connect(config, args.cluster_name, args.kubeconfig)
    nodes = [parse_node(text) for text in args.node] or nodes_of(objects)
    return OfflinePlanner(
        config, args.cluster_name, nodes, Features(provider=config.load_balancer.lb_provider)
    )


def plan_services(
    services: list[Mapping[str, Any]], config: CloudConfig, planner: Planner
) -> list[ServicePlan]:
    """Review in admission order (as `lint`), then plan each admitted, managed Service."""
    stored = planner.stored()
    admitted = dict(stored)  # namespace/name → the object the cluster would hold
    plans = []
    for manifest in services:
        view = ServiceView.from_dict(manifest)
        label = f"{view.namespace}/{view.name or '<no name>'}"
        service = merged(manifest, stored.get(label))
        plan = ServicePlan(label)
        verdict = _review(service, label, admitted, config)
        plan.warnings = list(verdict.warnings)
        if not verdict.allowed:
            plan.verdict, plan.message = DENIED, verdict.message
        else:
            admitted[label] = service
            _plan_one(service, config, planner, plan)
        plans.append(plan.finish())
    return plans


def _review(
    service: Mapping[str, Any], label: str, admitted: dict[str, Mapping[str, Any]], config: CloudConfig
) -> Verdict:
    peers = [peer for key, obj in admitted.items() if key != label and (peer := peer_of(obj, config))]
    return review(service, admitted.get(label), peers, config)


def _plan_one(service: dict[str, Any], config: CloudConfig, planner: Planner, plan: ServicePlan) -> None:
    spec = service.get("spec") or {}
    if not is_managed(service):
        plan.verdict = UNMANAGED
        plan.message = f"not a Service this controller manages (type {spec.get('type') or 'ClusterIP'})"
        if FINALIZER in ((service.get("metadata") or {}).get("finalizers") or ()):
            # the stored Service still has our finalizer: the worker will clean up, which is not previewed
            plan.message += "; the worker removes its load balancer (the cleanup is not previewed)"
        return
    if (service.get("metadata") or {}).get("deletionTimestamp"):
        plan.verdict, plan.message = UNMANAGED, "being deleted: the worker cleans up"
        return
    if not config.load_balancer.enabled:
        plan.verdict, plan.message = UNMANAGED, "cloud.conf [LoadBalancer] enabled = false"
        return
    plan.notes.extend(fill_node_ports(service))
    try:
        planner.plan(service, plan)
    except (BuildError, PlanError) as exc:
        plan.verdict, plan.message = ERROR, f"failed to ensure load balancer: {exc}"
    except ReconcileError as exc:  # live only: Octavia's or Neutron's answer, as the worker reports it
        plan.verdict, plan.message = ERROR, f"failed to ensure load balancer: {exc.message}"


# ---- the Service as the cluster would hold it -----------------------------------------------------
_KEPT_ANNOTATIONS = (
    "loadbalancer.openstack.org/load-balancer-id",
    "loadbalancer.openstack.org/load-balancer-address",
)


def merged(manifest: Mapping[str, Any], current: Mapping[str, Any] | None) -> dict[str, Any]:
    """The manifest applied over the stored Service: what `kubectl apply` keeps of the stored one (uid,
    finalizers, status, the annotations the controller wrote, allocated NodePorts) stays."""
    service = copy.deepcopy(dict(manifest))
    if current is None:
        return service
    meta, old_meta = service.setdefault("metadata", {}), current.get("metadata") or {}
    for key in ("uid", "resourceVersion", "finalizers", "deletionTimestamp"):
        if key in old_meta and key not in meta:
            meta[key] = old_meta[key]
    annotations = meta.setdefault("annotations", {}) or {}
    meta["annotations"] = annotations
    for key in _KEPT_ANNOTATIONS:
        old = (old_meta.get("annotations") or {}).get(key)
        if old is not None and key not in annotations:
            annotations[key] = old
    spec, old_spec = service.setdefault("spec", {}), current.get("spec") or {}
    old_ports = old_spec.get("ports") or []
    for port in spec.get("ports") or []:
        if isinstance(port, dict) and not port.get("nodePort"):
            match = _same_port(port, old_ports)
            if match is not None and match.get("nodePort"):
                port["nodePort"] = match["nodePort"]
    if not spec.get("healthCheckNodePort") and old_spec.get("healthCheckNodePort"):
        spec["healthCheckNodePort"] = old_spec["healthCheckNodePort"]
    if "status" in current:
        service["status"] = current["status"]
    return service


def _same_port(port: Mapping[str, Any], old_ports: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    for old in old_ports:
        if port.get("name") and old.get("name") == port.get("name"):
            return old
    for old in old_ports:
        same_protocol = (old.get("protocol") or "TCP") == (port.get("protocol") or "TCP")
        if same_protocol and old.get("port") == port.get("port"):
            return old
    return None


def fill_node_ports(service: dict[str, Any]) -> list[str]:
    """Placeholders for the NodePorts Kubernetes has not allocated yet (a Service not created), with notes."""
    spec = service.get("spec") or {}
    if spec.get("allocateLoadBalancerNodePorts") is False:
        return []
    ports = [p for p in spec.get("ports") or [] if isinstance(p, dict)]
    used = {p.get("nodePort") for p in ports}
    free = (n for n in range(FIRST_NODE_PORT, 32768) if n not in used)
    notes = []
    for index, port in enumerate(ports):
        if not port.get("nodePort"):
            port["nodePort"] = next(free)
            notes.append(
                f"spec.ports[{index}].nodePort is not allocated yet; {port['nodePort']} stands for it"
            )
    if spec.get("externalTrafficPolicy") == "Local" and not spec.get("healthCheckNodePort"):
        spec["healthCheckNodePort"] = next(free)
        notes.append(
            f"spec.healthCheckNodePort is not allocated yet; {spec['healthCheckNodePort']} stands for it"
        )
    return notes


# ---- offline ---------------------------------------------------------------------------------------
def parse_node(text: str) -> NodeView:
    """`--node NAME=IP[,IP...]`: a Node with those InternalIPs."""
    name, _, addresses = text.partition("=")
    ips = [a.strip() for a in addresses.split(",") if a.strip()]
    if not name or not ips:
        raise Unreadable(f"--node {text!r}: expected NAME=IP[,IP...], e.g. node-1=10.0.0.11")
    for ip in ips:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise Unreadable(f"--node {text!r}: {ip!r} is not an IP address") from None
    return NodeView(name, tuple(("InternalIP", ip) for ip in ips))


def nodes_of(objects: list[Mapping[str, Any]]) -> list[NodeView]:
    """The eligible Nodes among the input objects (e.g. `kubectl get nodes -o yaml`), sorted as the worker."""
    found = [obj for obj in objects if obj.get("kind") == "Node"]
    if not found:
        return []
    found = [obj for obj in found if is_eligible(obj)]
    return sorted((NodeView.from_dict(n) for n in found), key=lambda n: n.name)


def placeholder_nodes(selector: Mapping[str, str]) -> list[NodeView]:
    """Stand-ins for the cluster's Nodes, labelled so that the Service's node-selector picks them."""
    return [
        NodeView(
            f"node-{i}",
            (("InternalIP", f"192.0.2.{10 + i}"), ("InternalIP", f"2001:db8::{10 + i}")),
            dict(selector),
        )
        for i in range(1, PLACEHOLDER_NODES + 1)
    ]


class OfflinePlanner:
    """Plans from the manifest alone: every load balancer is new (or, for a shared one, assumed empty)."""

    mode = "offline"

    def __init__(self, config: CloudConfig, cluster: str, nodes: list[NodeView], features: Features) -> None:
        self.config, self.cluster, self.nodes, self.features = config, cluster, nodes, features

    def stored(self) -> dict[str, Mapping[str, Any]]:
        return {}

    def plan(self, service: dict[str, Any], plan: ServicePlan) -> None:
        _, options = service_options(service, self.config)
        nodes = self.nodes
        if not nodes:
            nodes = placeholder_nodes(options.node_selector)
            plan.notes.append(
                f"placeholder nodes node-1..{PLACEHOLDER_NODES} (Node objects in the input or --node NAME=IP "
                "give real ones)"
            )
        auto_subnet = not (options.subnet_id or options.network_id or options.port_id)
        auto_network = not options.internal and not options.floating_network_id
        discovered = Discovered(
            vip_subnet_id=AUTO_SUBNET if auto_subnet else "",
            floating_network_id=AUTO_NETWORK if auto_network else "",
        )
        want = build_desired(service, nodes, self.config, self.cluster, self.features, discovered)
        plan.notes.extend(n.message for n in want.notices)
        if len((service.get("spec") or {}).get("ipFamilies") or ()) > 1:
            plan.notes.append("offline the second family's VIP subnet is not looked up: --live plans both")
        if want.shared_id:
            self._shared(want, plan)
            return
        step = create_step(want)
        state = simulate(_NOTHING, step)
        assert state is not None
        plan.changes.extend(changes_of(step, state, 1))
        plan.changes.extend(offline_floating_ip(want, state.lb, 2))
        result = converge(
            want, state, Sharing(True, self.config.load_balancer.max_shared_lb, self.features.tags), 3
        )
        plan.changes.extend(result.changes)
        plan.changes.extend(offline_security_group(service, self.config, self.cluster, 3 + len(result.steps)))
        plan.load_balancer = {"id": "", "name": want.lb_name}

    def _shared(self, want: DesiredService, plan: ServicePlan) -> None:
        lb_id = LoadBalancerId(want.shared_id or "")
        lb = OsLoadBalancer(lb_id, "", ACTIVE, "", "", "", ())
        sharing = Sharing(False, self.config.load_balancer.max_shared_lb, self.features.tags)
        result = converge(want, Observed(lb, (), (), None), sharing)
        plan.changes.extend(result.changes)
        plan.notes.append(
            f"joins load balancer {lb_id} by id; offline it is assumed to hold no other Service's listeners "
            "(--live reads it)"
        )
        plan.load_balancer = {"id": lb_id, "name": ""}


_NOTHING = Observed(OsLoadBalancer(LoadBalancerId(""), "", "", "", "", "", ()), (), (), None)


def offline_floating_ip(want: DesiredService, lb: OsLoadBalancer, step: int) -> list[Change]:
    """The worker's floating IP planner on the new load balancer `lb` (nothing on its VIP port yet). A
    spec.loadBalancerIP is assumed free (then the worker attaches it instead), and the subnets a name or
    tag spec matches are only known live: shown as a placeholder."""
    vip = new_vip(lb, want)
    decision = fip_plan.decide(want, vip, None, owner=True)
    wish = decision.wish
    if wish is None:
        return []  # internal, IPv6, or forced internal (a notice says so)
    spec = wish.subnet
    lookup = fip_plan.subnet_lookup(wish)
    subnets = {
        SubnetLookup.NONE: [""],
        SubnetLookup.NETWORK_OF_SUBNET: [spec.subnet_id],
        SubnetLookup.LIST: [
            f"(the first subnet matching {spec.pattern or ''} {spec.tags or ''})".replace("  ", " ")
        ],
    }[lookup]
    create = fip_plan.create_step(wish, vip, subnets)
    if create is None:
        return []
    name = wish.address or f"on {wish.network_id}"
    return [Change(step, "create", "floatingip", name, create.call, dict(create.attempts[0]))]


def offline_security_group(
    service: Mapping[str, Any], config: CloudConfig, cluster: str, step: int
) -> list[Change]:
    """cloud.conf manage-security-groups: the group and one rule per NodePort (sources known only live)."""
    if not config.load_balancer.manage_security_groups:
        return []
    from octavia_lb.common import naming

    meta, spec = service.get("metadata") or {}, service.get("spec") or {}
    name = naming.security_group_name(
        meta.get("uid") or "(uid)", meta.get("namespace", "default"), meta.get("name", "")
    )
    changes = [Change(step, "create", "security_group", name, "create_security_group", {})]
    ports = [
        (p.get("protocol") or "TCP", p.get("nodePort")) for p in spec.get("ports") or [] if p.get("nodePort")
    ]
    if spec.get("healthCheckNodePort"):
        ports.append(("TCP", spec["healthCheckNodePort"]))
    for number, (protocol, port) in enumerate(ports, start=step + 1):
        fields = {"protocol": protocol.lower(), "port_range_min": port, "port_range_max": port}
        fields["remote_ip_prefix"] = "(the member subnet's CIDR)"
        changes.append(
            Change(
                number,
                "create",
                "security_group_rule",
                f"{protocol.lower()} {port}",
                "create_security_group_rule",
                fields,
            )
        )
    return changes
