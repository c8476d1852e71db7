"""The webhook's fast paths give exactly the answers of the slow ones they stand in for.

`wire.decode` (msgspec into typed structs) parses what the checked path parses, `ServiceView.from_dict`
skips per-field bookkeeping for well-typed Services, the Service-only rules are memoised, annotation values
are parsed once per (key, value), the metrics reuse labelled children: each is checked against the plain
computation.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from octavia_lb_devkit.testing.samples import ANN, basic_review, encode, rich_review, service
from prometheus_client import generate_latest

from octavia_lb.common import options, rules
from octavia_lb.common.annotations import ANNOTATIONS, AnnotationError, parse_annotation
from octavia_lb.common.config import CloudConfig
from octavia_lb.common.service import PortView, ServiceView
from octavia_lb.webhook import wire
from octavia_lb.webhook.admission import BadRequest, parse_review, parse_review_checked
from octavia_lb.webhook.metrics import create_metrics
from octavia_lb.webhook.shape import check_fields_the_view_skips, check_service_shape

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 70000), st.text(max_size=8), st.sampled_from(["", "TCP", "UDP"])
)
# mostly the right types, sometimes wrong ones, so both the fast path and its fallback are exercised
strings = st.one_of(st.none(), st.text(max_size=10), st.text(max_size=10), scalars)
ints = st.one_of(st.none(), st.integers(-5, 70000), st.integers(0, 9), scalars)
ports = st.lists(
    st.one_of(
        st.fixed_dictionaries({}, optional={"name": strings, "protocol": strings, "port": ints,
                                            "nodePort": ints, "targetPort": ints}),
        scalars,
    ),
    max_size=3,
)
strings_ok = st.sampled_from(["true", "false", "5", "-1", "x", "", "ROUND_ROBIN", "v2", "a,b", "!&a"])
CONFIG = CloudConfig.default()
string_lists = st.one_of(st.none(), st.lists(strings, max_size=3), scalars)
metadata = st.fixed_dictionaries(
    {},
    optional={
        "name": strings, "namespace": strings, "generateName": strings, "uid": strings,
        "deletionTimestamp": strings, "finalizers": string_lists, "resourceVersion": strings,
        "labels": st.one_of(st.none(), st.dictionaries(st.text(max_size=6), strings, max_size=2), scalars),
        "annotations": st.one_of(st.none(), st.dictionaries(st.text(max_size=6), strings, max_size=3),
                                 scalars, st.lists(scalars, max_size=1)),
    },
)
spec = st.fixed_dictionaries(
    {},
    optional={
        "type": strings, "externalTrafficPolicy": strings, "loadBalancerIP": strings,
        "sessionAffinity": strings, "loadBalancerClass": strings, "healthCheckNodePort": ints,
        "ports": st.one_of(st.none(), ports, scalars), "ipFamilies": string_lists,
        "loadBalancerSourceRanges": string_lists, "externalIPs": string_lists, "ipFamilyPolicy": strings,
        "selector": st.one_of(st.none(), st.dictionaries(st.text(max_size=6), strings, max_size=2), scalars),
    },
)
services = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={"metadata": st.one_of(metadata, scalars, st.lists(scalars, max_size=1)),
                  "spec": st.one_of(spec, scalars)},
    ),
    scalars,
)


@settings(max_examples=400, deadline=None)
@given(data=services)
def test_view_fast_path_equals_the_field_by_field_reader(data: Any) -> None:
    assert ServiceView.from_dict(data) == ServiceView._read(data)


def _mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly well-formed values, so that both the fast path and the fallback are exercised."""
    return st.integers(0, 7).flatmap(lambda roll: bad if roll == 0 else good)


well_typed_services = st.fixed_dictionaries(
    {"metadata": st.fixed_dictionaries({"name": st.sampled_from(["web", ""])},
                                       optional={"namespace": st.sampled_from(["team-a", ""]),
                                                 "finalizers": st.lists(st.sampled_from(["a/b", "c"]))}),
     "spec": st.fixed_dictionaries({"type": st.sampled_from(["LoadBalancer", "ClusterIP"])},
                                   optional={"loadBalancerClass": st.sampled_from(["", "x", None])})},
)
reviews = st.fixed_dictionaries(
    {
        "apiVersion": _mostly(st.just("admission.k8s.io/v1"), scalars),
        "kind": _mostly(st.just("AdmissionReview"), scalars),
        "request": _mostly(
            st.fixed_dictionaries(
                {
                    "uid": _mostly(st.just("u-1"), scalars),
                    "operation": _mostly(st.sampled_from(["CREATE", "UPDATE", "DELETE", "CONNECT"]), scalars),
                },
                optional={
                    "kind": _mostly(
                        st.fixed_dictionaries(
                            {}, optional={"kind": _mostly(st.sampled_from(["Service", "Pod"]), scalars)}
                        ),
                        scalars,
                    ),
                    "namespace": _mostly(st.sampled_from(["team-a", ""]), strings),
                    "name": _mostly(st.just("web"), strings),
                    "dryRun": _mostly(st.booleans(), scalars),
                    "object": _mostly(well_typed_services, st.one_of(st.none(), services)),
                    "oldObject": _mostly(well_typed_services, st.one_of(st.none(), services)),
                },
            ),
            scalars,
        ),
    },
)


