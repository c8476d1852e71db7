"""Regression tests for bugs the fault suite found, each reduced to the smallest real reproduction."""

from __future__ import annotations

import time

import pytest
from octavia_lb_devkit.sim.server import cloud_conf_global

from octavia_lb.common.config import parse_cloud_config
from octavia_lb.worker.cloud.errors import ReconcileError, TemporaryError
from octavia_lb.worker.cloud.gateway import Gateway, connect

pytestmark = pytest.mark.faults


def test_cloud_conf_request_timeout_bounds_every_openstack_call(sim):
    """`[Metadata] request-timeout` must reach openstacksdk as its api_timeout: passed as `timeout`, the
    setting was dropped and a call waited as long as the cloud took (found by the latency-spike profile)."""
    config = parse_cloud_config(cloud_conf_global(sim.url) + "[Metadata]\nrequest-timeout = 1s\n")
    gateway = Gateway(connect(config))
    gateway.find_load_balancers("warm-up")  # authenticated, catalog read
    sim.control.latency(3.0)
    started = time.monotonic()
    with pytest.raises(ReconcileError, match="(?i)timed out|timeout"):
        gateway.find_load_balancers("slow")
    assert time.monotonic() - started < 2.5


def test_a_timeout_while_authenticating_is_temporary(sim):
    """A slow Keystone during the first call of a process must be retried with backoff, not given up on."""
    config = parse_cloud_config(cloud_conf_global(sim.url) + "[Metadata]\nrequest-timeout = 1s\n")
    gateway = Gateway(connect(config))
    sim.control.latency(2.0)
    with pytest.raises(TemporaryError):
        gateway.find_load_balancers("first-call")
