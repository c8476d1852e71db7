"""Admission rules that need only the Service itself and cloud.conf (parse problems come from `options.py`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from octavia_lb.common import annotations as ann
from octavia_lb.common.rule_context import Context, Findings
from octavia_lb.common.service import show
from octavia_lb.common.subnets import SubnetSpecError, parse_tag_filter
from octavia_lb.common.values import ProxyProtocol

UDP_MIN_DELAY = 3  # Octavia's udp_connect_min_interval_health_monitor default
# OCCM's own error text, kept verbatim so users searching for it find both projects.
PROXY_XFF_MESSAGE = (
    "annotation loadbalancer.openstack.org/proxy-protocol and loadbalancer.openstack.org/x-forwarded-for "
    "cannot be used together"
)
_OVN_IGNORED = ("timeout-client-data", "timeout-member-connect", "timeout-member-data", "timeout-tcp-inspect",
                "flavor-id", "availability-zone")
_FLOATING = ("floating-network-id", "floating-subnet-id", "floating-subnet", "floating-subnet-tags")
# Short names of the catalogue's own keys, the candidates for "did you mean" (computed once, not per review).
_KNOWN = [spec_key[len(ann.PREFIX):] for spec_key in ann.ANNOTATIONS if spec_key.startswith(ann.PREFIX)]


def check_monitor(ctx: Context, out: Findings) -> None:
    """health-monitor-timeout < health-monitor-delay (effective values); UDP monitors need delay ≥ 3."""
    opts = ctx.options
    delay_key, timeout_key = ann.key("health-monitor-delay"), ann.key("health-monitor-timeout")
    if out.failed(delay_key) or out.failed(timeout_key):
        return
    explicit = ctx.raw("health-monitor-delay") is not None or ctx.raw("health-monitor-timeout") is not None
    judged = opts.enable_health_monitor or explicit
    if judged and opts.health_monitor_timeout >= opts.health_monitor_delay:
        delay = ctx.source("health-monitor-delay", opts.health_monitor_delay, "monitor-delay")
        if ctx.raw("health-monitor-timeout") is not None or ctx.raw("health-monitor-delay") is None:
            timeout_raw = ctx.raw("health-monitor-timeout")
            subject = (f"{timeout_key}: {show(timeout_raw)}" if timeout_raw is not None else
                       f"health-monitor-timeout ({opts.health_monitor_timeout}, "
                       f"from cloud.conf monitor-timeout)")
            out.deny(f"{subject} must be less than {delay}")
        else:
            timeout = ctx.source("health-monitor-timeout", opts.health_monitor_timeout, "monitor-timeout")
            out.deny(f"{delay_key}: {show(ctx.raw('health-monitor-delay'))} must be greater than {timeout}")
    udp = [port for port in ctx.view.ports if port.protocol == "UDP"]
    if opts.enable_health_monitor and udp and opts.health_monitor_delay < UDP_MIN_DELAY:
        raw = ctx.raw("health-monitor-delay")
        subject = (f"{delay_key}: {show(raw)}" if raw is not None else
                   f"health-monitor-delay ({opts.health_monitor_delay}, from cloud.conf monitor-delay)")
        out.deny(f"{subject} must be at least {UDP_MIN_DELAY} because UDP port {udp[0].port} gets a "
                 f"UDP-CONNECT health monitor (Octavia's minimum)")


def check_listener_features(ctx: Context, out: Findings) -> None:
    """proxy-protocol with x-forwarded-for is denied; neither (nor TLS) works on UDP or SCTP ports."""
    opts = ctx.options
    proxy = opts.proxy_protocol is not ProxyProtocol.OFF
    if proxy and opts.x_forwarded_for:
        out.deny(PROXY_XFF_MESSAGE)
    features = [("proxy-protocol", proxy), ("x-forwarded-for", opts.x_forwarded_for),
                ("default-tls-container-ref", opts.tls)]
    for index, port in enumerate(ctx.view.ports):
        if port.protocol not in ("UDP", "SCTP"):
            continue
        for name, enabled in features:
            if enabled:
                raw = ctx.raw(name)
                subject = f"{ann.key(name)}: {show(raw)}" if raw is not None else f"cloud.conf {name}"
                out.deny(f"{subject} cannot be used with {port.protocol} port {port.port} "
                         f"(spec.ports[{index}]); it needs TCP ports only")


def check_traffic_policy(ctx: Context, out: Findings) -> None:
    """externalTrafficPolicy: Local needs a health monitor, or nodes without endpoints receive traffic."""
    if ctx.view.external_traffic_policy != "Local" or ctx.options.enable_health_monitor:
        return
    if out.failed(ann.key("enable-health-monitor")):
        return
    raw = ctx.raw("enable-health-monitor")
    why = (f"{ann.key('enable-health-monitor')} is {show(raw)}" if raw is not None
           else "cloud.conf create-monitor is false")
    out.deny(f'spec.externalTrafficPolicy: "Local" needs a health monitor ({why}), otherwise traffic reaches '
             f'nodes without endpoints; set {ann.key("enable-health-monitor")}: "true" or use "Cluster"')


def check_ovn(ctx: Context, out: Findings) -> None:
    """The ovn provider has no L7 features: deny them; warn about options it ignores."""
    opts = ctx.options
    if opts.lb_provider != "ovn":
        return
    unsupported = [("x-forwarded-for", opts.x_forwarded_for),
                   ("proxy-protocol", opts.proxy_protocol is not ProxyProtocol.OFF),
                   ("default-tls-container-ref", opts.tls)]
    for name, enabled in unsupported:
        raw = ctx.raw(name)
        if enabled:
            subject = f"{ann.key(name)}: {show(raw)}" if raw is not None else f"cloud.conf {name}"
            out.deny(f"{subject} is not supported by the ovn provider (cloud.conf lb-provider = ovn); "
                     f"remove it")
    method = ctx.raw("lb-method")
    if method is not None and method != "SOURCE_IP_PORT" and not out.failed(ann.key("lb-method")):
        out.deny(f'{ann.key("lb-method")}: {show(method)} is not supported by the ovn provider; use '
                 f'"SOURCE_IP_PORT"')
    for name in _OVN_IGNORED:
        if ctx.raw(name) is not None:
            out.warn(f"{ann.key(name)} is ignored by the ovn provider")


def check_soft(ctx: Context, out: Findings) -> None:
    """Warnings: unknown keys, a second IP family, floating-* on internal Services, a hand-set address."""
    for key in ctx.view.annotations:
        if key.startswith(ann.PREFIX) and key not in ann.ANNOTATIONS:
            guess = difflib.get_close_matches(key[len(ann.PREFIX):], _KNOWN, n=1, cutoff=0.6)
            hint = f"; did you mean {ann.PREFIX}{guess[0]}?" if guess else ""
            out.warn(f"unknown annotation {key} is ignored{hint}")
    families = ctx.view.ip_families
    if len(families) > 1:
        out.warn(_two_families(ctx, families))
    if ctx.options.internal:
        for name in _FLOATING:
            if ctx.raw(name) is not None:
                out.warn(f"{ann.key(name)} is ignored on an internal Service (no floating IP)")
    tags = ctx.raw("floating-subnet-tags")
    if tags is not None and tags.startswith("!") and not ctx.options.internal:
        try:
            note = parse_tag_filter(tags).negation_note()
        except SubnetSpecError:
            note = None  # already denied as a parse problem
        if note:
            out.warn(f"{ann.key('floating-subnet-tags')}: {show(tags)} {note}")
    if ctx.old is None and ctx.raw("load-balancer-address") is not None:
        out.warn(f"{ann.key('load-balancer-address')} is written by the controller; the value you set "
                 f"({show(ctx.raw('load-balancer-address'))}) will be replaced")


RULES: tuple[Callable[[Context, Findings], None], ...] = (
    check_monitor,
    check_listener_features,
    check_traffic_policy,
    check_ovn,
    check_soft,
)


def _two_families(ctx: Context, families: tuple[str, ...]) -> str:
    """What a dual-stack Service gets, from what admission knows (cloud.conf, not Octavia's version)."""
    head = f"spec.ipFamilies: {show(list(families))} has two families; "
    lb = ctx.config.load_balancer
    if lb.lb_provider == "ovn":
        return head + f"only the first ({families[0]}) is served with cloud.conf lb-provider = ovn"
    if lb.provider_requires_serial_api_calls:
        return (head + f"only the first ({families[0]}) is served with cloud.conf "
                "provider-requires-serial-api-calls = true")
    return (head + f"both are served when Octavia has API 2.26+ (additional VIPs) and the VIP network has an "
            f"{families[1]} subnet; otherwise only {families[0]}, with a LoadBalancerDualStackUnavailable "
            "event saying why")
