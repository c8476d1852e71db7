"""The plan's read-only gateway: every Gateway method is classified, writes are recorded and never reach the
cloud, and the worker's own Neutron code run on it yields the writes it would make."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from octavia_lb.common.model import NodeView
from octavia_lb.worker.cloud.gateway import Gateway
from octavia_lb.worker.cloud.observed import (
    FloatingIpId,
    Observed,
    OsFloatingIP,
    OsPort,
)
from octavia_lb.worker.cloud.readonly import READS, WRITES, ReadOnlyViolation, Recorder
from octavia_lb.worker.plan.security_group import Place
from octavia_lb.worker.preview.live import neutron_change
from octavia_lb.worker.reconcile.floating_ip import ensure_floating_ip
from octavia_lb.worker.reconcile.security_group import SecurityGroups
from tests.unit_model.helpers import LB, build, nodes, service


def test_every_gateway_method_is_a_read_or_a_write() -> None:
    public = {name for name, _ in inspect.getmembers(Gateway) if not name.startswith("_")}
    public |= {"provider"}  # an instance attribute
    assert READS.isdisjoint(WRITES)
    assert public == READS | WRITES, f"classify in readonly.py: {sorted(public ^ (READS | WRITES))}"


class Cloud:
    """The reads a Gateway offers, answered from fixed data; any write reaching it fails the test."""

    provider = "amphora"

    def __init__(self, fips: list[OsFloatingIP] | None = None, ports: list[OsPort] | None = None) -> None:
        self.fips, self.node_ports = fips or [], ports or []

    def floating_ips(self, **filters: Any) -> list[OsFloatingIP]:
        return [
            f
            for f in self.fips
            if all(
                getattr(f, k if k != "floating_ip_address" else "address") == v for k, v in filters.items()
            )
        ]

    def find_security_group(self, name: str) -> None:
        return None

    def subnet_cidr(self, subnet_id: str) -> str:
        return "10.0.0.0/24"

    def ports(self, **filters: Any) -> list[OsPort]:
        return [p for p in self.node_ports if p.device_id == filters.get("device_id")]

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"{name} reached the cloud")



def test_writes_are_recorded_not_sent_and_unknown_methods_refused() -> None:
    recorder = Recorder(Cloud())
    recorder.delete_load_balancer("lb-1", True)
    created = recorder.create_floating_ip({"floating_network_id": "public-net", "port_id": "vip-port"})
    assert created.address == "(new floating IP)" and created.port_id == "vip-port"
    assert [w.call for w in recorder.writes] == ["delete_load_balancer", "create_floating_ip"]
    with pytest.raises(ReadOnlyViolation, match="Gateway.conn is not classified"):
        recorder.conn  # noqa: B018


def test_the_workers_floating_ip_code_creates_one_on_the_vip_port() -> None:
    want = build(service(), nodes("n1=10.0.0.1"))
    recorder = Recorder(Cloud())
    address = ensure_floating_ip(recorder, want, Observed(LB, (), (), None), owner=True)
    assert address == "(new floating IP)"
    [write] = recorder.writes
    change = neutron_change(write, recorder, 4)
    assert (change.step, change.action, change.kind, change.name) == (
        4,
        "create",
        "floatingip",
        "on public-net",
    )
    assert change.fields == {
        "floating_network_id": "public-net",
        "port_id": "vip-port",
        "description": want.floating_ip.description,
    }


def test_an_attached_floating_ip_of_an_internal_service_is_released_with_old_and_new_port() -> None:
    fip = OsFloatingIP(FloatingIpId("f-1"), "172.24.4.9", "vip-port", "public-net", "made by hand")
    want = build(
        service({"service.beta.kubernetes.io/openstack-internal-load-balancer": "true"}), nodes("n1=10.0.0.1")
    )
    recorder = Recorder(Cloud(fips=[fip]))
    found = recorder.floating_ips(port_id="vip-port")  # the read the worker makes, remembered for the names
    ensure_floating_ip(recorder, want, Observed(LB, (), (), found[0]), owner=True)
    [write] = recorder.writes
    change = neutron_change(write, recorder, 1)
    assert (change.action, change.kind, change.name) == ("update", "floatingip", "172.24.4.9")
    assert change.fields == {"port_id": {"old": "vip-port", "new": None}}  # not ours: detached, not deleted


def test_the_workers_security_group_code_on_a_new_group() -> None:
    node_port = OsPort("port-a", "server-a", (("vip-subnet", "10.0.0.1"),), ("default",), True)
    recorder = Recorder(Cloud(ports=[node_port]))
    svc = service(ports=[{"name": "http", "port": 80, "nodePort": 30080, "protocol": "TCP"}])
    node = NodeView("n1", (("InternalIP", "10.0.0.1"),), {}, "openstack:///server-a")
    want = build(svc, [node])
    SecurityGroups(recorder, svc, "kubernetes").ensure(want, [node], Place("vip-subnet", "amphora", ()))
    changes = [neutron_change(w, recorder, n) for n, w in enumerate(recorder.writes, start=1)]
    group = "lb-sg-0f1e2d3c-aaaa-bbbb-cccc-1234567890ab-shop-web"
    assert [(c.action, c.kind, c.name) for c in changes] == [
        ("create", "security_group", group),
        ("create", "security_group_rule", "ingress tcp 30080 from 10.0.0.0/24"),
        ("delete", "security_group_rule", "egress any IPv4"),  # Neutron's defaults on a new group go
        ("delete", "security_group_rule", "egress any IPv6"),
        ("update", "port", "port-a"),
    ]
    assert changes[-1].fields == {
        "security_groups": {"old": ["default"], "new": ["default", "(new security group)"]}
    }


def test_a_new_dual_stack_load_balancer_gets_its_floating_ip_on_the_ipv4_vip_whichever_family_is_first() -> (
    None
):
    from octavia_lb.common.model import AdditionalVip, Discovered
    from octavia_lb.worker.plan.load_balancer import create_step
    from octavia_lb.worker.preview.simulate import created_load_balancer, new_vip

    v4 = Discovered(
        additional_vips=(AdditionalVip("IPv4", "vip-subnet-v4"),), member_subnets=(("IPv6", "v6"),)
    )
    svc = service(ipFamilies=["IPv6", "IPv4"], ipFamilyPolicy="RequireDualStack")
    want = build(
        svc, [NodeView("n1", (("InternalIP", "10.0.0.1"), ("InternalIP", "fd00::1")))], discovered=v4
    )
    lb = new_vip(created_load_balancer(create_step(want).args[0]).lb, want)
    assert (lb.vip_of("IPv6"), lb.vip_of("IPv4")) == ("(new IPv6 VIP ::)", "(new IPv4 VIP)")
    recorder = Recorder(Cloud())
    ensure_floating_ip(recorder, want, Observed(lb, (), (), None), owner=True)
    assert [w.call for w in recorder.writes] == ["create_floating_ip"]

    # single-stack IPv6: no floating IP, as the worker decides by the VIP address
    want6 = build(service(ipFamilies=["IPv6"]), [NodeView("n1", (("InternalIP", "fd00::1"),))])
    lb6 = new_vip(created_load_balancer(create_step(want6).args[0]).lb, want6)
    recorder = Recorder(Cloud())
    assert ensure_floating_ip(recorder, want6, Observed(lb6, (), (), None), owner=True) == "(new IPv6 VIP ::)"
    assert recorder.writes == []