def _outcome(parse: Any, body: bytes) -> Any:
    try:
        return parse(body)
    except BadRequest as exc:
        return f"400: {exc}"


@settings(max_examples=600, deadline=None)
@given(review=reviews)
def test_wire_decoder_accepts_only_what_the_checked_path_accepts_and_reads_it_alike(review: Any) -> None:
    body = encode(review)
    checked = _outcome(parse_review_checked, body)
    fast = wire.decode(body)
    if fast is not None:
        assert fast == checked
    assert _outcome(parse_review, body) == checked


@pytest.mark.parametrize("make", [basic_review, rich_review], ids=["basic", "rich"])
def test_wire_decoder_takes_the_samples(make: Any) -> None:
    """The benchmarked reviews must take the fast path, or the benchmark measures the wrong one."""
    body = encode(make())
    fast = wire.decode(body)
    assert fast is not None and fast == parse_review_checked(body)


@settings(max_examples=400, deadline=None)
@given(data=services)
def test_shape_check_after_the_view_accepts_and_rejects_as_the_full_check(data: Any) -> None:
    """The hot path checks only the fields the view does not read; it must say what the full check says."""
    if not isinstance(data, dict):
        return
    view = ServiceView.well_typed(data)
    if view is not None:
        assert check_fields_the_view_skips(data) == check_service_shape(data)


@settings(max_examples=300, deadline=None)
@given(
    annotations=st.dictionaries(st.sampled_from([*sorted(ANNOTATIONS), "other/x"]), strings_ok, max_size=4),
    families=st.sampled_from([(), ("IPv4",), ("IPv6",)]),
    ranges=st.sampled_from([(), ("10.0.0.0/8",), ("10.0.0.1",)]),
)
def test_memoised_options_equal_a_fresh_resolution(
    annotations: dict[str, str], families: tuple[str, ...], ranges: tuple[str, ...]
) -> None:
    """Options are memoised per annotation set; a hit must give what resolving afresh gives, problems too."""
    view = ServiceView(annotations=annotations, ip_families=families, source_ranges=ranges)
    fresh: list[str] = []
    expected = options._resolve(view, CONFIG, fresh)
    for _ in range(2):  # the first call may fill the memo, the second reads it
        problems: list[str] = []
        assert options.resolve(view, CONFIG, problems) == expected
        assert problems == fresh


@pytest.mark.parametrize(
    "data",
    [
        service(),
        service(annotations={ANN + "x": "1"}, ports=[("UDP", 53), ("TCP", 80)], loadBalancerClass="x"),
        rich_review()["request"]["object"],
        {"metadata": [], "spec": {}},  # falsy but wrong: must be reported, not read as empty
        {"metadata": {"annotations": ""}},
        {"spec": {"ports": [{"port": True}]}},
    ],
    ids=["basic", "udp-class", "rich", "metadata-list", "annotations-empty-string", "bool-port"],
)
def test_view_fast_path_on_known_shapes(data: dict[str, Any]) -> None:
    view = ServiceView.from_dict(data)
    assert view == ServiceView._read(data)
    if data.get("metadata") == [] or data.get("metadata", {}).get("annotations") == "":
        assert view.problems, "a wrong type must still be reported"


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        (ANN + "health-monitor-delay", "5"),
        (ANN + "health-monitor-delay", "0"),
        (ANN + "enable-health-monitor", "True"),
        (ANN + "floating-subnet", "~[unclosed"),
        (ANN + "floating-subnet-tags", "&!a"),
        (ANN + "node-selector", "env=prod,zone"),
        (ANN + "load-balancer-id", "3F1C6A9E-8A52-4D8E-9A43-6F1D2B7C9E10"),
    ],
)
def test_memoised_parse_repeats_the_same_value_or_error(key: str, raw: str) -> None:
    def outcome() -> tuple[str, Any]:
        try:
            return "value", parse_annotation(key, raw)
        except AnnotationError as exc:
            return "error", str(exc)

    first = outcome()
    assert [outcome() for _ in range(3)] == [first] * 3
    if first[0] == "error":
        assert key in first[1] and raw in first[1]


def test_memoised_node_selector_is_a_private_copy() -> None:
    key = ANN + "node-selector"
    mine = parse_annotation(key, "env=prod")
    mine["env"] = "changed"
    assert parse_annotation(key, "env=prod") == {"env": "prod"}


def test_long_values_bypass_the_memo_and_parse_the_same() -> None:
    key = ANN + "node-selector"
    raw = ",".join(f"k{i}=v{i}" for i in range(60))  # longer than the memo's limit
    assert len(raw) > 256
    assert parse_annotation(key, raw) == {f"k{i}": f"v{i}" for i in range(60)}
    bad = "x" * 300
    with pytest.raises(AnnotationError, match="is not a UUID"):
        parse_annotation(ANN + "load-balancer-id", bad)


