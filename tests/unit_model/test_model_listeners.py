"""Service → listeners and pools: protocols (TLS, x-forwarded-for, proxy), limits, timeouts, CIDRs."""

from __future__ import annotations

import pytest

from octavia_lb.common.model import Features, Reason
from tests.unit_model.helpers import build, service

TLS = "https://barbican.example/v1/containers/5f0c4d4e-8d4b-4c6f-9e21-5a7b0c3d4e5f"


@pytest.mark.parametrize(
    ("annotations", "listener", "pool", "headers"),
    [
        pytest.param({}, "TCP", "TCP", (), id="plain-tcp"),
        pytest.param({"x-forwarded-for": "true"}, "HTTP", "HTTP", (("X-Forwarded-For", "true"),), id="xff"),
        pytest.param({"default-tls-container-ref": TLS}, "TERMINATED_HTTPS", "HTTP", (), id="tls"),
        pytest.param(
            {"default-tls-container-ref": TLS, "x-forwarded-for": "true"},
            "TERMINATED_HTTPS",
            "HTTP",
            (("X-Forwarded-For", "true"),),
            id="tls-wins-over-xff",
        ),
        pytest.param({"proxy-protocol": "true"}, "TCP", "PROXY", (), id="proxy-v1"),
        pytest.param({"proxy-protocol": "v2"}, "TCP", "PROXYV2", (), id="proxy-v2"),
    ],
)
def test_protocols(annotations, listener, pool, headers) -> None:
    [got] = build(service(annotations)).listeners
    assert (got.protocol, got.pool.protocol, got.insert_headers) == (listener, pool, headers)
    assert got.service_protocol == "TCP"


def test_tls_ref_is_carried() -> None:
    [got] = build(service({"default-tls-container-ref": TLS})).listeners
    assert got.tls_container_ref == TLS


def test_limits_timeouts_and_method() -> None:
    [got] = build(
        service(
            {
                "connection-limit": "100",
                "timeout-client-data": "1000",
                "timeout-member-connect": "2000",
                "timeout-member-data": "3000",
                "timeout-tcp-inspect": "4000",
                "lb-method": "LEAST_CONNECTIONS",
            }
        )
    ).listeners
    assert (got.connection_limit, got.timeouts, got.pool.lb_algorithm) == (
        100,
        (1000, 2000, 3000, 4000),
        "LEAST_CONNECTIONS",
    )


@pytest.mark.parametrize(
    ("features", "timeouts"),
    [
        pytest.param(Features(version=(2, 0)), None, id="2.0-no-timeouts"),
        pytest.param(Features(provider="ovn"), None, id="ovn-ignores-timeouts"),
        pytest.param(Features(version=(2, 1)), (50000, 5000, 50000, 0), id="2.1"),
    ],
)
def test_timeout_gate(features, timeouts) -> None:
    assert build(features=features).listeners[0].timeouts == timeouts


def test_source_ranges_become_allowed_cidrs() -> None:
    svc = service(loadBalancerSourceRanges=["10.1.0.0/16", "192.168.32.1/24"])
    got = build(svc)
    assert got.listeners[0].allowed_cidrs == ("10.1.0.0/16", "192.168.32.0/24")
    assert got.notices == ()


def test_source_ranges_before_2_12_warn_once() -> None:
    svc = service(
        ports=[{"port": 80, "nodePort": 30080}, {"port": 81, "nodePort": 30081}],
        loadBalancerSourceRanges=["10.1.0.0/16"],
    )
    got = build(svc, features=Features(version=(2, 11)))
    assert [li.allowed_cidrs for li in got.listeners] == [(), ()]
    assert [n.reason for n in got.notices] == [Reason.SOURCE_RANGES_IGNORED]
    assert "shop/web" in got.notices[0].message


def test_ovn_with_managed_security_groups_applies_ranges_there_without_a_warning() -> None:
    svc = service(loadBalancerSourceRanges=["10.1.0.0/16"])
    ovn = Features(version=(2, 20), provider="ovn")
    assert [n.reason for n in build(svc, features=ovn).notices] == [Reason.SOURCE_RANGES_IGNORED]
    got = build(svc, conf="manage-security-groups = true\n", features=ovn)
    assert got.listeners[0].allowed_cidrs == () and got.notices == ()


def test_default_source_ranges_before_2_12_are_also_warned_about() -> None:
    """OCCM warns whenever Octavia cannot apply source ranges, the default 0.0.0.0/0 included."""
    got = build(features=Features(version=(2, 11)))
    assert [n.reason for n in got.notices] == [Reason.SOURCE_RANGES_IGNORED]
    assert build(features=Features(version=(2, 12))).notices == ()


def test_session_affinity_client_ip() -> None:
    assert build(service(sessionAffinity="ClientIP")).listeners[0].pool.session_persistence == "SOURCE_IP"


def test_ports_get_index_names_and_udp() -> None:
    got = build(
        service(ports=[{"port": 53, "nodePort": 30053, "protocol": "UDP"}, {"port": 80, "nodePort": 30080}])
    )
    assert [(li.name.split("_kube")[0], li.protocol, li.port) for li in got.listeners] == [
        ("listener_0", "UDP", 53),
        ("listener_1", "TCP", 80),
    ]


def test_tags_need_2_5() -> None:
    got = build(features=Features(version=(2, 4)))
    assert got.load_balancer.tags == () and got.listeners[0].tags == ()
