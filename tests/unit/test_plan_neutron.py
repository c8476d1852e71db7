"""The pure floating IP and security group planners: desired + observed state in, steps out."""

from __future__ import annotations

import dataclasses
import inspect
import subprocess
import sys
import typing

import pytest

from octavia_lb.common import naming
from octavia_lb.common.model import DesiredService, NodeView, WantFloatingIP
from octavia_lb.common.options import FloatingSubnetSpec
from octavia_lb.worker.cloud.errors import PermanentError
from octavia_lb.worker.cloud.gateway import Gateway
from octavia_lb.worker.cloud.observed import (
    FloatingIpId,
    OsFloatingIP,
    OsPort,
    OsSecurityGroup,
    OsSecurityRule,
)
from octavia_lb.worker.cloud.readonly import WRITES
from octavia_lb.worker.plan import floating_ip as fip_plan
from octavia_lb.worker.plan import security_group as sg_plan
from octavia_lb.worker.plan import steps
from octavia_lb.worker.plan.floating_ip import SubnetLookup
from octavia_lb.worker.plan.load_balancer import PlanError
from octavia_lb.worker.plan.security_group import GroupSeen, Place, Rule
from tests.unit_model.helpers import LB, build, service

OURS = "Floating IP for Kubernetes external service shop/web from cluster kubernetes"


def fip(port: str | None = "vip-port", description: str = OURS, address: str = "172.24.4.9") -> OsFloatingIP:
    return OsFloatingIP(FloatingIpId("f-1"), address, port, "public-net", description)


def wanting(network_id: str = "public-net", address: str | None = None) -> DesiredService:
    want = build()
    assert want.floating_ip is not None
    wish = dataclasses.replace(want.floating_ip, network_id=network_id, address=address)
    return dataclasses.replace(want, floating_ip=wish)


# ---- floating IP ----------------------------------------------------------------------------------
def test_a_floating_ip_on_the_vip_port_is_kept_and_shown() -> None:
    decision = fip_plan.decide(build(), LB, fip(), owner=True)
    assert decision == fip_plan.FipDecision("172.24.4.9")


def test_a_missing_floating_ip_is_wished_for_with_the_vip_as_fallback() -> None:
    want = build()
    decision = fip_plan.decide(want, LB, None, owner=True)
    assert (decision.address, decision.step, decision.wish) == ("10.0.0.9", None, want.floating_ip)


def test_an_internal_service_releases_what_we_made_and_detaches_what_we_did_not() -> None:
    internal = build(service({"service.beta.kubernetes.io/openstack-internal-load-balancer": "true"}))
    assert internal.floating_ip is None
    made = fip_plan.decide(internal, LB, fip(), owner=True)
    assert made.address == "10.0.0.9" and made.step == steps.DeleteFloatingIp(FloatingIpId("f-1"))
    by_hand = fip_plan.decide(internal, LB, fip(description="made by hand"), owner=True)
    assert by_hand.step == steps.AttachFloatingIp(FloatingIpId("f-1"), None)
    kept = dataclasses.replace(internal, keep_floatingip=True)
    assert fip_plan.decide(kept, LB, fip(), owner=True).step == steps.AttachFloatingIp(
        FloatingIpId("f-1"), None
    )
    # a Service sharing the load balancer never touches its floating IP
    assert fip_plan.decide(internal, LB, fip(), owner=False) == fip_plan.FipDecision("10.0.0.9")


def test_a_sharing_service_cannot_ask_for_a_floating_ip() -> None:
    with pytest.raises(PlanError, match="only owner Service can do that"):
        fip_plan.decide(build(), LB, None, owner=False)


def test_an_ipv6_vip_gets_no_floating_ip() -> None:
    v6 = dataclasses.replace(LB, vip_address="fd00::9")
    assert fip_plan.decide(build(), v6, None, owner=True) == fip_plan.FipDecision("fd00::9")


