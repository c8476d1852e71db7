"""Octavia v2 request fields per resource: types, ranges, defaults, and the API version that added them."""

from __future__ import annotations

from octavia_lb_devkit.sim.schema import Field, Kind

MAX_TIMEOUT = 2_073_600_000
MAX_INT = 2_147_483_647

_NAMED = (
    Field("name", default=""),
    Field("description", default=""),
    Field("admin_state_up", Kind.BOOL, default=True, nullable=False),
    Field("project_id", Kind.STR, update=False),
    Field("tags", Kind.STR_LIST, default=list, since="2.5"),
)

LOADBALANCER = (
    *_NAMED,
    Field("vip_address", Kind.IP, update=False),
    Field("vip_port_id", Kind.UUID, update=False),
    Field("vip_subnet_id", Kind.UUID, update=False),
    Field("vip_network_id", Kind.UUID, update=False),
    Field("vip_qos_policy_id", Kind.UUID, default=None),
    Field("vip_sg_ids", Kind.STR_LIST, default=list, since="2.29"),
    Field("vip_vnic_type", Kind.ENUM, choices=("normal", "direct"), since="2.28", update=False),
    Field("additional_vips", Kind.ANY, default=list, since="2.26", update=False),
    Field("provider", Kind.STR, default="amphora", update=False),
    Field("flavor_id", Kind.UUID, default=None, since="2.6", update=False),
    Field("availability_zone", Kind.STR, default=None, since="2.14", update=False),
    Field("listeners", Kind.ANY, update=False),
    Field("pools", Kind.ANY, update=False),
)

LISTENER_PROTOCOLS = ("HTTP", "HTTPS", "TCP", "TERMINATED_HTTPS", "UDP", "SCTP", "PROMETHEUS")
PROTOCOL_SINCE = {"SCTP": "2.23", "PROMETHEUS": "2.25", "PROXYV2": "2.22", "SOURCE_IP_PORT": "2.13"}

LISTENER = (
    *_NAMED,
    Field("loadbalancer_id", Kind.UUID, required=True, update=False),
    Field("protocol", Kind.ENUM, required=True, choices=LISTENER_PROTOCOLS, update=False),
    Field("protocol_port", Kind.INT, required=True, minimum=1, maximum=65535, update=False),
    Field("connection_limit", Kind.INT, default=-1, minimum=-1, maximum=MAX_INT),
    Field("default_pool_id", Kind.UUID, default=None),
    Field("default_tls_container_ref", Kind.STR, default=None),
    Field("sni_container_refs", Kind.STR_LIST, default=list),
    Field("insert_headers", Kind.STR_DICT, default=dict),
    Field("timeout_client_data", Kind.INT, default=50000, minimum=0, maximum=MAX_TIMEOUT, since="2.1"),
    Field("timeout_member_connect", Kind.INT, default=5000, minimum=0, maximum=MAX_TIMEOUT, since="2.1"),
    Field("timeout_member_data", Kind.INT, default=50000, minimum=0, maximum=MAX_TIMEOUT, since="2.1"),
    Field("timeout_tcp_inspect", Kind.INT, default=0, minimum=0, maximum=MAX_TIMEOUT, since="2.1"),
    Field("allowed_cidrs", Kind.CIDR_LIST, default=None, since="2.12"),
    Field(
        "client_authentication",
        Kind.ENUM,
        default="NONE",
        choices=("NONE", "OPTIONAL", "MANDATORY"),
        since="2.8",
    ),
    Field("client_ca_tls_container_ref", Kind.STR, default=None, since="2.8"),
    Field("client_crl_container_ref", Kind.STR, default=None, since="2.8"),
    Field("tls_ciphers", Kind.STR, default=None, since="2.15", max_len=2048),
    Field("tls_versions", Kind.STR_LIST, default=None, since="2.17"),
    Field("alpn_protocols", Kind.STR_LIST, default=None, since="2.20"),
    Field("hsts_max_age", Kind.INT, default=None, minimum=0, maximum=MAX_INT, since="2.27"),
    Field("hsts_include_subdomains", Kind.BOOL, default=False, since="2.27"),
    Field("hsts_preload", Kind.BOOL, default=False, since="2.27"),
    Field("default_pool", Kind.ANY, update=False),
    Field("l7policies", Kind.ANY, update=False),
)

POOL_PROTOCOLS = ("HTTP", "HTTPS", "TCP", "UDP", "SCTP", "PROXY", "PROXYV2")
ALGORITHMS = ("ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP", "SOURCE_IP_PORT")

POOL = (
    *_NAMED,
    Field("listener_id", Kind.UUID, update=False),
    Field("loadbalancer_id", Kind.UUID, update=False),
    Field("protocol", Kind.ENUM, required=True, choices=POOL_PROTOCOLS, update=False),
    Field("lb_algorithm", Kind.ENUM, required=True, choices=ALGORITHMS, nullable=False),
    Field("session_persistence", Kind.ANY, default=None),
    Field("tls_enabled", Kind.BOOL, default=False, since="2.8"),
    Field("tls_container_ref", Kind.STR, default=None, since="2.8"),
    Field("ca_tls_container_ref", Kind.STR, default=None, since="2.8"),
    Field("crl_container_ref", Kind.STR, default=None, since="2.8"),
    Field("tls_ciphers", Kind.STR, default=None, since="2.15", max_len=2048),
    Field("tls_versions", Kind.STR_LIST, default=None, since="2.18"),
    Field("alpn_protocols", Kind.STR_LIST, default=None, since="2.24"),
    Field("members", Kind.ANY, update=False),
    Field("healthmonitor", Kind.ANY, update=False),
)

