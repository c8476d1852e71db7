"""UPDATE rules: load-balancer-id and creation-only keys are fixed once the Service has a load balancer."""

from typing import Any

import pytest

from octavia_lb.common.config import CloudConfig, parse_cloud_config
from octavia_lb.common.rules import review
from tests.unit.builders import LB_ID, OTHER_LB_ID, UUID_A, UUID_B, P, service

CONFIG = parse_cloud_config(
    '[LoadBalancerClass "a"]\nsubnet-id = x\n[LoadBalancerClass "b"]\nsubnet-id = y\n'
)


def _with_lb(**annotations: str) -> dict[str, Any]:
    return service(annotations={"load-balancer-id": LB_ID, **annotations})


CHANGES = [
    pytest.param(
        _with_lb(),
        service(annotations={"load-balancer-id": OTHER_LB_ID}),
        f'{P}load-balancer-id: "{OTHER_LB_ID}" may not change once the Service has a load balancer '
        f'(it was "{LB_ID}"); delete and recreate the Service to move it',
        id="lb-id-changed",
    ),
    pytest.param(_with_lb(), service(), f"{P}load-balancer-id may not be removed", id="lb-id-removed"),
    pytest.param(
        _with_lb(**{"subnet-id": UUID_A}),
        _with_lb(**{"subnet-id": UUID_B}),
        f'{P}subnet-id: "{UUID_B}" may not change once the load balancer exists (it was "{UUID_A}"); '
        "delete and recreate the Service to change it",
        id="subnet-id",
    ),
    pytest.param(
        _with_lb(),
        _with_lb(**{"network-id": UUID_A}),
        f'{P}network-id: "{UUID_A}" may not change once the load balancer exists (it was unset)',
        id="network-id-added",
    ),
    pytest.param(
        _with_lb(**{"port-id": UUID_A}),
        _with_lb(),
        f"{P}port-id: removed may not change",
        id="port-id-removed",
    ),
    pytest.param(
        _with_lb(**{"member-subnet-id": UUID_A}),
        _with_lb(**{"member-subnet-id": UUID_B}),
        f"{P}member-subnet-id",
        id="member-subnet-id",
    ),
    pytest.param(
        _with_lb(**{"flavor-id": UUID_A}), _with_lb(**{"flavor-id": UUID_B}), f"{P}flavor-id", id="flavor-id"
    ),
    pytest.param(
        _with_lb(**{"availability-zone": "az1"}),
        _with_lb(**{"availability-zone": "az2"}),
        f'{P}availability-zone: "az2" may not change',
        id="availability-zone",
    ),
    pytest.param(
        _with_lb(**{"class": "a"}), _with_lb(**{"class": "b"}), f'{P}class: "b" may not change', id="class"
    ),
]


@pytest.mark.parametrize(("old", "new", "fragment"), CHANGES)
def test_immutable_after_creation(old: dict[str, Any], new: dict[str, Any], fragment: str) -> None:
    verdict = review(new, old, [], CONFIG)
    assert not verdict.allowed
    assert any(fragment in problem for problem in verdict.problems), verdict.problems


FREE = [
    pytest.param(
        service(annotations={"subnet-id": UUID_A}), service(annotations={"subnet-id": UUID_B}), id="no-lb-yet"
    ),
    pytest.param(service(), _with_lb(), id="controller-writes-lb-id"),
    pytest.param(
        _with_lb(**{"connection-limit": "5"}), _with_lb(**{"connection-limit": "10"}), id="updatable-key"
    ),
    pytest.param(_with_lb(**{"class": "a"}), _with_lb(**{"class": "a"}), id="unchanged-class"),
]


@pytest.mark.parametrize(("old", "new"), FREE)
def test_allowed_updates(old: dict[str, Any], new: dict[str, Any]) -> None:
    verdict = review(new, old, [], CONFIG)
    assert verdict.allowed, verdict.problems


def test_address_warning_only_on_create() -> None:
    svc = _with_lb(**{"load-balancer-address": "203.0.113.1"})
    assert review(svc, svc, [], CloudConfig.default()).warnings == []
    assert review(svc, None, [], CloudConfig.default()).warnings != []


def test_a_service_being_deleted_may_lose_its_load_balancer_annotations() -> None:
    # The worker removes load-balancer-id and the finalizer once the cloud side is gone; the same change on a
    # live Service is denied (control).
    old = _with_lb()
    live = service()
    deleting = service()
    deleting["metadata"]["deletionTimestamp"] = "2026-11-26T14:00:00Z"
    assert not review(live, old, [], CONFIG).allowed
    verdict = review(deleting, old, [], CONFIG)
    assert verdict.allowed and verdict.warnings == []
