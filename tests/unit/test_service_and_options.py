"""ServiceView tolerates any shape; read_options resolves annotation > class > cloud.conf."""

from typing import Any

import pytest

from octavia_lb.common.config import CloudConfig, parse_cloud_config
from octavia_lb.common.options import FloatingSubnetSpec, read_options
from octavia_lb.common.service import PortView, ServiceView
from octavia_lb.common.values import ProxyProtocol
from tests.unit.builders import INTERNAL, UUID_A, UUID_B, service

CONF = parse_cloud_config("""
[LoadBalancer]
subnet-id = conf-subnet
network-id = conf-net
member-subnet-id = conf-member
floating-network-id = conf-fip-net
floating-subnet = conf-*
create-monitor = yes
monitor-delay = 7s
node-selector = role=lb
[LoadBalancerClass "c"]
subnet-id = class-subnet
member-subnet-id = class-member
floating-network-id = class-fip-net
floating-subnet-tags = public
""")


def test_view_reads_fields_and_defaults() -> None:
    view = ServiceView.from_dict(
        {
            "metadata": {
                "name": "web",
                "uid": "u1",
                "finalizers": ["f"],
                "deletionTimestamp": "2026-01-01T00:00:00Z",
                "annotations": {"a": "b"},
            },
            "spec": {
                "type": "LoadBalancer",
                "ports": [{"port": 80, "nodePort": 30080}, {"name": "dns", "port": 53, "protocol": "UDP"}],
                "ipFamilies": ["IPv4"],
                "healthCheckNodePort": 32000,
                "loadBalancerIP": "1.2.3.4",
                "sessionAffinity": "ClientIP",
                "loadBalancerClass": "x/y",
            },
        }
    )
    assert (view.namespace, view.name, view.uid, view.key) == ("default", "web", "u1", "default/web")
    assert view.ports == (PortView("", "TCP", 80, 30080), PortView("dns", "UDP", 53, 0))
    assert view.external_traffic_policy == "Cluster" and view.health_check_node_port == 32000
    assert (view.load_balancer_ip, view.session_affinity, view.load_balancer_class) == (
        "1.2.3.4",
        "ClientIP",
        "x/y",
    )
    assert view.finalizers == ("f",) and view.deletion_timestamp == "2026-01-01T00:00:00Z"
    assert view.problems == ()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (None, "(object): null must be an object"),
        ({"metadata": []}, "metadata: [] must be an object"),
        ({"spec": {"ports": [5]}}, "spec.ports[0]: 5 must be an object"),
        ({"spec": {"ports": [{"port": "80"}]}}, 'spec.ports[0].port: "80" must be an integer'),
        ({"spec": {"ports": [{"port": True}]}}, "spec.ports[0].port: true must be an integer"),
        ({"spec": {"ipFamilies": "IPv4"}}, 'spec.ipFamilies: "IPv4" must be a list of strings'),
        ({"spec": {"loadBalancerSourceRanges": [1]}}, "spec.loadBalancerSourceRanges[0]: 1 must be a string"),
        ({"metadata": {"annotations": {"k": None}}}, 'metadata.annotations["k"]: null must be a string'),
        ({"metadata": {"name": 7}}, "metadata.name: 7 must be a string"),
    ],
    ids=[
        "none",
        "metadata-list",
        "port-int",
        "port-string",
        "port-bool",
        "families-string",
        "range-int",
        "annotation-null",
        "name-int",
    ],
)
def test_view_turns_bad_shapes_into_problems(data: Any, fragment: str) -> None:
    assert fragment in ServiceView.from_dict(data).problems


def test_options_defaults_from_empty_config() -> None:
    options, problems = read_options(service(), CloudConfig.default())
    assert problems == []
    assert (options.internal, options.connection_limit, options.lb_method) == (False, -1, "ROUND_ROBIN")
    assert (options.timeout_client_data, options.timeout_member_connect) == (50000, 5000)
    assert (options.health_monitor_delay, options.health_monitor_timeout) == (5, 3)
    assert options.proxy_protocol is ProxyProtocol.OFF and options.source_ranges == ("0.0.0.0/0",)
    assert options.load_balancer_id is None and options.hostname is None


def test_options_from_config() -> None:
    options, _ = read_options(service(), CONF)
    assert (options.subnet_id, options.network_id, options.member_subnet_id) == (
        "conf-subnet",
        "conf-net",
        "conf-member",
    )
    assert options.floating_network_id == "conf-fip-net"
    assert options.floating_subnet == FloatingSubnetSpec(pattern="conf-*")
    assert options.enable_health_monitor and options.health_monitor_delay == 7
    assert dict(options.node_selector) == {"role": "lb"}


def test_annotation_beats_config() -> None:
    options, problems = read_options(
        service(
            annotations={
                "subnet-id": UUID_A,
                "member-subnet-id": UUID_B,
                "health-monitor-delay": "9",
                "node-selector": "",
                "floating-subnet-id": UUID_B,
                "enable-health-monitor": "false",
            }
        ),
        CONF,
    )
    assert problems == []
    assert (options.subnet_id, options.member_subnet_id, options.health_monitor_delay) == (UUID_A, UUID_B, 9)
    assert dict(options.node_selector) == {} and not options.enable_health_monitor
    assert options.floating_subnet == FloatingSubnetSpec(subnet_id=UUID_B)


def test_class_precedence_external_and_internal() -> None:
    annotations = {
        "class": "c",
        "subnet-id": UUID_A,
        "member-subnet-id": UUID_B,
        "floating-network-id": UUID_A,
    }
    external, _ = read_options(service(annotations=annotations), CONF)
    assert external.subnet_id == "class-subnet"  # the class wins for external Services (OCCM)
    assert external.member_subnet_id == UUID_B  # member subnet: annotation first
    assert external.floating_network_id == "class-fip-net"
    assert external.floating_subnet == FloatingSubnetSpec(tags="public")
    internal, _ = read_options(service(annotations={**annotations, INTERNAL: "true"}), CONF)
    assert internal.subnet_id == UUID_A and internal.internal and internal.class_name == "c"


def test_source_ranges_precedence_and_ipv6_default() -> None:
    key = "service.beta.kubernetes.io/load-balancer-source-ranges"
    spec_first, _ = read_options(
        service(annotations={key: "10.0.0.0/8"}, loadBalancerSourceRanges=["1.0.0.0/8"]),
        CloudConfig.default(),
    )
    assert spec_first.source_ranges == ("1.0.0.0/8",)
    from_annotation, _ = read_options(service(annotations={key: "10.0.0.1/8"}), CloudConfig.default())
    assert from_annotation.source_ranges == ("10.0.0.0/8",)
    ipv6, _ = read_options(service(ipFamilies=["IPv6"]), CloudConfig.default())
    assert ipv6.source_ranges == ("::/0",) and ipv6.ip_family == "IPv6"
