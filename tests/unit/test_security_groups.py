"""The pure parts of the NodePort security group: which rules, which changes, which ports."""

from __future__ import annotations

from octavia_lb.worker.cloud.observed import OsPort, OsSecurityRule
from octavia_lb.worker.plan.security_group import Rule, member_ports, rule_changes, wanted_rules


def _observed(rule_id: str, **fields: object) -> OsSecurityRule:
    base: dict[str, object] = {
        "id": rule_id,
        "direction": "ingress",
        "protocol": "tcp",
        "ethertype": "IPv4",
        "remote_ip_prefix": "10.0.0.0/24",
        "port_range_min": 30080,
        "port_range_max": 30080,
        "remote_group_id": None,
    }
    return OsSecurityRule.from_api({**base, **fields})


def test_one_rule_per_node_port_and_source_plus_the_health_port_from_the_member_subnet():
    rules = wanted_rules(
        [("TCP", 30080), ("UDP", 30053), ("TCP", 0)], ["10.0.0.0/24", "fd00::/64"], 32000, "10.0.1.0/24"
    )
    assert rules == {
        Rule("tcp", 30080, "10.0.0.0/24", "IPv4"),
        Rule("tcp", 30080, "fd00::/64", "IPv6"),
        Rule("udp", 30053, "10.0.0.0/24", "IPv4"),
        Rule("udp", 30053, "fd00::/64", "IPv6"),
        Rule("tcp", 32000, "10.0.1.0/24", "IPv4"),  # OCCM: health checks come from the member subnet
    }


def test_no_node_ports_no_rules():
    assert wanted_rules([("TCP", 0)], ["10.0.0.0/24"]) == frozenset()


def test_rule_changes_keep_matches_create_missing_delete_the_rest():
    wanted = wanted_rules([("TCP", 30080), ("TCP", 30443)], ["10.0.0.0/24"])
    observed = [
        _observed("keep", protocol="TCP"),  # protocol compares case-insensitively, as in OCCM
        _observed("twin"),  # a duplicate of a kept rule
        _observed("old-port", port_range_min=31000, port_range_max=31000),
        _observed(
            "egress-v4",
            direction="egress",
            protocol=None,
            remote_ip_prefix=None,
            port_range_min=None,
            port_range_max=None,
        ),  # fmt: skip
        _observed("range", port_range_min=30000, port_range_max=30100),
        _observed("group", remote_group_id="another-group"),
    ]
    create, delete = rule_changes(wanted, observed)
    assert create == [Rule("tcp", 30443, "10.0.0.0/24", "IPv4")]
    assert sorted(delete) == ["egress-v4", "group", "old-port", "range", "twin"]


def test_member_ports_need_the_address_the_subnet_and_port_security():
    def port(port_id: str, subnet: str, ip: str, secured: bool = True) -> OsPort:
        return OsPort.from_api(
            {
                "id": port_id,
                "device_id": "server",
                "fixed_ips": [{"subnet_id": subnet, "ip_address": ip}],
                "security_groups": ["default"],
                "port_security_enabled": secured,
            }
        )

    ports = [
        port("right", "members", "10.0.0.5"),
        port("other-address", "members", "10.0.0.6"),
        port("other-subnet", "storage", "10.0.0.5"),
        port("unsecured", "members", "10.0.0.5", secured=False),
    ]
    assert [p.id for p in member_ports(ports, "10.0.0.5", "members")] == ["right"]
    assert [p.id for p in member_ports(ports, "10.0.0.5", None)] == ["right", "other-subnet"]
