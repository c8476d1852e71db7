"""Sharing rules: max-shared-lb, port collisions, and internal Services, from `Peer` records."""

from typing import Any

import pytest

from octavia_lb.common.config import CloudConfig, parse_cloud_config
from octavia_lb.common.rules import Peer, peer_of, review
from tests.unit.builders import INTERNAL, LB_ID, OTHER_LB_ID, P, service

DEFAULT = CloudConfig.default()
THREE = parse_cloud_config("[LoadBalancer]\nmax-shared-lb = 3\n")


def peer(
    name: str, ports: list[tuple[str, int]], lb_id: str = LB_ID, internal: bool = False, uid: str = ""
) -> Peer:
    return Peer("default", name, uid, lb_id, internal, frozenset(ports))


def joining(
    name: str = "new", ports: list[tuple[str, int]] | None = None, internal: bool = False, uid: str = ""
) -> dict[str, Any]:
    annotations = {"load-balancer-id": LB_ID, **({INTERNAL: "true"} if internal else {})}
    return service(name, annotations, ports=ports or [("TCP", 8080)], uid=uid)


DENIED = [
    pytest.param(
        joining(),
        [peer("a", [("TCP", 80)]), peer("b", [("TCP", 81)])],
        DEFAULT,
        f'{P}load-balancer-id: "{LB_ID}" is already shared by 2 Services (default/a, default/b); '
        "cloud.conf max-shared-lb = 2 allows 2 Services per load balancer, owner included",
        id="max-shared-lb",
    ),
    pytest.param(
        joining(),
        [peer(n, [("TCP", p)]) for n, p in (("a", 1), ("b", 2), ("c", 3))],
        THREE,
        "is already shared by 3 Services",
        id="max-shared-lb-3",
    ),
    pytest.param(
        joining(ports=[("TCP", 443), ("TCP", 80)]),
        [peer("owner", [("TCP", 80)])],
        DEFAULT,
        f"spec.ports[1]: TCP/80 is already used on load balancer {LB_ID} by Service default/owner; "
        "choose another port",
        id="port-collision",
    ),
    pytest.param(
        joining(internal=True),
        [peer("owner", [("TCP", 80)])],
        DEFAULT,
        f"{INTERNAL}: an internal Service cannot share a load balancer, and {LB_ID} is used by default/owner",
        id="internal-joins",
    ),
    pytest.param(
        joining(),
        [peer("owner", [("TCP", 80)], internal=True)],
        DEFAULT,
        f'{P}load-balancer-id: "{LB_ID}" belongs to internal Service default/owner; no Service may '
        "share a load balancer with an internal Service",
        id="joins-internal",
    ),
]


@pytest.mark.parametrize(("svc", "peers", "config", "fragment"), DENIED)
def test_sharing_denied(svc: dict[str, Any], peers: list[Peer], config: CloudConfig, fragment: str) -> None:
    verdict = review(svc, None, peers, config)
    assert not verdict.allowed
    assert any(fragment in problem for problem in verdict.problems), verdict.problems


ALLOWED = [
    pytest.param(joining(), [peer("owner", [("TCP", 80)])], id="second-service-other-port"),
    pytest.param(joining(ports=[("UDP", 80)]), [peer("owner", [("TCP", 80)])], id="same-port-other-protocol"),
    pytest.param(joining(), [peer("x", [("TCP", 8080)], lb_id=OTHER_LB_ID)] * 3, id="other-lb"),
    pytest.param(
        joining("new"),
        [peer("new", [("TCP", 8080)]), peer("owner", [("TCP", 80)])],
        id="self-excluded-by-name",
    ),
    pytest.param(
        joining("renamed", uid="u-1"),
        [peer("old-name", [("TCP", 8080)], uid="u-1")],
        id="self-excluded-by-uid",
    ),
    pytest.param(joining(internal=True), [], id="internal-alone"),
]


@pytest.mark.parametrize(("svc", "peers"), ALLOWED)
def test_sharing_allowed(svc: dict[str, Any], peers: list[Peer]) -> None:
    verdict = review(svc, None, peers, DEFAULT)
    assert verdict.allowed, verdict.problems


def test_update_of_a_member_does_not_recount() -> None:
    peers = [peer("a", [("TCP", 80)]), peer("b", [("TCP", 81)])]
    old = joining("a", ports=[("TCP", 80)])
    new = joining("a", ports=[("TCP", 80)])
    lowered = parse_cloud_config("[LoadBalancer]\nmax-shared-lb = 1\n")
    assert review(new, old, peers, lowered).allowed


def test_peer_of() -> None:
    svc = service(
        "web",
        {"load-balancer-id": LB_ID.upper(), INTERNAL: "true"},
        ports=[("TCP", 80), ("UDP", 53)],
        uid="u-9",
    )
    assert peer_of(svc, DEFAULT) == Peer(
        "default", "web", "u-9", LB_ID, True, frozenset({("TCP", 80), ("UDP", 53)})
    )
    assert peer_of(service(), DEFAULT) is None
    assert peer_of(service(annotations={"load-balancer-id": "nope"}), DEFAULT) is None
    assert peer_of({"spec": {"type": "ClusterIP"}}, DEFAULT) is None
    forced = parse_cloud_config("[LoadBalancer]\ninternal-lb = true\n")
    found = peer_of(service(annotations={"load-balancer-id": LB_ID}), forced)
    assert found is not None and found.internal
