"""cloud.conf as read: frozen dataclasses with OCCM's defaults, and the value sets the checks accept.

Apart from the parser (config.py) so that the second-pass checks (config_checks.py), which the parser runs,
can read them without importing the parser back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

KNOWN_PROVIDERS = frozenset({"amphora", "octavia", "ovn", "f5", "amphorav2"})
CONTAINER_STORES = frozenset({"barbican", "external"})


@dataclass(frozen=True)
class GlobalOpts:
    """`[Global]`: how to authenticate to OpenStack. Secrets never appear in `repr()`."""

    auth_url: str = ""
    username: str = ""
    user_id: str = ""
    password: str = field(default="", repr=False)
    tenant_id: str = ""
    tenant_name: str = ""
    trust_id: str = ""
    domain_id: str = ""
    domain_name: str = ""
    user_domain_id: str = ""
    user_domain_name: str = ""
    tenant_domain_id: str = ""
    tenant_domain_name: str = ""
    region: str = ""
    application_credential_id: str = ""
    application_credential_name: str = ""
    application_credential_secret: str = field(default="", repr=False)
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    tls_insecure: bool = False
    use_clouds: bool = False
    clouds_file: str = ""
    cloud: str = ""

    def __repr__(self) -> str:
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr]
        hidden = [f"{f.name}=<set>" for f in dataclasses.fields(self) if not f.repr and getattr(self, f.name)]
        return f"GlobalOpts({', '.join(shown + hidden)})"


@dataclass(frozen=True)
class LoadBalancerOpts:
    """`[LoadBalancer]` with OCCM's defaults (`ReadConfig`); monitor durations already in whole seconds."""

    enabled: bool = True
    lb_version: str = ""
    subnet_id: str = ""
    network_id: str = ""
    member_subnet_id: str = ""
    floating_network_id: str = ""
    floating_subnet_id: str = ""
    floating_subnet: str = ""
    floating_subnet_tags: str = ""
    lb_method: str = "ROUND_ROBIN"
    lb_provider: str = "amphora"
    create_monitor: bool = False
    monitor_delay: int = 5
    monitor_timeout: int = 3
    monitor_max_retries: int = 1
    monitor_max_retries_down: int = 3
    manage_security_groups: bool = False
    internal_lb: bool = False
    node_selector: str = ""
    cascade_delete: bool = True
    flavor_id: str = ""
    availability_zone: str = ""
    enable_ingress_hostname: bool = False
    ingress_hostname_suffix: str = "nip.io"
    max_shared_lb: int = 2
    container_store: str = "barbican"
    provider_requires_serial_api_calls: bool = False
    default_tls_container_ref: str = ""


@dataclass(frozen=True)
class LoadBalancerClass:
    """`[LoadBalancerClass "name"]`: placement overrides selected by the `class` annotation."""

    name: str
    floating_network_id: str = ""
    floating_subnet_id: str = ""
    floating_subnet: str = ""
    floating_subnet_tags: str = ""
    network_id: str = ""
    subnet_id: str = ""
    member_subnet_id: str = ""


@dataclass(frozen=True)
class CloudConfig:
    """The whole file. `classes` is keyed by the class name exactly as written in the section header."""

    global_opts: GlobalOpts = field(default_factory=GlobalOpts)
    load_balancer: LoadBalancerOpts = field(default_factory=LoadBalancerOpts)
    classes: Mapping[str, LoadBalancerClass] = field(default_factory=lambda: MappingProxyType({}))
    request_timeout_seconds: int = 60
    warnings: tuple[str, ...] = ()
    source: str = "cloud.conf"

    @classmethod
    def default(cls) -> CloudConfig:
        """The configuration OCCM would use for an empty file."""
        return cls()
