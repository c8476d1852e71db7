"""Neutron v2.0 request fields per resource (create and update), with Neutron's defaults."""

from __future__ import annotations

from octavia_lb_devkit.sim.schema import Field, Kind

_COMMON = (
    Field("name", default=""),
    Field("description", default=""),
    Field("project_id", Kind.STR, update=False),
    Field("tenant_id", Kind.STR, update=False),
    Field("tags", Kind.STR_LIST, update=False),
)

NETWORK = (
    *_COMMON,
    Field("admin_state_up", Kind.BOOL, default=True),
    Field("shared", Kind.BOOL, default=False),
    Field("router:external", Kind.BOOL, default=False),
    Field("mtu", Kind.INT, default=1500, minimum=68, maximum=9216),
    Field("port_security_enabled", Kind.BOOL, default=True),
    Field("availability_zone_hints", Kind.STR_LIST, default=list, update=False),
    Field("qos_policy_id", Kind.UUID, default=None),
    Field("is_default", Kind.BOOL, default=False),
)

SUBNET = (
    *_COMMON,
    Field("network_id", Kind.UUID, required=True, update=False),
    Field("ip_version", Kind.INT, required=True, update=False, choices=("4", "6")),
    Field("cidr", Kind.CIDR, update=False),
    Field("subnetpool_id", Kind.UUID, update=False),
    Field("gateway_ip", Kind.IP),
    Field("enable_dhcp", Kind.BOOL, default=True),
    Field("allocation_pools", Kind.ANY),
    Field("dns_nameservers", Kind.STR_LIST, default=list),
    Field("host_routes", Kind.ANY, default=list),
    Field(
        "ipv6_address_mode",
        Kind.ENUM,
        default=None,
        choices=("slaac", "dhcpv6-stateful", "dhcpv6-stateless"),
        update=False,
    ),
    Field(
        "ipv6_ra_mode",
        Kind.ENUM,
        default=None,
        choices=("slaac", "dhcpv6-stateful", "dhcpv6-stateless"),
        update=False,
    ),
    Field("service_types", Kind.STR_LIST, default=list),
    Field("segment_id", Kind.UUID, default=None, update=False),
    Field("dns_publish_fixed_ip", Kind.BOOL, default=False),
)

PORT = (
    *_COMMON,
    Field("network_id", Kind.UUID, required=True, update=False),
    Field("fixed_ips", Kind.ANY),
    Field("admin_state_up", Kind.BOOL, default=True),
    Field("device_id", default=""),
    Field("device_owner", default=""),
    Field("security_groups", Kind.STR_LIST),
    Field("allowed_address_pairs", Kind.ANY, default=list),
    Field("port_security_enabled", Kind.BOOL),
    Field("mac_address", Kind.STR, update=False),
    Field("binding:host_id", default=""),
    Field(
        "binding:vnic_type",
        Kind.ENUM,
        default="normal",
        choices=("normal", "direct", "macvtap", "baremetal", "direct-physical"),
    ),
    Field("binding:profile", Kind.ANY, default=dict),
    Field("qos_policy_id", Kind.UUID, default=None),
)

ROUTER = (
    *_COMMON,
    Field("admin_state_up", Kind.BOOL, default=True),
    Field("external_gateway_info", Kind.ANY, default=None),
    Field("distributed", Kind.BOOL, default=False),
    Field("ha", Kind.BOOL, default=False),
    Field("availability_zone_hints", Kind.STR_LIST, default=list, update=False),
    Field("routes", Kind.ANY, default=list),
)

FLOATINGIP = (
    Field("description", default=""),
    Field("project_id", Kind.STR, update=False),
    Field("tenant_id", Kind.STR, update=False),
    Field("tags", Kind.STR_LIST, update=False),
    Field("floating_network_id", Kind.UUID, required=True, update=False),
    Field("subnet_id", Kind.UUID, update=False),
    Field("port_id", Kind.UUID),
    Field("fixed_ip_address", Kind.IP),
    Field("floating_ip_address", Kind.IP, update=False),
    Field("qos_policy_id", Kind.UUID, default=None),
)

SECURITY_GROUP = (
    *_COMMON,
    Field("stateful", Kind.BOOL, default=True),
    Field("shared", Kind.BOOL, default=False, update=False),
)

SECURITY_GROUP_RULE = (
    Field("description", default=""),
    Field("project_id", Kind.STR, update=False),
    Field("tenant_id", Kind.STR, update=False),
    Field("security_group_id", Kind.UUID, required=True, update=False),
    Field("direction", Kind.ENUM, required=True, choices=("ingress", "egress"), update=False),
    Field("ethertype", Kind.ENUM, default="IPv4", choices=("IPv4", "IPv6"), update=False),
    Field("protocol", Kind.STR, default=None, update=False),
    Field("port_range_min", Kind.INT, default=None, minimum=0, maximum=65535, update=False),
    Field("port_range_max", Kind.INT, default=None, minimum=0, maximum=65535, update=False),
    Field("remote_ip_prefix", Kind.CIDR, default=None, update=False),
    Field("remote_group_id", Kind.UUID, default=None, update=False),
    Field("remote_address_group_id", Kind.UUID, default=None, update=False),
)

QUOTA_DEFAULTS = {
    "network": 100,
    "subnet": 100,
    "subnetpool": -1,
    "port": 500,
    "router": 10,
    "floatingip": 50,
    "security_group": 10,
    "security_group_rule": 100,
    "rbac_policy": 10,
}

# collection name in the URL -> (object key, store kind, quota resource, fields)
COLLECTIONS = {
    "networks": ("network", "networks", "network", NETWORK),
    "subnets": ("subnet", "subnets", "subnet", SUBNET),
    "ports": ("port", "ports", "port", PORT),
    "routers": ("router", "routers", "router", ROUTER),
    "floatingips": ("floatingip", "floatingips", "floatingip", FLOATINGIP),
    "security-groups": ("security_group", "security_groups", "security_group", SECURITY_GROUP),
    "security-group-rules": (
        "security_group_rule",
        "security_group_rules",
        "security_group_rule",
        SECURITY_GROUP_RULE,
    ),
}
