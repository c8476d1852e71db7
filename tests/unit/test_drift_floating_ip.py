"""The resync's floating IP check is the worker's floating IP planner: it finds what the worker would change,
and nothing the worker would leave alone."""

from __future__ import annotations

from octavia_lb.worker.cloud.observed import Observed
from octavia_lb.worker.dispatch.drift import Drift, floating_ip_drift
from tests.unit.test_plan_neutron import LB, fip, wanting
from tests.unit_model.helpers import build, service

INTERNAL = {"service.beta.kubernetes.io/openstack-internal-load-balancer": "true"}


def test_a_floating_ip_in_place_is_no_drift() -> None:
    assert floating_ip_drift(build(), Observed(LB, (), (), fip()), owner=True) == ("172.24.4.9", None)


def test_a_missing_one_is_drift_and_so_is_one_to_release() -> None:
    assert floating_ip_drift(build(), Observed(LB, (), (), None), owner=True) == (
        "10.0.0.9",
        Drift("floating-ip", "floating IP missing"),
    )
    internal = build(service(INTERNAL))
    address, drift = floating_ip_drift(internal, Observed(LB, (), (), fip()), owner=True)
    assert (address, drift) == ("10.0.0.9", Drift("floating-ip", "delete floating IP 172.24.4.9"))


def test_a_forced_internal_service_serving_its_vip_is_no_drift() -> None:
    # no floating network and no address: the worker creates nothing, so the resync must not enqueue it
    want = wanting(network_id="", address=None)
    assert floating_ip_drift(want, Observed(LB, (), (), None), owner=True) == ("10.0.0.9", None)


def test_a_sharing_service_wanting_a_floating_ip_is_an_error() -> None:
    _, drift = floating_ip_drift(build(), Observed(LB, (), (), None), owner=False)
    assert drift is not None and drift.cause == "error" and "only owner Service" in drift.detail
    # sharing without wanting one: nothing to do, whatever is on the port
    internal = build(service(INTERNAL))
    assert floating_ip_drift(internal, Observed(LB, (), (), fip()), owner=False) == ("10.0.0.9", None)
