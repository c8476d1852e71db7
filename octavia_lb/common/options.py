"""Effective load-balancer options of one Service: annotation, else `[LoadBalancerClass]`, else cloud.conf.

`read_options` is the single resolution the webhook checks and the worker builds from, so admission rejects
exactly what reconcile would fail on. Precedence follows OCCM (occm-semantics §3.3): the class wins over
annotations for the floating network/subnet, and for the VIP network/subnet of external Services;
member-subnet-id is annotation first.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from octavia_lb.common import annotations as ann
from octavia_lb.common import values
from octavia_lb.common.config import CloudConfig, LoadBalancerClass
from octavia_lb.common.config_memo import ConfigMemo
from octavia_lb.common.service import ServiceView, show
from octavia_lb.common.values import ProxyProtocol, ValueProblem


@dataclass(frozen=True)
class FloatingSubnetSpec:
    """Where the floating IP comes from: an ID, or a name pattern and/or tag list (raw texts)."""

    subnet_id: str = ""
    pattern: str = ""
    tags: str = ""


@dataclass(frozen=True)
class ServiceOptions:
    """Every option the worker needs, already resolved and typed."""

    internal: bool
    class_name: str | None
    node_selector: Mapping[str, str]
    connection_limit: int
    floating_network_id: str
    floating_subnet: FloatingSubnetSpec
    keep_floatingip: bool
    port_id: str
    lb_method: str
    lb_provider: str
    proxy_protocol: ProxyProtocol
    x_forwarded_for: bool
    subnet_id: str
    network_id: str
    member_subnet_id: str
    timeout_client_data: int
    timeout_member_connect: int
    timeout_member_data: int
    timeout_tcp_inspect: int
    flavor_id: str
    availability_zone: str
    enable_health_monitor: bool
    health_monitor_delay: int
    health_monitor_timeout: int
    health_monitor_max_retries: int
    health_monitor_max_retries_down: int
    hostname: str | None
    default_tls_container_ref: str
    load_balancer_id: str | None
    load_balancer_address: str | None
    source_ranges: tuple[str, ...]
    ip_family: str = "IPv4"
    # spec.ipFamilies[0], or None when the Service names no family (1.20 servers without dual-stack, manifests
    # given to lint): node addresses are then taken whatever their family, as OCCM does
    address_family: str | None = None
    # every family of spec.ipFamilies, in order (two for a dual-stack Service): both are served when Octavia
    # can give the load balancer an additional VIP (model._Builder._families)
    ip_families: tuple[str, ...] = ()
    explicit: frozenset[str] = field(default_factory=frozenset)

    @property
    def tls(self) -> bool:
        return bool(self.default_tls_container_ref)


def read_options(service: Mapping[str, Any], config: CloudConfig) -> tuple[ServiceOptions, list[str]]:
    """Resolve a Service dict against `config`; never raises. Problems name the key or field and the value."""
    view = ServiceView.from_dict(service)
    problems = list(view.problems)
    return resolve(view, config, problems), problems


# Options depend only on cloud.conf, our annotations, spec.ipFamilies and spec.loadBalancerSourceRanges:
# resolved once per distinct set and config. Entries are immutable.
MEMO_ENTRIES = 1024
_memo: ConfigMemo[tuple[ServiceOptions, tuple[str, ...]]] = ConfigMemo(MEMO_ENTRIES)


def forget() -> None:
    """Empty the memo (benchmarks measure the cost of a miss)."""
    _memo.clear()


def ours(annotations: Mapping[str, str]) -> frozenset[tuple[str, str]]:
    """The catalogued annotations (ours and OCCM's service.beta ones): all that options read."""
    return frozenset(item for item in annotations.items() if item[0] in ann.ANNOTATIONS)


def resolve(view: ServiceView, config: CloudConfig, problems: list[str]) -> ServiceOptions:
    """Like `read_options` for an already built view; appends to `problems`."""

    def fresh() -> tuple[ServiceOptions, tuple[str, ...]]:
        found: list[str] = []
        return _resolve(view, config, found), tuple(found)

    options, found = _memo.get(config, (ours(view.annotations), view.ip_families, view.source_ranges), fresh)
    problems.extend(found)
    return options


def _resolve(view: ServiceView, config: CloudConfig, problems: list[str]) -> ServiceOptions:
    a = view.annotations
    lb = config.load_balancer

    def get(name: str, default: Any) -> Any:
        key = ann.PREFIX + name
        if key not in a:  # most keys are absent: answer those without a parse call
            return default
        value = ann.get(a, key, problems)
        return default if value is None else value

    klass = _class(a, config, problems)
    internal = lb.internal_lb or bool(ann.get(a, ann.INTERNAL, problems))
    family = view.ip_families[0] if view.ip_families else "IPv4"
    place = _placement(a, klass, config, internal, problems)
    return ServiceOptions(
        internal=internal,
        class_name=klass.name if klass else None,
        node_selector=MappingProxyType(get("node-selector", _config_selector(lb.node_selector))),
        connection_limit=get("connection-limit", -1),
        keep_floatingip=get("keep-floatingip", False),
        port_id=get("port-id", ""),
        lb_method=get("lb-method", lb.lb_method),
        lb_provider=lb.lb_provider,
        proxy_protocol=get("proxy-protocol", ProxyProtocol.OFF),
        x_forwarded_for=get("x-forwarded-for", False),
        timeout_client_data=get("timeout-client-data", 50000),
        timeout_member_connect=get("timeout-member-connect", 5000),
        timeout_member_data=get("timeout-member-data", 50000),
        timeout_tcp_inspect=get("timeout-tcp-inspect", 0),
        flavor_id=get("flavor-id", lb.flavor_id),
        availability_zone=get("availability-zone", lb.availability_zone),
        enable_health_monitor=get("enable-health-monitor", lb.create_monitor),
        health_monitor_delay=get("health-monitor-delay", lb.monitor_delay),
        health_monitor_timeout=get("health-monitor-timeout", lb.monitor_timeout),
        health_monitor_max_retries=get("health-monitor-max-retries", lb.monitor_max_retries),
        health_monitor_max_retries_down=get("health-monitor-max-retries-down", lb.monitor_max_retries_down),
        hostname=get("hostname", None),
        default_tls_container_ref=_tls_ref(a, config, problems),
        load_balancer_id=get("load-balancer-id", None),
        load_balancer_address=a.get(ann.key("load-balancer-address")),
        source_ranges=_source_ranges(view, family, problems),
        ip_family=family,
        address_family=view.ip_families[0] if view.ip_families else None,
        ip_families=tuple(dict.fromkeys(f for f in view.ip_families if f in ("IPv4", "IPv6"))),
        explicit=frozenset(k for k in a if k in ann.ANNOTATIONS),
        **place,
    )


def _class(a: Mapping[str, str], config: CloudConfig, problems: list[str]) -> LoadBalancerClass | None:
    name = a.get(ann.key("class"))
    if name is None:
        return None
    if name not in config.classes:
        known = ", ".join(sorted(config.classes)) or "none are configured"
        problems.append(f"{ann.key('class')}: {show(name)} is not a [LoadBalancerClass] in {config.source}; "
                        f"known classes: {known}")
        return None
    return config.classes[name]


def _placement(a: Mapping[str, str], klass: LoadBalancerClass | None, config: CloudConfig, internal: bool,
               problems: list[str]) -> dict[str, Any]:
    """Network, subnet and floating-IP placement with OCCM's precedence."""
    lb = config.load_balancer
    k = klass or LoadBalancerClass(name="")

    def own(name: str) -> str:
        key = ann.PREFIX + name
        if key not in a:
            return ""
        value = ann.get(a, key, problems)
        return "" if value is None else (value if isinstance(value, str) else a[key])

    def first(*candidates: str) -> str:
        return next((c for c in candidates if c), "")

    vip_subnet, vip_network = own("subnet-id"), own("network-id")
    if internal:
        subnet, network = first(vip_subnet, k.subnet_id, lb.subnet_id), first(vip_network, k.network_id,
                                                                               lb.network_id)
    else:
        subnet, network = first(k.subnet_id, vip_subnet, lb.subnet_id), first(k.network_id, vip_network,
                                                                               lb.network_id)
    annotated = FloatingSubnetSpec(
        own("floating-subnet-id"), own("floating-subnet"), own("floating-subnet-tags")
    )
    from_class = FloatingSubnetSpec(k.floating_subnet_id, k.floating_subnet, k.floating_subnet_tags)
    from_config = FloatingSubnetSpec(lb.floating_subnet_id, lb.floating_subnet, lb.floating_subnet_tags)
    floating = next((s for s in (from_class, annotated) if s != FloatingSubnetSpec()), from_config)
    return {
        "subnet_id": subnet,
        "network_id": network,
        "member_subnet_id": first(own("member-subnet-id"), k.member_subnet_id, lb.member_subnet_id),
        "floating_network_id": first(
            k.floating_network_id, own("floating-network-id"), lb.floating_network_id
        ),
        "floating_subnet": floating,
    }


def _config_selector(text: str) -> dict[str, str]:
    return dict(_parsed_config_selector(text))  # a copy: the memoised dict is shared


@functools.lru_cache(maxsize=16)
def _parsed_config_selector(text: str) -> dict[str, str]:
    """cloud.conf's node-selector, parsed once per config rather than once per review."""
    try:
        return values.parse_node_selector(text)
    except ValueProblem:
        return {}  # reported by the cloud.conf checks, not per Service


def _tls_ref(a: Mapping[str, str], config: CloudConfig, problems: list[str]) -> str:
    tls_key = ann.key("default-tls-container-ref")
    raw = a.get(tls_key)
    if raw is None:
        return config.load_balancer.default_tls_container_ref
    if raw and config.load_balancer.container_store != "external":
        try:
            values.parse_tls_ref(raw)
        except ValueProblem as exc:
            problems.append(f"{tls_key}: {show(raw)} {exc}")
    return raw


def _source_ranges(view: ServiceView, family: str, problems: list[str]) -> tuple[str, ...]:
    """spec.loadBalancerSourceRanges, else the annotation, else everything of the Service's IP family."""
    if view.source_ranges:
        found: dict[str, None] = {}
        for index, item in enumerate(view.source_ranges):
            try:
                found[values.parse_cidr(item)] = None
            except ValueProblem as exc:
                problems.append(f"spec.loadBalancerSourceRanges[{index}]: {show(item)} {exc}")
        if found:
            return tuple(found)
    ranges = ann.get(view.annotations, ann.SOURCE_RANGES, problems)
    if ranges:
        return tuple(ranges)
    return ("::/0",) if family == "IPv6" else ("0.0.0.0/0",)
