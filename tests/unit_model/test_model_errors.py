"""Service → BuildError with OCCM's message, or naming the key and the value."""

from __future__ import annotations

import pytest

from octavia_lb.common.model import BuildError
from tests.unit_model.helpers import build, service


@pytest.mark.parametrize(
    ("svc", "node_list", "message"),
    [
        pytest.param(
            service(), [], "there are no available nodes for LoadBalancer service shop/web", id="no-nodes"
        ),
        pytest.param(service(ports=[]), None, "no service ports provided", id="no-ports"),
        pytest.param(
            service({"proxy-protocol": "true", "x-forwarded-for": "true"}),
            None,
            "annotation loadbalancer.openstack.org/proxy-protocol and loadbalancer.openstack.org/"
            "x-forwarded-for cannot be used together",
            id="proxy-and-xff",
        ),
    ],
)
def test_occm_errors(svc, node_list, message) -> None:
    with pytest.raises(BuildError) as caught:
        build(svc, node_list)
    assert str(caught.value) == message


def test_bad_annotation_names_key_and_value() -> None:
    with pytest.raises(BuildError, match=r'loadbalancer.openstack.org/connection-limit: "lots"'):
        build(service({"connection-limit": "lots"}))


def test_unknown_class_is_an_error() -> None:
    with pytest.raises(BuildError, match=r'loadbalancer.openstack.org/class: "nope"'):
        build(service({"class": "nope"}))
