"""Every admission rule of issue 2, table-driven: one Service in, the expected problem or warning out."""

from typing import Any

import pytest

from octavia_lb.common.config import CloudConfig, parse_cloud_config
from octavia_lb.common.rules import FINALIZER, MANAGED_CLASS, Verdict, is_managed, review
from tests.unit.builders import INTERNAL, LB_ID, UUID_A, UUID_B, P, service

DEFAULT = CloudConfig.default()
MONITOR_ON = parse_cloud_config("[LoadBalancer]\ncreate-monitor = true\n")
OVN = parse_cloud_config("[LoadBalancer]\nlb-provider = ovn\n")
EXTERNAL_STORE = parse_cloud_config("[LoadBalancer]\ncontainer-store = external\n")
CLASSES = parse_cloud_config('[LoadBalancerClass "dmz"]\nfloating-subnet = dmz-*\n')
SLOW_MONITOR = parse_cloud_config(
    "[LoadBalancer]\ncreate-monitor = true\nmonitor-delay = 2s\nmonitor-timeout = 1s\n"
)
TLS_DEFAULT = parse_cloud_config("[LoadBalancer]\ndefault-tls-container-ref = https://kms/v1/containers/x\n")
TLS_URL = f"https://barbican.example.com:9311/v1/containers/{UUID_A}"


def _case(id_: str, svc: dict[str, Any], fragment: str, config: CloudConfig = DEFAULT) -> Any:
    return pytest.param(svc, config, fragment, id=id_)


