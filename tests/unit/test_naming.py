"""OCCM-compatible names (occm-semantics §4), so existing load balancers are adopted."""

import pytest

from octavia_lb.common import naming


@pytest.mark.parametrize(
    ("function", "args", "expected"),
    [
        (naming.lb_name, ("kubernetes", "default", "web"), "kube_service_kubernetes_default_web"),
        (naming.listener_name, (0, "kube_service_c_ns_a"), "listener_0_kube_service_c_ns_a"),
        (naming.pool_name, (1, "kube_service_c_ns_a"), "pool_1_kube_service_c_ns_a"),
        (naming.monitor_name, (2, "kube_service_c_ns_a"), "monitor_2_kube_service_c_ns_a"),
        (naming.member_name_serial, ("node-1", "10.0.0.4", 31000), "member_node-1_10.0.0.4_31000"),
        (
            naming.legacy_lb_name,
            ("1b4e28ba-2fa1-11d2-883f-0016d3cca427",),
            "a1b4e28ba2fa111d2883f0016d3cca42",
        ),
        (naming.lb_description, ("c1", "ns", "web"), "Kubernetes external service ns/web from cluster c1"),
        (
            naming.fip_description,
            ("c1", "ns", "web"),
            "Floating IP for Kubernetes external service ns/web from cluster c1",
        ),
        (naming.security_group_name, ("u-1", "ns", "web"), "lb-sg-u-1-ns-web"),
        (
            naming.security_group_description,
            ("c1", "ns", "web"),
            "Security Group for ns/web Service LoadBalancer in cluster c1",
        ),
    ],
    ids=[
        "lb",
        "listener",
        "pool",
        "monitor",
        "member",
        "legacy",
        "lb-description",
        "fip-description",
        "sg",
        "sg-description",
    ],
)
def test_names(function, args, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert function(*args) == expected


def test_names_are_cut_at_255_bytes() -> None:
    name = naming.lb_name("cluster", "ns", "x" * 300)
    assert len(name.encode()) == 255 and name.startswith("kube_service_cluster_ns_x")
    assert len(naming.listener_name(3, name).encode()) == 255


def test_cut_never_splits_a_character() -> None:
    text = "é" * 200  # 400 bytes
    cut = naming.cut(text)
    assert len(cut.encode()) <= 255 and cut == "é" * 127


@pytest.mark.parametrize(
    ("name", "cluster"),
    [("kube_service_prod_default_web", "prod"), ("kube_service_a_b_ns_web", "a_b"), ("my-lb", None)],
    ids=["simple", "underscore-cluster", "foreign"],
)
def test_cluster_of(name: str, cluster: str | None) -> None:
    assert naming.cluster_of(name) == cluster


def test_ownership_marks() -> None:
    assert naming.is_our_fip(naming.fip_description("c", "n", "s"))
    assert not naming.is_our_fip("made by hand")
    assert naming.is_kube_lb_name("kube_service_c_n_s") and not naming.is_kube_lb_name("manual")