def test_without_address_or_floating_network_the_vip_is_served() -> None:
    decision = fip_plan.decide(wanting(network_id="", address=None), LB, None, owner=True)
    assert decision == fip_plan.FipDecision("10.0.0.9")


def test_the_floating_ip_of_load_balancer_ip_is_attached_unless_another_port_holds_it() -> None:
    wish = wanting(address="172.24.4.9").floating_ip
    assert wish is not None
    step = fip_plan.reuse_step(wish, LB, fip(port=None))
    assert step == steps.AttachFloatingIp(FloatingIpId("f-1"), "vip-port")
    assert fip_plan.reuse_step(wish, LB, None) is None
    with pytest.raises(PlanError, match="floating IP 172.24.4.9 is not available"):
        fip_plan.reuse_step(wish, LB, fip(port="someone-elses-port"))


def test_a_create_tries_each_subnet_matching_the_pattern_in_neutron_order() -> None:
    wish = WantFloatingIP("public-net", FloatingSubnetSpec(pattern="pub*"), None, "ours")
    assert fip_plan.subnet_lookup(wish) is SubnetLookup.LIST
    chosen = fip_plan.choose_subnets(wish, listed=[("s1", "public-a"), ("s2", "private"), ("s3", "public-b")])
    assert chosen == ["s1", "s3"]
    create = fip_plan.create_step(wish, LB, chosen)
    assert create is not None
    assert [a.get("subnet_id") for a in create.attempts] == ["s1", "s3"]
    assert create.args == ({"floating_network_id": "public-net", "port_id": "vip-port", "description": "ours",
                            "subnet_id": "s1"},)  # fmt: skip
    with pytest.raises(PermanentError, match='no subnet matching pattern: "pub\\*" found'):
        fip_plan.choose_subnets(wish, listed=[("s2", "private")])


def test_a_subnet_id_must_exist_on_the_floating_network() -> None:
    wish = WantFloatingIP("public-net", FloatingSubnetSpec(subnet_id="s9"), None, "ours")
    assert fip_plan.subnet_lookup(wish) is SubnetLookup.NETWORK_OF_SUBNET
    assert fip_plan.choose_subnets(wish, network_of_subnet="public-net") == ["s9"]
    with pytest.raises(PermanentError, match='failed to find subnet "s9"'):
        fip_plan.choose_subnets(wish, network_of_subnet=None)
    with pytest.raises(PermanentError, match='doesn\'t belong to the network "other-net"'):
        fip_plan.choose_subnets(wish, network_of_subnet="other-net")


def test_an_address_without_a_floating_network_creates_nothing() -> None:
    wish = WantFloatingIP("", FloatingSubnetSpec(subnet_id="s9"), "172.24.4.9", "ours")
    assert fip_plan.subnet_lookup(wish) is SubnetLookup.NONE  # no read for a create that will not happen
    assert fip_plan.create_step(wish, LB, fip_plan.choose_subnets(wish)) is None


# ---- security group -------------------------------------------------------------------------------
SVC = service(ports=[{"name": "http", "port": 80, "nodePort": 30080, "protocol": "TCP"}])
NODE = NodeView("n1", (("InternalIP", "10.0.0.1"),), {}, "openstack:///server-a")
PLACE = Place("vip-subnet", "amphora", ())
CIDR = "10.0.0.0/24"
NAME = "lb-sg-0f1e2d3c-aaaa-bbbb-cccc-1234567890ab-shop-web"
HTTP_RULE = Rule("tcp", 30080, CIDR, "IPv4")


def wish(nodes: list[NodeView] | None = None) -> sg_plan.GroupWish:
    node_list = nodes if nodes is not None else [NODE]
    want = build(SVC, node_list)
    return sg_plan.group_wish(SVC, "kubernetes", want, node_list, [CIDR], PLACE)


