"""Service → health monitors: type by protocol, HTTP /healthz on the healthCheckNodePort for ETP Local."""

from __future__ import annotations

import pytest

from octavia_lb.common.model import Features
from tests.unit_model.helpers import build, service

ON = {"enable-health-monitor": "true"}
LOCAL = {"externalTrafficPolicy": "Local", "healthCheckNodePort": 32000}


def _port(protocol: str) -> list[dict]:
    return [{"port": 53, "nodePort": 30053, "protocol": protocol}]


def test_no_monitor_by_default() -> None:
    assert build().listeners[0].pool.monitor is None


def test_config_create_monitor_turns_it_on() -> None:
    monitor = (
        build(
            conf="create-monitor = true\nmonitor-delay = 7s\nmonitor-timeout = 4s\nmonitor-max-retries = 2\n"
        )
        .listeners[0]
        .pool.monitor
    )
    assert monitor is not None
    assert (monitor.type, monitor.delay, monitor.timeout, monitor.max_retries, monitor.max_retries_down) == (
        "TCP",
        7,
        4,
        2,
        3,
    )


@pytest.mark.parametrize(
    ("protocol", "spec", "features", "kind", "monitor_port"),
    [
        pytest.param("TCP", {}, Features(), "TCP", None, id="tcp"),
        pytest.param("UDP", {}, Features(), "UDP-CONNECT", None, id="udp"),
        pytest.param("SCTP", {}, Features(), "SCTP", None, id="sctp"),
        pytest.param("TCP", LOCAL, Features(), "HTTP", 32000, id="tcp-local-http"),
        pytest.param("UDP", LOCAL, Features(), "HTTP", 32000, id="udp-local-http-2.16"),
        pytest.param(
            "UDP", LOCAL, Features(version=(2, 15)), "UDP-CONNECT", None, id="udp-local-before-2.16"
        ),
        pytest.param("TCP", LOCAL, Features(provider="ovn"), "TCP", None, id="ovn-no-http"),
    ],
)
def test_monitor_type(protocol, spec, features, kind, monitor_port) -> None:
    [listener] = build(service(ON, ports=_port(protocol), **spec), features=features).listeners
    monitor = listener.pool.monitor
    assert monitor is not None and monitor.type == kind
    assert {m.monitor_port for m in listener.pool.members} == {monitor_port}
    if kind == "HTTP":
        assert (monitor.http_method, monitor.url_path, monitor.expected_codes) == ("GET", "/healthz", "200")


def test_annotation_values() -> None:
    monitor = (
        build(
            service(
                {
                    **ON,
                    "health-monitor-delay": "10",
                    "health-monitor-timeout": "5",
                    "health-monitor-max-retries": "4",
                    "health-monitor-max-retries-down": "6",
                }
            )
        )
        .listeners[0]
        .pool.monitor
    )
    assert monitor is not None
    assert (monitor.delay, monitor.timeout, monitor.max_retries, monitor.max_retries_down) == (10, 5, 4, 6)
