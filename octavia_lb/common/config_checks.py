"""Second-pass checks on a parsed cloud.conf: values that OCCM accepts at start-up but that would break later.

They are warnings, not errors, so that an existing OCCM file keeps loading; `octavia-lb lint` and the
webhook log them.
"""

from __future__ import annotations

from octavia_lb.common.config_model import CONTAINER_STORES, KNOWN_PROVIDERS, CloudConfig
from octavia_lb.common.subnets import SubnetSpecError, TagFilter, parse_name_pattern, parse_tag_filter


def semantic_warnings(config: CloudConfig) -> list[str]:
    """Everything suspicious in `config`, one readable sentence each, naming section, key and value."""
    lb = config.load_balancer
    found: list[str] = []
    if lb.lb_provider not in KNOWN_PROVIDERS:
        known = ", ".join(sorted(KNOWN_PROVIDERS))
        found.append(f"[LoadBalancer] lb-provider = {lb.lb_provider!r} is not one of {known}")
    if lb.container_store not in CONTAINER_STORES:
        found.append(f"[LoadBalancer] container-store = {lb.container_store!r} is not barbican or external")
    if not lb.enabled:
        found.append(
            "[LoadBalancer] enabled = false: no load balancer is created or changed; LoadBalancer Services "
            "stay pending (deletions still clean up)"
        )
    if lb.max_shared_lb < 1:
        found.append(f"[LoadBalancer] max-shared-lb = {lb.max_shared_lb} lets no Service use a load balancer")
    if lb.create_monitor and lb.monitor_timeout >= lb.monitor_delay:
        found.append(
            f"[LoadBalancer] monitor-timeout ({lb.monitor_timeout}s) should be less than monitor-delay "
            f"({lb.monitor_delay}s); Services without their own health-monitor-* annotations will be denied"
        )
    found += _subnet_spec_warnings("[LoadBalancer]", lb.floating_subnet, lb.floating_subnet_tags)
    for name, klass in config.classes.items():
        section = f'[LoadBalancerClass "{name}"]'
        if not (klass.floating_subnet_id or klass.floating_subnet or klass.floating_subnet_tags):
            found.append(
                f"{section} sets none of floating-subnet-id, floating-subnet, floating-subnet-tags; one is "
                "mandatory in a class, so Services of this class get their floating IP from any subnet"
            )
        found += _subnet_spec_warnings(section, klass.floating_subnet, klass.floating_subnet_tags)
    return found


def _subnet_spec_warnings(section: str, pattern: str, tags: str) -> list[str]:
    found = []
    for key, value, parse in (("floating-subnet", pattern, parse_name_pattern),
                              ("floating-subnet-tags", tags, parse_tag_filter)):
        if not value:
            continue
        try:
            parsed = parse(value)
        except SubnetSpecError as exc:
            found.append(f"{section} {key} = {value!r}: {exc}")
            continue
        note = parsed.negation_note() if isinstance(parsed, TagFilter) else None
        if note:
            found.append(f"{section} {key} = {value!r} {note}")
    return found
