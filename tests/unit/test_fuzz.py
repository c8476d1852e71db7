"""Property tests: random annotation maps and malformed Service dicts never make the pure layer raise."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from octavia_lb.common.annotations import ANNOTATIONS
from octavia_lb.common.config import CloudConfig, parse_cloud_config
from octavia_lb.common.options import read_options
from octavia_lb.common.rules import Peer, peer_of, review
from octavia_lb.common.service import ServiceView

CONFIGS = [
    CloudConfig.default(),
    parse_cloud_config("[LoadBalancer]\nlb-provider = ovn\ncreate-monitor = on\n"),
    parse_cloud_config('[LoadBalancer]\ninternal-lb = true\n[LoadBalancerClass "c"]\nsubnet-id = s\n'),
]
LB_IDS = ["2b224530-9414-4302-8163-5abebdcdc84f", "nope", ""]

interesting_values = st.sampled_from(
    [
        "true",
        "false",
        "True",
        "",
        "0",
        "-1",
        "5",
        "10",
        "v1",
        "v2",
        "~(",
        "&!a",
        "10.0.0.0/8",
        "10.0.0.1",
        "c",
        LB_IDS[0],
        "a=b,c",
        "lb.example.com",
    ]
)
keys = st.one_of(
    st.sampled_from(sorted(ANNOTATIONS)),
    st.text(max_size=40),
    st.text(max_size=20).map(lambda s: "loadbalancer.openstack.org/" + s),
)
annotation_maps = st.dictionaries(keys, st.one_of(interesting_values, st.text(max_size=30)), max_size=12)
json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=10)
)
json_any = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
ports = st.lists(
    st.fixed_dictionaries(
        {
            "protocol": st.sampled_from(["TCP", "UDP", "SCTP", 5]),
            "port": st.one_of(st.integers(0, 70000), st.text(max_size=3)),
        }
    ),
    max_size=4,
)


@st.composite
def services(draw: st.DrawFn) -> Any:
    spec = {
        "type": draw(st.sampled_from(["LoadBalancer", "LoadBalancer", "ClusterIP", 3])),
        "ports": draw(st.one_of(ports, json_any)),
        "externalTrafficPolicy": draw(st.sampled_from(["Local", "Cluster", None])),
        "ipFamilies": draw(st.one_of(st.lists(st.sampled_from(["IPv4", "IPv6"]), max_size=2), json_any)),
        "loadBalancerSourceRanges": draw(st.one_of(st.lists(interesting_values, max_size=3), json_any)),
    }
    meta = {
        "name": draw(st.one_of(st.text(max_size=8), json_any)),
        "annotations": draw(st.one_of(annotation_maps, json_any)),
    }
    return draw(st.one_of(st.just({"metadata": meta, "spec": spec}), json_any))


peers = st.lists(
    st.builds(
        Peer,
        st.just("default"),
        st.text(max_size=5),
        st.text(max_size=3),
        st.sampled_from(LB_IDS),
        st.booleans(),
        st.frozensets(st.tuples(st.sampled_from(["TCP", "UDP"]), st.integers(1, 100))),
    ),
    max_size=4,
)


@settings(max_examples=400, deadline=None)
@given(services(), st.one_of(st.none(), services()), peers, st.sampled_from(CONFIGS))
def test_review_never_raises(service: Any, old: Any, peer_list: list[Peer], config: CloudConfig) -> None:
    verdict = review(service, old, peer_list, config)
    assert verdict.allowed == (not verdict.problems)
    assert all(isinstance(text, str) and text for text in verdict.problems + verdict.warnings)


@settings(max_examples=300, deadline=None)
@given(services(), st.sampled_from(CONFIGS))
def test_read_options_view_and_peer_never_raise(service: Any, config: CloudConfig) -> None:
    ServiceView.from_dict(service)
    peer_of(service, config)
    if isinstance(service, dict):
        _, problems = read_options(service, config)
        assert all(isinstance(problem, str) for problem in problems)


@settings(max_examples=300, deadline=None)
@given(annotation_maps, st.sampled_from(CONFIGS))
def test_random_annotations_give_problems_not_exceptions(
    annotations: dict[str, str], config: CloudConfig
) -> None:
    svc = {
        "metadata": {"name": "x", "annotations": annotations},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
    }
    verdict = review(svc, svc, [], config)
    for problem in verdict.problems:
        assert ":" in problem  # every problem names a key or field first