def port(port_id: str, *groups: str, address: str = "10.0.0.1") -> OsPort:
    return OsPort(port_id, "server-a", (("vip-subnet", address),), groups, True)


def rule(rule_id: str, r: Rule) -> OsSecurityRule:
    return OsSecurityRule(
        rule_id, r.direction, r.protocol, r.ethertype, r.remote_ip_prefix, r.port, r.port, None
    )


def test_the_wish_opens_each_node_port_from_the_member_subnet_on_each_member_node() -> None:
    w = wish()
    assert w.name == NAME
    assert w.rules == {HTTP_RULE}
    assert w.holders == (sg_plan.Holder("server-a", "10.0.0.1", "vip-subnet"),)
    # a node without an OpenStack providerID has no server whose ports could carry the group
    assert wish([NodeView("n1", (("InternalIP", "10.0.0.1"),))]).holders == ()


def test_a_missing_group_is_created_alone_first() -> None:
    # even with ports to attach: those steps need the group's id
    [only] = sg_plan.group_steps(wish(), GroupSeen(None, {"server-a": [port("port-a", "default")]}))
    assert only == steps.CreateSecurityGroup(
        NAME, naming.security_group_description("kubernetes", "shop", "web")
    )


def test_a_group_is_converged_rules_first_then_ports_each_once() -> None:
    default = OsSecurityRule("egress-4", "egress", None, "IPv4", None, None, None, None)
    group = OsSecurityGroup("sg-1", NAME, (default,))
    both = port("port-a", "default")
    stray = port("port-old", "default", "sg-1", address="10.0.0.77")
    seen = GroupSeen(group, {"server-a": [both, both]}, [stray])
    assert sg_plan.group_steps(wish(), seen) == [
        steps.CreateSecurityGroupRule(HTTP_RULE.body("sg-1")),
        steps.DeleteSecurityGroupRule("egress-4"),
        steps.SetPortSecurityGroups("port-a", ["default", "sg-1"]),
        steps.SetPortSecurityGroups("port-old", ["default"]),
    ]


def test_a_group_in_step_needs_nothing() -> None:
    group = OsSecurityGroup("sg-1", NAME, (rule("r1", HTTP_RULE),))
    on_port = port("port-a", "default", "sg-1")
    assert sg_plan.group_steps(wish(), GroupSeen(group, {"server-a": [on_port]}, [on_port])) == []


def test_a_group_leaves_every_port_before_it_is_deleted() -> None:
    group = OsSecurityGroup("sg-1", NAME, ())
    assert sg_plan.removal_steps(group, [port("port-a", "default", "sg-1")]) == [
        steps.SetPortSecurityGroups("port-a", ["default"]),
        steps.DeleteSecurityGroup("sg-1"),
    ]


# ---- steps and purity -----------------------------------------------------------------------------
def test_every_step_is_a_gateway_write_taking_its_fields_as_arguments() -> None:
    classes: list[type[steps.Step]] = list(typing.get_args(steps.Step))
    assert {c.call for c in classes} == WRITES  # every write the read-only gateway records can be planned
    for cls in classes:
        params = [p for p in inspect.signature(getattr(Gateway, cls.call)).parameters if p != "self"]
        fields = [f.name for f in dataclasses.fields(cls) if f.name != "describe"]
        assert len(params) == len(fields), (cls.__name__, params, fields)


def test_the_planners_import_no_cloud_client_queue_or_kubernetes() -> None:
    probe = (
        "import sys\n"
        "import octavia_lb.worker.plan.load_balancer, octavia_lb.worker.plan.floating_ip\n"
        "import octavia_lb.worker.plan.security_group, octavia_lb.worker.plan.steps\n"
        "banned = ('openstack', 'redis', 'celery', 'kubernetes')\n"
        "bad = sorted(m for m in sys.modules\n"
        "             if m.split('.')[0] in banned or m == 'octavia_lb.worker.cloud.gateway')\n"
        "print(bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