def test_unknown_keys_still_raise_key_error() -> None:
    assert ANN + "nope" not in ANNOTATIONS
    with pytest.raises(KeyError):
        parse_annotation(ANN + "nope", "1")


def test_metrics_with_bound_children_count_every_observation() -> None:
    metrics = create_metrics(lambda: 0)
    for _ in range(3):
        metrics.observe("validate", "CREATE", "allowed", 0.0002)
    metrics.observe("validate", "UPDATE", "denied", 0.003)
    text = generate_latest(metrics.registry).decode()
    count = 'octavia_lb_webhook_admissions_total{{operation="{}",verdict="{}",webhook="validate"}} {}'
    assert count.format("CREATE", "allowed", "3.0") in text
    assert count.format("UPDATE", "denied", "1.0") in text
    assert ('octavia_lb_webhook_admission_duration_seconds_bucket{le="0.0005",operation="CREATE",'
            'verdict="allowed",webhook="validate"} 3.0') in text
    assert ('octavia_lb_webhook_admission_duration_seconds_bucket{le="0.0025",operation="UPDATE",'
            'verdict="denied",webhook="validate"} 0.0') in text


rule_annotations = st.dictionaries(
    st.sampled_from([*sorted(ANNOTATIONS), ANN + "helth-monitor-delay", "other/x"]), strings_ok, max_size=4
)
port_views = st.lists(
    st.builds(PortView, st.sampled_from(["", "http"]), st.sampled_from(["TCP", "UDP", "SCTP"]),
              st.sampled_from([53, 80, 443]), st.sampled_from([0, 30080])),
    max_size=2,
).map(tuple)
rule_views = st.builds(
    ServiceView,
    annotations=rule_annotations,
    ports=port_views,
    ip_families=st.sampled_from([(), ("IPv4",), ("IPv4", "IPv6")]),
    source_ranges=st.sampled_from([(), ("10.0.0.0/8",), ("10.0.0.1",)]),
    external_traffic_policy=st.sampled_from(["Cluster", "Local"]),
    problems=st.sampled_from([(), ("spec.sessionAffinity: 5 must be a string",)]),
)
other_fields = st.fixed_dictionaries({
    "namespace": st.sampled_from(["default", "team-b"]), "name": st.sampled_from(["", "db"]),
    "uid": st.sampled_from(["", "u-2"]), "type": st.sampled_from(["LoadBalancer", "NodePort"]),
    "load_balancer_ip": st.sampled_from(["", "10.0.0.9"]),
    "session_affinity": st.sampled_from(["None", "ClientIP"]),
    "health_check_node_port": st.sampled_from([0, 31000]), "finalizers": st.sampled_from([(), ("a/b",)]),
    "load_balancer_class": st.sampled_from([None, "x"]),
})


@settings(max_examples=300, deadline=None)
@given(
    view=rule_views,
    old=st.one_of(st.none(), rule_views),
    other=other_fields,
    noise=st.tuples(st.sampled_from(["example.com/x", ANN + "tyop"]), st.text(max_size=4)),
)
def test_the_service_rules_read_nothing_outside_their_memo_key(
    view: ServiceView, old: ServiceView | None, other: dict[str, Any], noise: tuple[str, str]
) -> None:
    """Two Services with the same `alone_key` must get the same findings, or the memo would mix them up."""
    twin = msgspec.structs.replace(view, annotations={**view.annotations, noise[0]: noise[1]}, **other)
    if rules.alone_key(twin, old) == rules.alone_key(view, old):
        assert rules.judge_alone(twin, old, CONFIG) == rules.judge_alone(view, old, CONFIG)
    else:
        assert noise[0].startswith(ANN), "only an annotation the rules read may change the key"


@settings(max_examples=200, deadline=None)
@given(view=rule_views, old=st.one_of(st.none(), rule_views))
def test_memoised_review_equals_a_fresh_one(view: ServiceView, old: ServiceView | None) -> None:
    for _ in range(2):  # the first call may fill the memo, the second reads it
        assert rules.review_view(view, old, [], CONFIG) == _fresh_review(view, old)


def _fresh_review(view: ServiceView, old: ServiceView | None) -> rules.Verdict:
    _, problems, warnings = rules.judge_alone(view, old, CloudConfig.default())  # a new config: no memo
    return rules.Verdict(problems=list(dict.fromkeys(problems)), warnings=list(dict.fromkeys(warnings)))


@pytest.mark.parametrize("depth", [100, 2000, 100_000])
def test_deep_nesting_falls_back_to_the_checked_path(depth: int) -> None:
    """msgspec raises RecursionError sooner than orjson's limit; that must mean "checked path", not a 500."""
    nested = b'"metadata":{"x":' + b"[" * depth + b"]" * depth + b","
    body = encode(basic_review()).replace(b'"metadata":{', nested, 1)
    assert _outcome(parse_review, body) == _outcome(parse_review_checked, body)
