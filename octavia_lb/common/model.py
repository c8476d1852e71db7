"""The desired Octavia state of one Service: a pure function from (Service, Nodes, cloud.conf, cluster name,
Octavia features, discovered facts) to a typed, frozen graph. No I/O happens here.

    DesiredService
    ├── WantLoadBalancer   name, description, tags, provider, flavor, AZ, VIP placement, additional VIPs
    ├── WantListener[i]    one per spec.ports[i]: protocol, port, limits, timeouts, CIDRs, headers, TLS
    │   └── WantPool       protocol (PROXY/PROXYV2/HTTP/...), algorithm, persistence
    │       ├── WantMember one per eligible node and served IP family (that family's address; serial: any)
    │       └── WantMonitor TCP / UDP-CONNECT / SCTP, or HTTP GET /healthz for externalTrafficPolicy Local
    ├── WantFloatingIP     None for internal and IPv6-only Services (dual stack: for the IPv4 VIP)
    └── warnings           Warning Events to emit (OCCM's reasons)

Facts that need a cloud lookup (the autodetected VIP subnet, the autodetected floating network, the subnets
of a dual-stack Service's second family) are passed in as `Discovered`, so the builder stays pure and its
golden tests need no cloud.

Dual stack (beyond OCCM, which serves only spec.ipFamilies[0]): a Service with two families whose second
family has a subnet on the VIP network (`Discovered.additional_vips`) gets one load balancer with an
additional VIP (Octavia API 2.26+), one listener per port whose pool holds members of both families, and
both addresses in its status. Otherwise only the first family is served, with a Warning Event saying why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from octavia_lb.common import naming
from octavia_lb.common.annotations import SOURCE_RANGES
from octavia_lb.common.config import CloudConfig
from octavia_lb.common.nodes import is_eligible
from octavia_lb.common.options import FloatingSubnetSpec, ServiceOptions, resolve
from octavia_lb.common.service import ServiceView
from octavia_lb.common.values import ProxyProtocol

OVN = "ovn"
HEALTHZ = "/healthz"


class BuildError(ValueError):
    """The Service cannot be turned into a load balancer; the message is OCCM's where OCCM has one."""


class Reason(Enum):
    """Reasons of the Warning Events the builder asks for (occm-semantics §9)."""

    SOURCE_RANGES_IGNORED = "LoadBalancerSourceRangesIgnored"
    ZONES_IGNORED = "LoadBalancerAvailabilityZonesIgnored"
    FORCED_INTERNAL = "LoadBalancerForcedInternal"
    FLOATING_IP_SKIPPED = "LoadBalancerFloatingIPSkipped"  # emitted by the worker: it needs the VIP address
    EXTERNAL_NETWORK_SEARCH_FAILED = "LoadBalancerExternalNetworkSearchFailed"
    DUAL_STACK_UNAVAILABLE = "LoadBalancerDualStackUnavailable"  # ours: OCCM never serves a second family


@dataclass(frozen=True)
class Notice:
    """A Warning Event the reconcile should emit."""

    reason: Reason
    message: str


@dataclass(frozen=True)
class Features:
    """What the Octavia API supports: its highest version (from `GET /`) and the configured provider.

    Every gate except tags is off for `ovn`, as in OCCM's IsOctaviaFeatureSupported.
    """

    version: tuple[int, int] = (2, 30)
    provider: str = "amphora"

    def _since(self, minor: int) -> bool:
        return self.provider != OVN and self.version >= (2, minor)

    @property
    def tags(self) -> bool:
        return self.version >= (2, 5)

    @property
    def timeouts(self) -> bool:
        return self._since(1)

    @property
    def flavors(self) -> bool:
        return self._since(6)

    @property
    def allowed_cidrs(self) -> bool:
        return self._since(12)

    @property
    def availability_zones(self) -> bool:
        return self._since(14)

    @property
    def http_monitor_on_udp(self) -> bool:
        return self._since(16)

    @property
    def http_monitors(self) -> bool:
        return self.provider != OVN

    @property
    def additional_vips(self) -> bool:
        return self._since(26)