DENIED = [
    _case(
        "bool-not-lowercase",
        service(annotations={"keep-floatingip": "True"}),
        f'{P}keep-floatingip: "True" is not a boolean; use "true" or "false"',
    ),
    _case("internal-bool", service(annotations={INTERNAL: "yes"}), f'{INTERNAL}: "yes" is not a boolean'),
    _case(
        "int-not-number",
        service(annotations={"connection-limit": "many"}),
        f'{P}connection-limit: "many" is not an integer',
    ),
    _case(
        "connection-limit-zero",
        service(annotations={"connection-limit": "0"}),
        "use -1 (unlimited) or an integer ≥ 1",
    ),
    _case("timeout-negative", service(annotations={"timeout-member-data": "-1"}), "use 0..2073600000"),
    _case("timeout-too-big", service(annotations={"timeout-tcp-inspect": "2073600001"}), "use 0..2073600000"),
    _case(
        "monitor-delay-zero",
        service(annotations={"health-monitor-delay": "0"}),
        f'{P}health-monitor-delay: "0" is out of range',
    ),
    _case("max-retries-range", service(annotations={"health-monitor-max-retries": "0"}), "use 1..10"),
    _case(
        "max-retries-down-range", service(annotations={"health-monitor-max-retries-down": "11"}), "use 1..10"
    ),
    _case(
        "timeout-not-less-than-delay",
        service(annotations={"health-monitor-timeout": "10", "health-monitor-delay": "5"}),
        f'{P}health-monitor-timeout: "10" must be less than health-monitor-delay ("5")',
    ),
    _case(
        "timeout-equal-delay",
        service(
            annotations={
                "enable-health-monitor": "true",
                "health-monitor-timeout": "5",
                "health-monitor-delay": "5",
            }
        ),
        "must be less than health-monitor-delay",
    ),
    _case(
        "timeout-vs-config-delay",
        service(annotations={"health-monitor-timeout": "7"}),
        f'{P}health-monitor-timeout: "7" must be less than health-monitor-delay (5, from cloud.conf '
        "monitor-delay)",
    ),
    _case(
        "delay-vs-config-timeout",
        service(annotations={"health-monitor-delay": "2"}),
        f'{P}health-monitor-delay: "2" must be greater than health-monitor-timeout (3, from cloud.conf '
        "monitor-timeout)",
    ),
    _case(
        "udp-monitor-delay",
        service(
            annotations={
                "enable-health-monitor": "true",
                "health-monitor-delay": "2",
                "health-monitor-timeout": "1",
            },
            ports=[("UDP", 53)],
        ),
        f'{P}health-monitor-delay: "2" must be at least 3 because UDP port 53',
    ),
    _case(
        "udp-monitor-delay-from-config",
        service(ports=[("UDP", 53)]),
        "health-monitor-delay (2, from cloud.conf monitor-delay) must be at least 3",
        SLOW_MONITOR,
    ),
    _case(
        "proxy-value",
        service(annotations={"proxy-protocol": "v3"}),
        f'{P}proxy-protocol: "v3" is not a proxy-protocol value; use "true", "false", "v1" or "v2"',
    ),
    _case(
        "proxy-with-xff",
        service(annotations={"proxy-protocol": "v2", "x-forwarded-for": "true"}),
        f"annotation {P}proxy-protocol and {P}x-forwarded-for cannot be used together",
    ),
    _case(
        "proxy-on-udp",
        service(annotations={"proxy-protocol": "true"}, ports=[("TCP", 80), ("UDP", 53)]),
        f'{P}proxy-protocol: "true" cannot be used with UDP port 53 (spec.ports[1])',
    ),
    _case(
        "xff-on-sctp",
        service(annotations={"x-forwarded-for": "true"}, ports=[("SCTP", 9)]),
        f'{P}x-forwarded-for: "true" cannot be used with SCTP port 9',
    ),
    _case(
        "tls-on-udp",
        service(annotations={"default-tls-container-ref": TLS_URL}, ports=[("UDP", 443)]),
        f'{P}default-tls-container-ref: "{TLS_URL}" cannot be used with UDP port 443',
    ),
    _case(
        "tls-default-on-udp",
        service(ports=[("UDP", 443)]),
        "cloud.conf default-tls-container-ref cannot be used with UDP port 443",
        TLS_DEFAULT,
    ),
    _case(
        "unknown-class",
        service(annotations={"class": "public"}),
        f'{P}class: "public" is not a [LoadBalancerClass] in cloud.conf; known classes: dmz',
        CLASSES,
    ),
    _case("class-without-classes", service(annotations={"class": "public"}), "none are configured"),
    _case(
        "network-id-uuid", service(annotations={"network-id": "net"}), f'{P}network-id: "net" is not a UUID'
    ),
    _case("subnet-id-uuid", service(annotations={"subnet-id": "sub"}), f'{P}subnet-id: "sub" is not a UUID'),
    _case("port-id-uuid", service(annotations={"port-id": "p"}), f'{P}port-id: "p" is not a UUID'),
    _case("flavor-id-uuid", service(annotations={"flavor-id": "m1"}), f'{P}flavor-id: "m1" is not a UUID'),
    _case("lb-id-uuid", service(annotations={"load-balancer-id": "lb"}), f'{P}load-balancer-id: "lb" is not'),
    _case(
        "floating-regex", service(annotations={"floating-subnet": "~[a-"}), "invalid subnet regexp pattern"
    ),
    _case(
        "floating-tags", service(annotations={"floating-subnet-tags": "a,&b"}), "only allowed at the start"
    ),
    _case("hostname-ip", service(annotations={"hostname": "192.0.2.1"}), "is an IP address, not a DNS name"),
    _case("hostname-bad", service(annotations={"hostname": "under_score.example"}), "is not a DNS name"),
    _case("node-selector-key", service(annotations={"node-selector": "a b=c"}), "is not a label key"),
    _case(
        "source-range-bare-ip",
        service(loadBalancerSourceRanges=["10.0.0.1"]),
        'spec.loadBalancerSourceRanges[0]: "10.0.0.1" is not a CIDR; write an IP range such as 10.0.0.0/24; '
        "for a single address write 10.0.0.1/32",
    ),
    _case(
        "source-range-second-item",
        service(loadBalancerSourceRanges=["10.0.0.0/8", "x"]),
        'spec.loadBalancerSourceRanges[1]: "x" is not a CIDR',
    ),
    _case(
        "source-range-annotation",
        service(
            annotations={"service.beta.kubernetes.io/load-balancer-source-ranges": "10.0.0.0/8;11.0.0.0/8"}
        ),
        "is not a CIDR",
    ),
    _case(
        "tls-not-barbican",
        service(annotations={"default-tls-container-ref": "cert-1"}),
        "is not a Barbican URL",
    ),
    _case(
        "tls-wrong-path",
        service(annotations={"default-tls-container-ref": "https://kms/v1/orders/1"}),
        "path must end in /containers/<uuid> or /secrets/<uuid>",
    ),
    _case("lb-method", service(annotations={"lb-method": "RANDOM"}), "is not an Octavia lb_algorithm"),
    _case(
        "etp-local-without-monitor",
        service(externalTrafficPolicy="Local"),
        'spec.externalTrafficPolicy: "Local" needs a health monitor (cloud.conf create-monitor is false)',
    ),
    _case(
        "etp-local-monitor-off",
        service(annotations={"enable-health-monitor": "false"}, externalTrafficPolicy="Local"),
        f'{P}enable-health-monitor is "false"',
        MONITOR_ON,
    ),
    _case(
        "ovn-xff",
        service(annotations={"x-forwarded-for": "true"}),
        f'{P}x-forwarded-for: "true" is not supported by the ovn provider',
        OVN,
    ),
    _case(
        "ovn-proxy",
        service(annotations={"proxy-protocol": "v1"}),
        f'{P}proxy-protocol: "v1" is not supported by the ovn provider',
        OVN,
    ),
    _case(
        "ovn-tls",
        service(annotations={"default-tls-container-ref": TLS_URL}),
        "default-tls-container-ref",
        OVN,
    ),
    _case(
        "ovn-lb-method",
        service(annotations={"lb-method": "ROUND_ROBIN"}),
        'is not supported by the ovn provider; use "SOURCE_IP_PORT"',
        OVN,
    ),
    _case(
        "shape-ports",
        {"metadata": {"name": "x"}, "spec": {"type": "LoadBalancer", "ports": "80"}},
        'spec.ports: "80" must be a list',
    ),
    _case(
        "shape-annotation-value",
        {"metadata": {"name": "x", "annotations": {P + "hostname": 5}}, "spec": {"type": "LoadBalancer"}},
        "must be a string",
    ),
]