MEMBER = (
    Field("name", default=""),
    Field("admin_state_up", Kind.BOOL, default=True, nullable=False),
    Field("project_id", Kind.STR, update=False),
    Field("tags", Kind.STR_LIST, default=list, since="2.5"),
    Field("address", Kind.IP, required=True, update=False),
    Field("protocol_port", Kind.INT, required=True, minimum=1, maximum=65535, update=False),
    Field("weight", Kind.INT, default=1, minimum=0, maximum=256),
    Field("backup", Kind.BOOL, default=False, since="2.1"),
    Field("subnet_id", Kind.UUID, default=None, update=False),
    Field("monitor_address", Kind.IP, default=None),
    Field("monitor_port", Kind.INT, default=None, minimum=1, maximum=65535),
    Field("request_sriov", Kind.BOOL, default=False, since="2.30", update=False),
)

HM_TYPES = ("HTTP", "HTTPS", "PING", "TCP", "TLS-HELLO", "UDP-CONNECT", "SCTP")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "OPTIONS", "CONNECT", "PATCH")

HEALTHMONITOR = (
    Field("name", default=""),
    Field("admin_state_up", Kind.BOOL, default=True, nullable=False),
    Field("project_id", Kind.STR, update=False),
    Field("tags", Kind.STR_LIST, default=list, since="2.5"),
    Field("pool_id", Kind.UUID, required=True, update=False),
    Field("type", Kind.ENUM, required=True, choices=HM_TYPES, update=False),
    Field("delay", Kind.INT, required=True, minimum=0, maximum=MAX_INT, nullable=False),
    Field("timeout", Kind.INT, required=True, minimum=0, maximum=MAX_INT, nullable=False),
    Field("max_retries", Kind.INT, required=True, minimum=1, maximum=10, nullable=False),
    Field("max_retries_down", Kind.INT, default=3, minimum=1, maximum=10),
    Field("http_method", Kind.ENUM, choices=HTTP_METHODS),
    Field("url_path", Kind.STR),
    Field("expected_codes", Kind.STR),
    Field("http_version", Kind.ANY, since="2.10"),
    Field("domain_name", Kind.STR, since="2.10"),
)

L7_ACTIONS = ("REJECT", "REDIRECT_TO_URL", "REDIRECT_TO_POOL", "REDIRECT_PREFIX")

L7POLICY = (
    *_NAMED,
    Field("listener_id", Kind.UUID, required=True, update=False),
    Field("action", Kind.ENUM, required=True, choices=L7_ACTIONS, nullable=False),
    Field("redirect_url", Kind.STR, default=None),
    Field("redirect_prefix", Kind.STR, default=None),
    Field("redirect_pool_id", Kind.UUID, default=None),
    Field("redirect_http_code", Kind.INT, default=None, since="2.9"),
    Field("position", Kind.INT, minimum=1, maximum=MAX_INT),
    Field("redirect_pool", Kind.ANY, update=False),
    Field("rules", Kind.ANY, update=False),
)

L7RULE = (
    Field("admin_state_up", Kind.BOOL, default=True, nullable=False),
    Field("project_id", Kind.STR, update=False),
    Field("tags", Kind.STR_LIST, default=list, since="2.5"),
    Field(
        "type",
        Kind.ENUM,
        required=True,
        nullable=False,
        choices=(
            "HOST_NAME",
            "PATH",
            "FILE_TYPE",
            "HEADER",
            "COOKIE",
            "SSL_CONN_HAS_CERT",
            "SSL_VERIFY_RESULT",
            "SSL_DN_FIELD",
        ),
    ),
    Field(
        "compare_type",
        Kind.ENUM,
        required=True,
        nullable=False,
        choices=("REGEX", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "EQUAL_TO"),
    ),
    Field("value", Kind.STR, required=True, nullable=False),
    Field("key", Kind.STR, default=None),
    Field("invert", Kind.BOOL, default=False),
)

FLAVORPROFILE = (
    Field("name", required=True),
    Field("provider_name", required=True),
    Field("flavor_data", required=True, max_len=4096),
)
FLAVOR = (
    Field("name", required=True),
    Field("description", default=""),
    Field("enabled", Kind.BOOL, default=True),
    Field("flavor_profile_id", Kind.UUID, required=True, update=False),
)
AZPROFILE = (
    Field("name", required=True),
    Field("provider_name", required=True),
    Field("availability_zone_data", required=True, max_len=4096),
)
AZ = (
    Field("name", required=True, update=False),
    Field("description", default=""),
    Field("enabled", Kind.BOOL, default=True),
    Field("availability_zone_profile_id", Kind.UUID, required=True, update=False),
)

QUOTA_NAMES = {
    "load_balancer": "load_balancer",
    "loadbalancer": "load_balancer",
    "listener": "listener",
    "pool": "pool",
    "member": "member",
    "health_monitor": "health_monitor",
    "healthmonitor": "health_monitor",
    "l7policy": "l7policy",
    "l7rule": "l7rule",
}
QUOTA_LABELS = {
    "load_balancer": "Load Balancer",
    "listener": "Listener",
    "pool": "Pool",
    "member": "Member",
    "health_monitor": "Health Monitor",
    "l7policy": "L7 Policy",
    "l7rule": "L7 Rule",
}