@dataclass(frozen=True)
class NodeView:
    """The fields of a Node the builder reads, plus what else the dispatcher re-enqueues for (Ready,
    eligible): two views differ when a Node change can alter a load balancer's members, not on heartbeats."""

    name: str
    addresses: tuple[tuple[str, str], ...] = ()  # (type, address), in status order
    labels: Mapping[str, str] = field(default_factory=dict)
    provider_id: str = ""
    ready: str = ""  # the Ready condition's status
    eligible: bool = True  # common/nodes.py: not excluded, not being deleted

    @classmethod
    def from_dict(cls, node: Mapping[str, Any]) -> NodeView:
        meta, status = node.get("metadata") or {}, node.get("status") or {}
        addresses = tuple((a.get("type", ""), a.get("address", "")) for a in status.get("addresses") or [])
        conditions = status.get("conditions") or ()
        return cls(
            name=meta.get("name", ""),
            addresses=addresses,
            labels=dict(meta.get("labels") or {}),
            provider_id=(node.get("spec") or {}).get("providerID") or "",
            ready=next((c.get("status", "") for c in conditions if c.get("type") == "Ready"), ""),
            eligible=is_eligible(node),
        )

    def matches(self, selector: Mapping[str, str]) -> bool:
        """All selector keys present, with equal values where a value is given."""
        return all(k in self.labels and (not v or self.labels[k] == v) for k, v in selector.items())

    def address(self, family: str | None) -> str | None:
        """InternalIP first, then ExternalIP, of the given family, or of any family when None (OCCM's
        nodeAddressForLB)."""
        for kind in ("InternalIP", "ExternalIP"):
            for typ, addr in self.addresses:
                if typ == kind and (family is None or (":" in addr) == (family == "IPv6")):
                    return addr
        return None

    def serial_address(self) -> str | None:
        """Serial-API mode's choice: the first InternalIP, else the first address of any type and family."""
        internal = [addr for typ, addr in self.addresses if typ == "InternalIP"]
        if internal:
            return internal[0]
        return self.addresses[0][1] if self.addresses else None


@dataclass(frozen=True)
class AdditionalVip:
    """A second-family VIP: its family and its subnet on the VIP network."""

    family: str
    subnet_id: str


@dataclass(frozen=True)
class Discovered:
    """Cloud facts looked up before building: only needed when cloud.conf and annotations leave them open."""

    vip_subnet_id: str = ""
    floating_network_id: str = ""
    floating_network_search: str = ""  # why autodetection found no floating network (a Warning Event)
    additional_vips: tuple[AdditionalVip, ...] = ()  # a dual-stack Service's second family, when it can be
    dual_stack_missing: str = ""  # why it cannot (no subnet of that family, an existing single-VIP LB, …)
    # (family, subnet) for a dual-stack Service's members: the member subnet for its own family, the
    # network's subnet of the other (None: sent without a subnet, reached through the VIP network)
    member_subnets: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True)
class WantMember:
    name: str
    address: str
    protocol_port: int
    subnet_id: str | None = None
    monitor_port: int | None = None

    @property
    def key(self) -> tuple[str, str, int, int | None]:
        """OCCM compares members on name-address-port-monitorPort (a subnet change alone is not re-sent)."""
        return (self.name, self.address, self.protocol_port, self.monitor_port)


@dataclass(frozen=True)
class WantMonitor:
    name: str
    type: str
    delay: int
    timeout: int
    max_retries: int
    max_retries_down: int
    http_method: str | None = None
    url_path: str | None = None
    expected_codes: str | None = None


@dataclass(frozen=True)
class WantPool:
    name: str
    protocol: str
    lb_algorithm: str
    session_persistence: str | None
    members: tuple[WantMember, ...]
    monitor: WantMonitor | None


@dataclass(frozen=True)
class WantListener:
    name: str
    protocol: str
    port: int
    service_protocol: str  # spec.ports[].protocol: the key OCCM's port-collision check uses
    connection_limit: int
    timeouts: tuple[int, int, int, int] | None  # client_data, member_connect, member_data, tcp_inspect
    allowed_cidrs: tuple[str, ...]
    insert_headers: tuple[tuple[str, str], ...]
    tls_container_ref: str | None
    tags: tuple[str, ...]
    pool: WantPool

    @property
    def key(self) -> tuple[str, int]:
        return (self.protocol, self.port)