@pytest.mark.parametrize(("svc", "config", "fragment"), DENIED)
def test_denied(svc: dict[str, Any], config: CloudConfig, fragment: str) -> None:
    verdict = review(svc, None, [], config)
    assert not verdict.allowed
    assert any(fragment in problem for problem in verdict.problems), verdict.problems
    assert fragment in verdict.message


ALLOWED = [
    _case("basic", service(), ""),
    _case(
        "valid-values",
        service(
            annotations={
                "keep-floatingip": "true",
                "connection-limit": "-1",
                "timeout-client-data": "2073600000",
                "health-monitor-delay": "10",
                "health-monitor-timeout": "9",
                "health-monitor-max-retries": "10",
                "proxy-protocol": "v2",
                "subnet-id": UUID_A,
                "network-id": UUID_B,
                "hostname": "lb.example.com",
                "node-selector": "env=prod,gpu",
                "floating-subnet": "~pub-.*",
                "floating-subnet-tags": "!&a,b",
                "default-tls-container-ref": TLS_URL,
                "lb-method": "LEAST_CONNECTIONS",
            }
        ),
        "",
    ),
    _case("known-class", service(annotations={"class": "dmz"}), "", CLASSES),
    _case(
        "etp-local-with-monitor",
        service(annotations={"enable-health-monitor": "true"}, externalTrafficPolicy="Local"),
        "",
    ),
    _case("etp-local-config-monitor", service(externalTrafficPolicy="Local"), "", MONITOR_ON),
    _case(
        "tls-any-string-external-store",
        service(annotations={"default-tls-container-ref": "my-cert"}),
        "",
        EXTERNAL_STORE,
    ),
    _case(
        "udp-without-monitor",
        service(
            annotations={"health-monitor-delay": "2", "health-monitor-timeout": "1"}, ports=[("UDP", 53)]
        ),
        "",
    ),
    _case(
        "proxy-false-with-xff",
        service(annotations={"proxy-protocol": "false", "x-forwarded-for": "true"}),
        "",
    ),
    _case("source-range-cidr", service(loadBalancerSourceRanges=["192.168.32.1/24", "2001:db8::/64"]), ""),
    _case("ovn-source-ip-port", service(annotations={"lb-method": "SOURCE_IP_PORT"}), "", OVN),
]


@pytest.mark.parametrize(("svc", "config", "fragment"), ALLOWED)
def test_allowed(svc: dict[str, Any], config: CloudConfig, fragment: str) -> None:
    verdict = review(svc, None, [], config)
    assert verdict.allowed, verdict.problems
    assert verdict.message == ""


