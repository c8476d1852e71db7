"""Admission rules as pure functions: `review(service, old_service, peers, config) -> Verdict`.

The webhook and `octavia-lb lint` call `review`; it never raises and reports every problem at once. The
rules live in three modules by the data they need: `rules_service` (one Service and cloud.conf),
`rules_update` (the old object of an UPDATE) and `rules_sharing` (other Services on the same load balancer,
as `Peer` records).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from octavia_lb.common import annotations as ann
from octavia_lb.common import rules_service, rules_sharing, rules_update
from octavia_lb.common.config import CloudConfig
from octavia_lb.common.config_memo import ConfigMemo
from octavia_lb.common.options import ServiceOptions, resolve
from octavia_lb.common.rule_context import Context, Findings
from octavia_lb.common.rule_context import Peer as Peer  # re-exported: callers say rules.Peer
from octavia_lb.common.service import ServiceView
from octavia_lb.common.values import ValueProblem, parse_uuid

FINALIZER = "loadbalancer.openstack.org/cleanup"
# The spec.loadBalancerClass value this implementation answers to, besides "unset" (as OCCM does).
MANAGED_CLASS = "loadbalancer.openstack.org/octavia"
_LB_ID = ann.key("load-balancer-id")


def is_managed(service: Mapping[str, Any] | Any) -> bool:
    """True for a `type: LoadBalancer` Service whose spec.loadBalancerClass is unset or ours; never raises."""
    spec = service.get("spec") if isinstance(service, Mapping) else None
    return isinstance(spec, Mapping) and manages(spec.get("type"), spec.get("loadBalancerClass"))


def manages(service_type: object, load_balancer_class: object) -> bool:
    """`is_managed` from the two fields it reads (the webhook's decoder has them as typed values)."""
    return service_type == "LoadBalancer" and load_balancer_class in (None, MANAGED_CLASS)


def peer_of(service: Mapping[str, Any], config: CloudConfig) -> Peer | None:
    """The `Peer` record of a managed Service that names a load balancer; None for every other Service."""
    if not is_managed(service):
        return None
    return peer_of_view(ServiceView.from_dict(service), config)


def peer_of_view(view: ServiceView, config: CloudConfig) -> Peer | None:
    """`peer_of` for an already built view of a managed Service (the webhook builds one view per review)."""
    lb_id = named_load_balancer(view)
    if lb_id is None:
        return None
    internal = config.load_balancer.internal_lb or view.annotations.get(ann.INTERNAL) == "true"
    ports = frozenset((port.protocol, port.port) for port in view.ports)
    return Peer(view.namespace, view.name, view.uid, lb_id, internal, ports)


def named_load_balancer(view: ServiceView) -> str | None:
    """The load-balancer-id the Service names, lower-cased; None when it names none or not a UUID."""
    raw_id = view.annotations.get(_LB_ID)
    if raw_id is None:
        return None
    try:
        return parse_uuid(raw_id)
    except ValueProblem:
        return None


@dataclass(slots=True)
class Verdict:
    """The outcome of a review: denied when there is any problem; warnings are shown either way."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.problems

    @property
    def message(self) -> str:
        """Every problem in one line, in the order found; empty when allowed."""
        return "; ".join(self.problems)


def review(
    service: Mapping[str, Any],
    old_service: Mapping[str, Any] | None,
    peers: Iterable[Peer],
    config: CloudConfig,
) -> Verdict:
    """Apply every admission rule to `service` (and `old_service` on UPDATE); never raises."""
    if not is_managed(service):
        return Verdict()
    old = ServiceView.from_dict(old_service) if isinstance(old_service, Mapping) else None
    return review_view(ServiceView.from_dict(service), old, peers, config)


def review_view(
    view: ServiceView, old: ServiceView | None, peers: Iterable[Peer], config: CloudConfig
) -> Verdict:
    """`review` for already built views of a managed Service (and of its old object on UPDATE)."""
    if view.deletion_timestamp:
        # A Service being deleted only loses things: our worker removes its annotations and finalizer
        # after the cleanup. Denying that would leave it Terminating for ever.
        return Verdict()
    options, problems, warnings = _alone.get(
        config, alone_key(view, old), lambda: judge_alone(view, old, config)
    )
    findings = Findings(problems=list(problems), warnings=list(warnings))
    ctx = Context(view=view, options=options, config=config, old=old)
    rules_sharing.check_sharing(ctx, list(peers), findings)
    return Verdict(problems=_unique(findings.problems), warnings=_unique(findings.warnings))


# The rules that need only the Service and cloud.conf (rules_service, rules_update) read the fields in
# `alone_key`, so their findings are memoised like options: Services of one chart share them, and so do
# the old and new object of most UPDATEs. The sharing rules read the live peers and are never memoised.
_alone: ConfigMemo[tuple[ServiceOptions, tuple[str, ...], tuple[str, ...]]] = ConfigMemo(1024)


def forget() -> None:
    """Empty the memo (benchmarks measure the cost of a miss)."""
    _alone.clear()


def alone_key(view: ServiceView, old: ServiceView | None) -> tuple[object, ...]:
    """Everything `judge_alone` reads: tests/webhook/test_fast_paths.py varies the rest and checks."""
    return (
        view.problems,
        _read_annotations(view.annotations),
        view.ip_families,
        view.source_ranges,
        view.ports,
        view.external_traffic_policy,
        None if old is None else _read_annotations(old.annotations),
    )


def _read_annotations(annotations: Mapping[str, str]) -> frozenset[tuple[str, str]]:
    """The catalogued annotations, and unknown ones under our prefix (check_soft warns about those)."""
    return frozenset(
        item for item in annotations.items() if item[0] in ann.ANNOTATIONS or item[0].startswith(ann.PREFIX)
    )


def judge_alone(
    view: ServiceView, old: ServiceView | None, config: CloudConfig
) -> tuple[ServiceOptions, tuple[str, ...], tuple[str, ...]]:
    """Options, problems and warnings of every rule but the sharing ones."""
    findings = Findings(problems=list(view.problems))
    options = resolve(view, config, findings.problems)
    ctx = Context(view=view, options=options, config=config, old=old)
    for rule in _RULES:
        rule(ctx, findings)
    return options, tuple(findings.problems), tuple(findings.warnings)


_RULES = (*rules_service.RULES, rules_update.check_immutable)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