@dataclass(frozen=True)
class WantLoadBalancer:
    name: str
    description: str
    tags: tuple[str, ...]
    provider: str
    flavor_id: str | None
    availability_zone: str | None
    vip_network_id: str | None
    vip_subnet_id: str | None
    vip_port_id: str | None
    vip_address: str | None
    additional_vip_subnets: tuple[str, ...] = ()  # Octavia 2.26 `additional_vips`, one per subnet


@dataclass(frozen=True)
class WantFloatingIP:
    network_id: str  # "" when no floating network is known: keep or attach an existing one, create none
    subnet: FloatingSubnetSpec
    address: str | None  # spec.loadBalancerIP: reuse that floating IP
    description: str


@dataclass(frozen=True)
class StatusPolicy:
    """How the address becomes status.loadBalancer.ingress (occm-semantics §5.6)."""

    hostname: str | None
    proxy: bool
    ingress_hostname_suffix: str | None

    def ingress(self, address: str, more: Sequence[str] = ()) -> list[dict[str, str]]:
        """`address` (FIP or VIP), then a dual-stack Service's additional VIP addresses."""
        if self.hostname:
            return [{"hostname": self.hostname}]
        return [self._entry(a) for a in (address, *more)]

    def _entry(self, address: str) -> dict[str, str]:
        # an IPv6 address with colons is no DNS label: it stays an ip entry under enable-ingress-hostname
        if self.proxy and self.ingress_hostname_suffix and ":" not in address:
            return {"hostname": f"{address}.{self.ingress_hostname_suffix}"}
        return {"ip": address, "ipMode": "Proxy" if self.proxy else "VIP"}


@dataclass(frozen=True)
class DesiredService:
    namespace: str
    name: str
    lb_name: str
    legacy_name: str
    load_balancer: WantLoadBalancer
    listeners: tuple[WantListener, ...]
    floating_ip: WantFloatingIP | None
    internal: bool
    keep_floatingip: bool
    shared_id: str | None
    status: StatusPolicy
    notices: tuple[Notice, ...]
    ip_family: str
    serial: bool = False  # provider-requires-serial-api-calls: no nested creates, members one by one
    also_serves: tuple[str, ...] = ()  # families served through additional VIPs (dual stack), else ()

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class BuildInput:
    """Everything the builder reads; grouped so the signature stays short."""

    service: Mapping[str, Any]
    nodes: Sequence[NodeView]
    config: CloudConfig
    cluster: str
    features: Features = Features()
    discovered: Discovered = Discovered()


def build_desired(
    service: Mapping[str, Any],
    nodes: Sequence[NodeView],
    config: CloudConfig,
    cluster: str,
    features: Features = Features(),
    discovered: Discovered = Discovered(),
) -> DesiredService:
    """The desired graph for `service`; raises BuildError with a message naming the field and value."""
    return _Builder(BuildInput(service, nodes, config, cluster, features, discovered)).build()


def service_options(service: Mapping[str, Any], config: CloudConfig) -> tuple[ServiceView, ServiceOptions]:
    """The Service view and its options; BuildError if any value does not parse."""
    view = ServiceView.from_dict(service)
    problems = list(view.problems)
    options = resolve(view, config, problems)
    if problems:
        raise BuildError("; ".join(problems))
    return view, options