WARNED = [
    _case(
        "unknown-key-did-you-mean",
        service(annotations={"keep-floating-ip": "true"}),
        f"unknown annotation {P}keep-floating-ip is ignored; did you mean {P}keep-floatingip?",
    ),
    _case("unknown-key-no-guess", service(annotations={"zzz": "1"}), f"unknown annotation {P}zzz is ignored"),
    _case(
        "two-ip-families",
        service(ipFamilies=["IPv6", "IPv4"]),
        'spec.ipFamilies: ["IPv6", "IPv4"] has two families; both are served when Octavia has API 2.26+ '
        "(additional VIPs) and the VIP network has an IPv4 subnet; otherwise only IPv6, with a "
        "LoadBalancerDualStackUnavailable event saying why",
    ),
    _case(
        "two-ip-families-ovn",
        service(ipFamilies=["IPv4", "IPv6"]),
        'spec.ipFamilies: ["IPv4", "IPv6"] has two families; only the first (IPv4) is served with cloud.conf '
        "lb-provider = ovn",
        OVN,
    ),
    _case(
        "two-ip-families-serial",
        service(ipFamilies=["IPv4", "IPv6"]),
        "only the first (IPv4) is served with cloud.conf provider-requires-serial-api-calls = true",
        parse_cloud_config("[LoadBalancer]\nprovider-requires-serial-api-calls = true\n"),
    ),
    _case(
        "floating-on-internal",
        service(annotations={INTERNAL: "true", "floating-network-id": UUID_A}),
        f"{P}floating-network-id is ignored on an internal Service",
    ),
    _case(
        "user-set-address",
        service(annotations={"load-balancer-address": "203.0.113.9"}),
        f"{P}load-balancer-address is written by the controller",
    ),
    _case(
        "negated-any-tags",
        service(annotations={"floating-subnet-tags": "!a,b"}),
        f'{P}floating-subnet-tags: "!a,b" selects floating subnets carrying none of the tags a, b (Neutron '
        "not-tags-any); OCCM selects the same ones",
    ),
    _case(
        "negated-all-tags",
        service(annotations={"floating-subnet-tags": "!&a,b"}),
        f'{P}floating-subnet-tags: "!&a,b" selects floating subnets lacking at least one of the tags a, b '
        "(Neutron not-tags), as OCCM's documentation says; OCCM's code selects only subnets carrying none",
    ),
    _case(
        "ovn-ignores-timeouts",
        service(annotations={"timeout-client-data": "1000"}),
        f"{P}timeout-client-data is ignored by the ovn provider",
        OVN,
    ),
    _case(
        "ovn-ignores-flavor",
        service(annotations={"flavor-id": UUID_A}),
        f"{P}flavor-id is ignored by the ovn provider",
        OVN,
    ),
    _case(
        "ovn-ignores-az",
        service(annotations={"availability-zone": "az1"}),
        f"{P}availability-zone is ignored by the ovn provider",
        OVN,
    ),
]


@pytest.mark.parametrize(("svc", "config", "fragment"), WARNED)
def test_warned_but_allowed(svc: dict[str, Any], config: CloudConfig, fragment: str) -> None:
    verdict = review(svc, None, [], config)
    assert verdict.allowed, verdict.problems
    assert any(fragment in warning for warning in verdict.warnings), verdict.warnings


def test_plain_tag_lists_get_no_negation_warning() -> None:
    for tags in ("a,b", "&a,b"):
        assert review(service(annotations={"floating-subnet-tags": tags}), None, [], DEFAULT).warnings == []


def test_all_problems_reported_at_once() -> None:
    svc = service(
        annotations={"keep-floatingip": "True", "connection-limit": "0", "subnet-id": "x"},
        loadBalancerSourceRanges=["1.2.3.4"],
    )
    verdict = review(svc, None, [], DEFAULT)
    assert len(verdict.problems) == 4
    assert verdict.message == "; ".join(verdict.problems)


def test_internal_forced_by_config_ignores_floating() -> None:
    config = parse_cloud_config("[LoadBalancer]\ninternal-lb = true\n")
    verdict = review(service(annotations={"floating-subnet": "pub"}), None, [], config)
    assert verdict.warnings == [f"{P}floating-subnet is ignored on an internal Service (no floating IP)"]


@pytest.mark.parametrize(
    "svc",
    [
        pytest.param(
            {
                "spec": {"type": "ClusterIP", "ports": "junk"},
                "metadata": {"annotations": {P + "keep-floatingip": "True"}},
            },
            id="cluster-ip",
        ),
        pytest.param(
            service(annotations={"keep-floatingip": "True"}, loadBalancerClass="example.com/other"),
            id="other-class",
        ),
        pytest.param({"kind": "Service"}, id="no-spec"),
        pytest.param([], id="not-a-dict"),
    ],
)
def test_not_managed_is_allowed_untouched(svc: Any) -> None:
    assert not is_managed(svc)
    assert review(svc, None, [], DEFAULT) == Verdict()


def test_managed_class_and_finalizer() -> None:
    assert is_managed(service(loadBalancerClass=MANAGED_CLASS))
    assert is_managed(service())
    assert FINALIZER == "loadbalancer.openstack.org/cleanup"
    assert not review(
        service(loadBalancerClass=MANAGED_CLASS, externalTrafficPolicy="Local"), None, [], DEFAULT
    ).allowed


def test_lb_id_case_is_ignored_for_comparison() -> None:
    assert review(service(annotations={"load-balancer-id": LB_ID.upper()}), None, [], DEFAULT).allowed
