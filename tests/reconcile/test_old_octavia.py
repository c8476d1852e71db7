"""Octavia API 2.11: source ranges cannot become allowed_cidrs, so a Warning Event says so."""

from __future__ import annotations


def test_source_ranges_ignored_before_2_12(old_octavia_env):
    env = old_octavia_env()
    env.add_node("a", "10.0.0.71")
    env.create_service(
        "web", [{"name": "http", "port": 80, "protocol": "TCP"}], loadBalancerSourceRanges=["10.1.0.0/16"]
    )
    env.drive("web")
    [listener] = env.octavia("listeners")
    assert listener.get("allowed_cidrs") in (None, [])
    assert (
        "Warning",
        "LoadBalancerSourceRangesIgnored",
        f"LoadBalancerSourceRanges are ignored for Service {env.namespace}/web because Octavia provider does "
        "not support it",
    ) in env.events("web")
    assert env.reasons("web")[-1] == "EnsuredLoadBalancer"
    assert env.service("web").status.load_balancer.ingress[0].ip


def test_refused_lb_method_gets_occm_warning(old_octavia_env):
    env = old_octavia_env()
    env.add_node("a", "10.0.0.72")
    env.create_service("web", [{"name": "http", "port": 80, "protocol": "TCP"}])
    env.drive("web")
    env.patch_service(
        "web", {"metadata": {"annotations": {"loadbalancer.openstack.org/lb-method": "SOURCE_IP_PORT"}}}
    )
    error = env.drive_error("web")
    assert "update_pool: HTTP 400" in str(error)
    warnings = [m for kind, reason, m in env.events("web") if reason == "LoadBalancerLbMethodUnknown"]
    assert warnings and warnings[0].startswith(
        "Error updating LB method for LoadBalancer: update_pool: HTTP 400"
    )
    assert env.octavia("pools")[0]["lb_algorithm"] == "ROUND_ROBIN"