class _Builder:
    def __init__(self, given: BuildInput) -> None:
        self.given = given
        self.view, self.opts = service_options(given.service, given.config)
        self.features = given.features
        self.lb_name = naming.lb_name(given.cluster, self.view.namespace, self.view.name)
        self.notices: list[Notice] = []

    def build(self) -> DesiredService:
        view, opts = self.view, self.opts
        if not self.given.nodes:
            raise BuildError(f"there are no available nodes for LoadBalancer service {view.key}")
        if not view.ports:
            raise BuildError("no service ports provided")
        if opts.proxy_protocol is not ProxyProtocol.OFF and opts.x_forwarded_for:
            raise BuildError(
                "annotation loadbalancer.openstack.org/proxy-protocol and "
                "loadbalancer.openstack.org/x-forwarded-for cannot be used together"
            )
        self.additional = self._additional_vips()
        floating = self._floating_ip()
        listeners = tuple(self._listener(i, port) for i, port in enumerate(view.ports))
        lb = self.given.config.load_balancer
        return DesiredService(
            namespace=view.namespace,
            name=view.name,
            lb_name=self.lb_name,
            legacy_name=naming.legacy_lb_name(view.uid) if view.uid else "",
            load_balancer=self._load_balancer(opts.internal),
            listeners=listeners,
            floating_ip=floating,
            # as OCCM's svcConf.internal: an IPv6 or a forced-internal Service has no floating IP of its own
            # making, yet is not internal (it may share an external load balancer, keeps an attached FIP)
            internal=opts.internal,
            keep_floatingip=opts.keep_floatingip,
            shared_id=opts.load_balancer_id or None,
            status=StatusPolicy(
                hostname=opts.hostname or None,
                proxy=opts.proxy_protocol is not ProxyProtocol.OFF,
                ingress_hostname_suffix=lb.ingress_hostname_suffix if lb.enable_ingress_hostname else None,
            ),
            notices=tuple(self.notices),
            ip_family=opts.ip_family,
            serial=lb.provider_requires_serial_api_calls,
            also_serves=tuple(vip.family for vip in self.additional),
        )

    # ---- dual stack ----------------------------------------------------------------------------
    def _additional_vips(self) -> tuple[AdditionalVip, ...]:
        """The second family's VIP when a dual-stack Service can have it, else () and a Warning Event."""
        families, view = self.opts.ip_families, self.view
        if len(families) < 2:
            return ()
        serial = self.given.config.load_balancer.provider_requires_serial_api_calls
        found = tuple(v for v in self.given.discovered.additional_vips if v.family in families)
        if self.features.additional_vips and found and not serial:
            return found
        if serial:  # OCCM's serial mode names and sends one member per node
            why = "cloud.conf provider-requires-serial-api-calls = true keeps one member per node"
        elif self.features.provider == OVN:
            why = "additional VIPs are not used with the ovn provider (cloud.conf lb-provider = ovn)"
        elif not self.features.additional_vips:
            version = ".".join(map(str, self.features.version))
            why = f"Octavia API {version} has no additional VIPs; version 2.26 (Zed) or later is needed"
        else:
            why = self.given.discovered.dual_stack_missing or f"no {families[1]} subnet was found"
        self.notices.append(
            Notice(
                Reason.DUAL_STACK_UNAVAILABLE,
                f"Service {view.key} asks for {families[0]} and {families[1]}; only {families[0]} is "
                f"served: {why}",
            )
        )
        return ()

    def _vip_family(self) -> str:
        """The primary VIP's family: the Service's family that no additional VIP serves (dual stack)."""
        extra = {v.family for v in self.additional}
        return next((f for f in self.opts.ip_families if f not in extra), self.opts.ip_family)

    # ---- load balancer -------------------------------------------------------------------------
    def _vip_subnet(self) -> str:
        return self.opts.subnet_id or self.given.discovered.vip_subnet_id

    def _load_balancer(self, internal: bool) -> WantLoadBalancer:
        opts, features, view = self.opts, self.features, self.view
        zone = opts.availability_zone or None
        if zone and not features.availability_zones:
            self.notices.append(
                Notice(
                    Reason.ZONES_IGNORED,
                    (
                        "LoadBalancer Availability Zones aren't supported. Please, upgrade Octavia API to "
                        f"version 2.14 or later (Ussuri release) to use them for Service {view.key}"
                    ),
                )
            )
            zone = None
        port_id = opts.port_id or None
        # loadBalancerIP is the VIP only for internal or IPv6 Services; otherwise it names a floating IP
        vip_address = view.load_balancer_ip or None if (internal or opts.ip_family == "IPv6") else None
        return WantLoadBalancer(
            name=self.lb_name,
            description=naming.lb_description(self.given.cluster, view.namespace, view.name),
            tags=(self.lb_name,) if features.tags else (),
            provider=opts.lb_provider,
            flavor_id=(opts.flavor_id or None) if features.flavors else None,
            availability_zone=zone,
            vip_network_id=None if port_id else (opts.network_id or None),
            vip_subnet_id=None if port_id else (self._vip_subnet() or None),
            vip_port_id=port_id,
            vip_address=None if port_id else vip_address,
            additional_vip_subnets=tuple(vip.subnet_id for vip in self.additional),
        )

    # ---- floating IP ---------------------------------------------------------------------------
    def _floating_ip(self) -> WantFloatingIP | None:
        opts, view = self.opts, self.view
        if opts.internal:
            return None
        if opts.ip_family == "IPv6" and not self.additional:  # dual stack: for the IPv4 VIP
            return None  # the worker says LoadBalancerFloatingIPSkipped once it knows the IPv6 VIP
        network = opts.floating_network_id or self.given.discovered.floating_network_id
        search = self.given.discovered.floating_network_search
        if not network and search:
            self.notices.append(
                Notice(
                    Reason.EXTERNAL_NETWORK_SEARCH_FAILED,
                    f"Failed to find floating-network-id for Service {view.key}: {search}",
                )
            )
        if not network:
            # OCCM still keeps a floating IP already on the VIP port and attaches a free one whose address
            # is spec.loadBalancerIP; it only creates none (the worker drops this notice if it found one)
            self.notices.append(
                Notice(
                    Reason.FORCED_INTERNAL,
                    (
                        f"Floating network configuration not provided for Service {view.key}, forcing to "
                        "ensure an internal load balancer service"
                    ),
                )
            )
        return WantFloatingIP(
            network_id=network,
            subnet=opts.floating_subnet,
            address=view.load_balancer_ip or None,
            description=naming.fip_description(self.given.cluster, view.namespace, view.name),
        )

    # ---- listeners -----------------------------------------------------------------------------
    def _listener(self, index: int, port: Any) -> WantListener:
        opts, features = self.opts, self.features
        protocol = port.protocol
        if opts.tls:
            protocol = "TERMINATED_HTTPS"
        elif opts.x_forwarded_for:
            protocol = "HTTP"
        timeouts = (
            opts.timeout_client_data,
            opts.timeout_member_connect,
            opts.timeout_member_data,
            opts.timeout_tcp_inspect,
        )
        return WantListener(
            name=naming.listener_name(index, self.lb_name),
            protocol=protocol,
            port=port.port,
            service_protocol=port.protocol,
            connection_limit=opts.connection_limit,
            timeouts=timeouts if features.timeouts else None,
            allowed_cidrs=self._allowed_cidrs(),
            insert_headers=(("X-Forwarded-For", "true"),) if opts.x_forwarded_for else (),
            tls_container_ref=opts.default_tls_container_ref or None,
            tags=(self.lb_name,) if features.tags else (),
            pool=self._pool(index, port, protocol),
        )

    def _allowed_cidrs(self) -> tuple[str, ...]:
        ranges = self.opts.source_ranges
        if self.features.allowed_cidrs:
            if self.additional and not (
                self.view.source_ranges or SOURCE_RANGES in self.view.annotations
            ):
                # open to everyone on every served family: the default range of each
                return tuple(_ANY[f] for f in (self._vip_family(), *(v.family for v in self.additional)))
            return ranges
        lb = self.given.config.load_balancer
        if self.features.provider == OVN and lb.manage_security_groups:
            return ()  # applied as the NodePort security group's remote prefixes instead (OCCM §5.5)
        # OCCM warns whenever the feature is missing, default (open) ranges included
        if not any(n.reason is Reason.SOURCE_RANGES_IGNORED for n in self.notices):
            self.notices.append(
                Notice(
                    Reason.SOURCE_RANGES_IGNORED,
                    (
                        f"LoadBalancerSourceRanges are ignored for Service {self.view.key} because Octavia "
                        "provider does not support it"
                    ),
                )
            )
        return ()

    def _pool(self, index: int, port: Any, listener_protocol: str) -> WantPool:
        opts = self.opts
        if opts.proxy_protocol is not ProxyProtocol.OFF:
            protocol = opts.proxy_protocol.value
        elif opts.x_forwarded_for or opts.tls:
            protocol = "HTTP"
        else:
            protocol = listener_protocol
        monitor = self._monitor(index, port)
        monitor_port = self._health_port() if monitor is not None and monitor.type == "HTTP" else None
        return WantPool(
            name=naming.pool_name(index, self.lb_name),
            protocol=protocol,
            lb_algorithm=opts.lb_method,
            session_persistence="SOURCE_IP" if self.view.session_affinity == "ClientIP" else None,
            members=self._members(port.node_port, monitor_port),
            monitor=monitor,
        )

    def _members(self, node_port: int, monitor_port: int | None) -> tuple[WantMember, ...]:
        if node_port == 0:  # allocateLoadBalancerNodePorts: false
            return ()
        if self.given.config.load_balancer.provider_requires_serial_api_calls:
            return self._serial_members(node_port)
        subnet = self._member_subnet()
        # (family, member subnet) per served family: the first as before, then each additional VIP's family
        served: list[tuple[str | None, str | None]] = [(self.opts.address_family, subnet)]
        if self.additional:
            by_family = dict(self.given.discovered.member_subnets)
            families = (self._vip_family(), *(v.family for v in self.additional))
            served = [(f, by_family.get(f, subnet if f == families[0] else None)) for f in families]
        members = []
        for node in self.given.nodes:
            if not node.matches(self.opts.node_selector):
                continue
            for family, family_subnet in served:
                address = node.address(family)
                if address is not None:
                    members.append(WantMember(node.name, address, node_port, family_subnet, monitor_port))
        return tuple(sorted(members, key=lambda m: m.name))  # stable: a node's families stay in order

    def _member_subnet(self) -> str | None:
        """member-subnet-id (annotation, class, cloud.conf), else cloud.conf subnet-id even when the VIP goes
        to an annotation's or a class's subnet, else the VIP subnet: OCCM's checkService order."""
        lb = self.given.config.load_balancer
        return self.opts.member_subnet_id or lb.subnet_id or self._vip_subnet() or None

    def _serial_members(self, node_port: int) -> tuple[WantMember, ...]:
        """OCCM's serial mode names members after node, address and port, and sends neither subnet nor
        monitor port; the address ignores the Service's IP family (`NodeView.serial_address`)."""
        members = []
        for node in self.given.nodes:
            address = node.serial_address() if node.matches(self.opts.node_selector) else None
            if address is not None:
                name = naming.member_name_serial(node.name, address, node_port)
                members.append(WantMember(name, address, node_port))
        return tuple(members)

    def _health_port(self) -> int:
        view = self.view
        if self.opts.enable_health_monitor and view.external_traffic_policy == "Local":
            return max(view.health_check_node_port, 0)
        return 0

    def _monitor(self, index: int, port: Any) -> WantMonitor | None:
        opts = self.opts
        if not opts.enable_health_monitor:
            return None
        kind = {"UDP": "UDP-CONNECT", "SCTP": "SCTP"}.get(port.protocol, "TCP")
        http = (
            self._health_port() > 0
            and self.features.http_monitors
            and (port.protocol != "UDP" or self.features.http_monitor_on_udp)
        )
        return WantMonitor(
            name=naming.monitor_name(index, self.lb_name),
            type="HTTP" if http else kind,
            delay=opts.health_monitor_delay,
            timeout=opts.health_monitor_timeout,
            max_retries=opts.health_monitor_max_retries,
            max_retries_down=opts.health_monitor_max_retries_down,
            http_method="GET" if http else None,
            url_path=HEALTHZ if http else None,
            expected_codes="200" if http else None,
        )


_ANY = {"IPv4": "0.0.0.0/0", "IPv6": "::/0"}

