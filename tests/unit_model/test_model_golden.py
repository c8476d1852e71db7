"""Golden test: a plain Service → the complete desired graph, every field spelled out."""

from __future__ import annotations

from octavia_lb.common.model import (
    DesiredService,
    StatusPolicy,
    WantFloatingIP,
    WantListener,
    WantLoadBalancer,
    WantMember,
    WantPool,
)
from octavia_lb.common.options import FloatingSubnetSpec
from tests.unit_model.helpers import build, nodes

NAME = "kube_service_kubernetes_shop_web"


def test_plain_service_graph() -> None:
    got = build(node_list=nodes("n2=10.0.0.2", "n1=10.0.0.1"))
    assert got == DesiredService(
        namespace="shop",
        name="web",
        lb_name=NAME,
        legacy_name="a0f1e2d3caaaabbbbcccc1234567890a",
        load_balancer=WantLoadBalancer(
            name=NAME,
            description="Kubernetes external service shop/web from cluster kubernetes",
            tags=(NAME,),
            provider="amphora",
            flavor_id=None,
            availability_zone=None,
            vip_network_id=None,
            vip_subnet_id="vip-subnet",
            vip_port_id=None,
            vip_address=None,
        ),
        listeners=(
            WantListener(
                name=f"listener_0_{NAME}",
                protocol="TCP",
                port=80,
                service_protocol="TCP",
                connection_limit=-1,
                timeouts=(50000, 5000, 50000, 0),
                allowed_cidrs=("0.0.0.0/0",),
                insert_headers=(),
                tls_container_ref=None,
                tags=(NAME,),
                pool=WantPool(
                    name=f"pool_0_{NAME}",
                    protocol="TCP",
                    lb_algorithm="ROUND_ROBIN",
                    session_persistence=None,
                    monitor=None,
                    members=(
                        WantMember("n1", "10.0.0.1", 30080, "vip-subnet", None),
                        WantMember("n2", "10.0.0.2", 30080, "vip-subnet", None),
                    ),
                ),
            ),
        ),
        floating_ip=WantFloatingIP(
            network_id="public-net",
            subnet=FloatingSubnetSpec(),
            address=None,
            description="Floating IP for Kubernetes external service shop/web from cluster kubernetes",
        ),
        internal=False,
        keep_floatingip=False,
        shared_id=None,
        status=StatusPolicy(hostname=None, proxy=False, ingress_hostname_suffix=None),
        notices=(),
        ip_family="IPv4",
    )


def test_building_twice_gives_equal_graphs() -> None:
    assert build() == build()
