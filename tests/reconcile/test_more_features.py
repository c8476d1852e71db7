"""More annotation and spec features end to end: the real reconcile, kube-apiserver and the OpenStack
simulator. Every test finds its objects through its own Service's load balancer id, never by being alone in
the simulator, and asserts on both the simulator's state and the Service."""

from __future__ import annotations

import ipaddress
import json
import uuid
from typing import Any

import pytest

from tests.reconcile.conftest import ports

INTERNAL = "service.beta.kubernetes.io/openstack-internal-load-balancer"
A = "loadbalancer.openstack.org/"
LB_ID = A + "load-balancer-id"
LB_ADDRESS = A + "load-balancer-address"


def _lb(env, name: str) -> dict[str, Any]:
    """The Service's load balancer, by the id the worker wrote on it."""
    lb_id = env.service(name).metadata.annotations[LB_ID]
    (lb,) = [lb for lb in env.lbs() if lb["id"] == lb_id]
    return lb


def _listeners(env, lb: dict[str, Any]) -> list[dict[str, Any]]:
    found = [li for li in env.octavia("listeners") if li["loadbalancer_id"] == lb["id"]]
    return sorted(found, key=lambda li: li["protocol_port"])


def _pool(env, lb: dict[str, Any]) -> dict[str, Any]:
    """The default pool of the load balancer's only listener."""
    (listener,) = _listeners(env, lb)
    (pool,) = [p for p in env.octavia("pools") if p["id"] == listener["default_pool_id"]]
    return pool


def _monitor(env, lb: dict[str, Any]) -> dict[str, Any]:
    pool = _pool(env, lb)
    (monitor,) = [m for m in env.octavia("healthmonitors") if m["id"] == pool["healthmonitor_id"]]
    return monitor


def _members(env, lb: dict[str, Any]) -> list[dict[str, Any]]:
    """Members of the only pool, through the Octavia API (the state dump does not link them to pools)."""
    pool = _pool(env, lb)
    found = env.sim.connect().load_balancer.members(pool["id"])
    return sorted(({"address": m.address, "subnet_id": m.subnet_id} for m in found), key=str)


def _fips_on(env, lb: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in env.fips() if f["port_id"] == lb["vip_port_id"]]


def _ingress_ip(env, name: str) -> str:
    (ingress,) = env.service(name).status.load_balancer.ingress
    return ingress.ip


def _ready(env, name: str) -> Any:
    (ready,) = [c for c in env.service(name).status.conditions or [] if c.type == "LoadBalancerReady"]
    return ready


def _counts(env, method: str, fragment: str) -> int:
    return sum(v for k, v in env.sim.control.counts().items() if k.startswith(method + " ") and fragment in k)


def _in(cidr: str, address: str) -> bool:
    return ipaddress.ip_address(address) in ipaddress.ip_network(cidr)


def _add_subnet(env, network_id: str, cidr: str, **extra: Any) -> Any:
    return env.sim.connect().network.create_subnet(
        network_id=network_id, ip_version=4, cidr=cidr, name=f"extra-{uuid.uuid4().hex[:6]}", **extra
    )


# ---- 1. node-selector ---------------------------------------------------------------------------
def test_node_selector_annotation_chooses_members(reconcile_env):
    env = reconcile_env()
    env.add_node("web", "10.0.0.150", tier="web")
    env.add_node("db", "10.0.0.151", tier="db")
    env.create_service("sel", ports(80), {A + "node-selector": "tier=web"})
    env.drive("sel")
    lb = _lb(env, "sel")
    assert [m["address"] for m in _members(env, lb)] == ["10.0.0.150"]
    assert env.reasons("sel") == ["EnsuringLoadBalancer", "EnsuredLoadBalancer"]

    # a key without a value matches every node carrying the key
    env.patch_service("sel", {"metadata": {"annotations": {A + "node-selector": "tier"}}})
    env.drive("sel")
    assert [m["address"] for m in _members(env, lb)] == ["10.0.0.150", "10.0.0.151"]
    assert _lb(env, "sel")["id"] == lb["id"]


def test_empty_node_selector_annotation_overrides_cloud_conf(reconcile_env):
    """cloud.conf's node-selector picks one node; the annotation present but empty means no filtering at
    all (OCCM): every eligible node of the cluster becomes a member."""
    pick = f"p{uuid.uuid4().hex[:8]}"
    env = reconcile_env(node_selector=f"octavia-lb.test/pick={pick}")
    env.add_node("a", "10.0.0.152", **{"octavia-lb.test/pick": pick})
    env.add_node("b", "10.0.0.153")
    env.create_service("all", ports(80))
    env.drive("all")
    lb = _lb(env, "all")
    assert [m["address"] for m in _members(env, lb)] == ["10.0.0.152"]

    env.patch_service("all", {"metadata": {"annotations": {A + "node-selector": ""}}})
    env.drive("all")
    addresses = {m["address"] for m in _members(env, lb)}
    # other Nodes of the shared cluster may be members too: only ours are known
    assert {"10.0.0.152", "10.0.0.153"} <= addresses, addresses


# ---- 2. member subnet ---------------------------------------------------------------------------
def test_member_subnet_from_annotation_else_cloud_conf(reconcile_env):
    env = reconcile_env()
    conf_subnet = _add_subnet(env, env.ids.private_network, "10.0.7.0/24")
    annotated_subnet = _add_subnet(env, env.ids.private_network, "10.0.8.0/24")
    env.reconcile_conf_append(f"member-subnet-id = {conf_subnet.id}\n")
    env.add_node("a", "10.0.0.154")
    env.create_service("conf", ports(80))
    env.create_service("ann", ports(81), {A + "member-subnet-id": annotated_subnet.id})
    env.drive("conf")
    env.drive("ann")

    conf_lb, ann_lb = _lb(env, "conf"), _lb(env, "ann")
    assert conf_lb["vip_subnet_id"] == ann_lb["vip_subnet_id"] == env.ids.private_subnet
    assert _members(env, conf_lb) == [{"address": "10.0.0.154", "subnet_id": conf_subnet.id}]
    assert _members(env, ann_lb) == [{"address": "10.0.0.154", "subnet_id": annotated_subnet.id}]
    assert _ready(env, "ann").status == "True"


# ---- 3. floating IP placement -------------------------------------------------------------------
def _second_external_network(env, cidr: str) -> tuple[Any, Any]:
    """An external network with a subnet and a router to the private subnet, so its floating IPs can be
    attached to a VIP there."""
    conn = env.sim.connect()
    network = conn.network.create_network(name=f"ext-{uuid.uuid4().hex[:6]}", is_router_external=True)
    subnet = _add_subnet(env, network.id, cidr)
    router = conn.network.create_router(
        name=f"router-{network.name}", external_gateway_info={"network_id": network.id}
    )
    port = conn.network.create_port(
        network_id=env.ids.private_network, fixed_ips=[{"subnet_id": env.ids.private_subnet}]
    )
    conn.network.add_interface_to_router(router, port_id=port.id)
    return network, subnet


def test_floating_network_annotation_wins_over_cloud_conf(reconcile_env):
    env = reconcile_env()
    network, subnet = _second_external_network(env, "172.30.1.0/24")
    env.add_node("a", "10.0.0.155")
    env.create_service("fnet", ports(80), {A + "floating-network-id": network.id})
    env.drive("fnet")

    lb = _lb(env, "fnet")
    (fip,) = _fips_on(env, lb)
    assert fip["floating_network_id"] == network.id
    assert _in(subnet.cidr, fip["floating_ip_address"]), fip
    assert _ingress_ip(env, "fnet") == fip["floating_ip_address"]
    assert env.service("fnet").metadata.annotations[LB_ADDRESS] == fip["floating_ip_address"]


def test_floating_subnet_id_annotation_places_the_floating_ip(reconcile_env):
    env = reconcile_env()
    subnet = _add_subnet(env, env.ids.public_network, "172.24.9.0/24")
    env.add_node("a", "10.0.0.156")
    env.create_service("fsub", ports(80), {A + "floating-subnet-id": subnet.id})
    env.drive("fsub")

    lb = _lb(env, "fsub")
    (fip,) = _fips_on(env, lb)
    assert (fip["floating_network_id"], _in("172.24.9.0/24", fip["floating_ip_address"])) == (
        env.ids.public_network,
        True,
    ), fip
    assert _ingress_ip(env, "fsub") == fip["floating_ip_address"]


@pytest.mark.parametrize(
    ("form", "untagged", "tagged", "node_ip"),
    [
        ("&{tag}", "172.24.10.0/24", "172.24.11.0/24", "10.0.0.157"),  # all of (Neutron `tags`)
        ("{tag}", "172.24.12.0/24", "172.24.13.0/24", "10.0.0.167"),  # any of (`tags-any`)
        ("{tag},nothing-has-this", "172.24.14.0/24", "172.24.15.0/24", "10.0.0.168"),
    ],
    ids=["all-of", "any-of", "any-of-two"],
)
def test_floating_subnet_tags_annotation_places_the_floating_ip(
    reconcile_env, form, untagged, tagged, node_ip
):
    env = reconcile_env()
    tag = f"pick-{uuid.uuid4().hex[:8]}"
    _add_subnet(env, env.ids.public_network, untagged)  # untagged: must not be chosen
    chosen = _add_subnet(env, env.ids.public_network, tagged)
    env.sim.connect().network.set_tags(chosen, [tag])
    env.add_node("a", node_ip)
    env.create_service("ftag", ports(80), {A + "floating-subnet-tags": form.format(tag=tag)})
    env.drive("ftag")

    lb = _lb(env, "ftag")
    (fip,) = _fips_on(env, lb)
    assert _in(tagged, fip["floating_ip_address"]), fip
    assert _ingress_ip(env, "ftag") == fip["floating_ip_address"]


def test_floating_subnet_outside_floating_network_is_an_error(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.158")
    env.create_service("fbad", ports(80), {A + "floating-subnet-id": env.ids.private_subnet})

    error = env.drive_error("fbad")

    occm = (
        f'floating IP subnet "{env.ids.private_subnet}" doesn\'t belong to the network '
        f'"{env.ids.private_network}"'
    )
    assert error.message == occm
    text = f"Error syncing load balancer: failed to ensure load balancer: {occm}"
    assert ("Warning", "SyncLoadBalancerFailed", text) in env.events("fbad")
    ready = _ready(env, "fbad")
    assert (ready.status, ready.message) == ("False", text)
    assert not (env.service("fbad").status.load_balancer and env.service("fbad").status.load_balancer.ingress)
    assert _fips_on(env, _lb(env, "fbad")) == [], "no floating IP was made anywhere else"


# ---- 4. keep-floatingip and a switch to internal ------------------------------------------------
def test_keep_floatingip_switch_to_internal_detaches_and_keeps(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.159")
    env.create_service("keep", ports(80), {A + "keep-floatingip": "true"})
    env.drive("keep")
    lb = _lb(env, "keep")
    (fip,) = _fips_on(env, lb)

    env.patch_service("keep", {"metadata": {"annotations": {INTERNAL: "true"}}})
    env.drive("keep")

    (kept,) = [f for f in env.fips() if f["id"] == fip["id"]]
    assert (kept["floating_ip_address"], kept["port_id"]) == (fip["floating_ip_address"], None)
    assert _fips_on(env, lb) == []
    assert _ingress_ip(env, "keep") == lb["vip_address"]
    assert env.service("keep").metadata.annotations[LB_ADDRESS] == lb["vip_address"]
    assert _lb(env, "keep")["id"] == lb["id"], "the load balancer itself stays"


# ---- 5. loadBalancerIP that no floating IP holds yet ----------------------------------------------
def test_load_balancer_ip_creates_floating_ip_with_that_address(reconcile_env):
    env = reconcile_env()
    wanted = "172.24.4.201"
    assert [f for f in env.fips() if f["floating_ip_address"] == wanted] == []
    env.add_node("a", "10.0.0.160")
    env.create_service("pinned", ports(80), loadBalancerIP=wanted)
    env.drive("pinned")

    lb = _lb(env, "pinned")
    (fip,) = _fips_on(env, lb)
    assert (fip["floating_ip_address"], fip["floating_network_id"]) == (wanted, env.ids.public_network)
    assert fip["description"].startswith("Floating IP for Kubernetes external service ")
    assert lb["vip_address"] != wanted, "for an external Service loadBalancerIP names the floating IP"
    assert _ingress_ip(env, "pinned") == wanted
    assert env.service("pinned").metadata.annotations[LB_ADDRESS] == wanted

    env.delete_service("pinned")
    env.drive("pinned")
    assert [f for f in env.fips() if f["id"] == fip["id"]] == [], "a floating IP we created goes with it"


# ---- 6. lb-method ---------------------------------------------------------------------------------
def test_lb_method_change_updates_pool_in_place(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.161")
    env.create_service("algo", ports(80), {A + "lb-method": "ROUND_ROBIN"})
    env.drive("algo")
    lb = _lb(env, "algo")
    before = _pool(env, lb)
    assert before["lb_algorithm"] == "ROUND_ROBIN"

    env.sim.control.clear_counts()
    env.patch_service("algo", {"metadata": {"annotations": {A + "lb-method": "LEAST_CONNECTIONS"}}})
    env.drive("algo")

    after = _pool(env, lb)
    assert (after["id"], after["lb_algorithm"]) == (before["id"], "LEAST_CONNECTIONS")
    assert _counts(env, "PUT", "/pools/") == 1
    assert _counts(env, "POST", "/pools") == _counts(env, "DELETE", "/pools") == 0
    assert _ready(env, "algo").status == "True"


# ---- 7. listener timeouts and monitor parameters --------------------------------------------------
def _timeouts(listener: dict[str, Any]) -> tuple[int, ...]:
    return tuple(
        listener[k] for k in ("timeout_member_connect", "timeout_member_data", "timeout_tcp_inspect")
    )


def _timeout_annotations(connect: int, data: int, inspect: int) -> dict[str, str]:
    return {
        A + "timeout-member-connect": str(connect),
        A + "timeout-member-data": str(data),
        A + "timeout-tcp-inspect": str(inspect),
    }


def test_member_timeouts_land_on_listener_and_update_in_place(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.162")
    env.create_service("tmo", ports(80), _timeout_annotations(3000, 40000, 100))
    env.drive("tmo")
    lb = _lb(env, "tmo")
    (listener,) = _listeners(env, lb)
    assert _timeouts(listener) == (3000, 40000, 100)

    env.sim.control.clear_counts()
    env.patch_service("tmo", {"metadata": {"annotations": _timeout_annotations(4000, 45000, 200)}})
    env.drive("tmo")

    (updated,) = _listeners(env, lb)
    assert updated["id"] == listener["id"]
    assert _timeouts(updated) == (4000, 45000, 200)
    assert updated["timeout_client_data"] == 50000, "the default client timeout is untouched"
    assert _counts(env, "PUT", "/listeners/") == 1
    assert _counts(env, "POST", "/listeners") == _counts(env, "DELETE", "/listeners") == 0


def _monitor_annotations(delay: int, timeout: int, retries: int, down: int) -> dict[str, str]:
    return {
        A + "enable-health-monitor": "true",
        A + "health-monitor-delay": str(delay),
        A + "health-monitor-timeout": str(timeout),
        A + "health-monitor-max-retries": str(retries),
        A + "health-monitor-max-retries-down": str(down),
    }


def _monitor_values(monitor: dict[str, Any]) -> tuple[int, int, int, int]:
    return (monitor["delay"], monitor["timeout"], monitor["max_retries"], monitor["max_retries_down"])


def test_monitor_parameters_land_on_monitor(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.163")
    env.create_service("hm", ports(80), _monitor_annotations(7, 4, 2, 4))
    env.drive("hm")
    lb = _lb(env, "hm")
    monitor = _monitor(env, lb)
    assert (monitor["type"], _monitor_values(monitor)) == ("TCP", (7, 4, 2, 4))
    assert monitor["name"] == f"monitor_0_{lb['name']}"
    assert _ready(env, "hm").status == "True"

    # a change lands on the same monitor, in place, and the reconcile settles (the memo once kept the
    # pre-update monitor and PUT it again for ever)
    env.patch_service("hm", {"metadata": {"annotations": _monitor_annotations(9, 6, 3, 5)}})
    env.sim.control.clear_counts()
    env.drive("hm")
    after = _monitor(env, lb)
    assert (after["id"], _monitor_values(after)) == (monitor["id"], (9, 6, 3, 5))
    assert env.sim.control.counts().get("PUT /load-balancer/v2.0/lbaas/healthmonitors/{id}") == 1


# ---- 8. sessionAffinity ---------------------------------------------------------------------------
def test_session_affinity_client_ip_is_source_ip_persistence(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.164")
    env.create_service("sticky", ports(80), sessionAffinity="ClientIP")
    env.drive("sticky")
    lb = _lb(env, "sticky")
    pool = _pool(env, lb)
    assert (pool["session_persistence"] or {}).get("type") == "SOURCE_IP", pool["session_persistence"]

    # unlike OCCM (set at creation only) the worker also follows a change, in place
    env.patch_service("sticky", {"spec": {"sessionAffinity": "None"}})
    env.drive("sticky")
    after = _pool(env, lb)
    assert (after["id"], after["session_persistence"]) == (pool["id"], None)


# ---- 9. proxy protocol v1 / true ------------------------------------------------------------------
def _stored_ingress(env, name: str) -> list[dict[str, Any]]:
    """status.loadBalancer.ingress exactly as the API server stores it (no client model in between)."""
    raw = env.core.read_namespaced_service(name, env.namespace, _preload_content=False)
    return json.loads(raw.data)["status"]["loadBalancer"]["ingress"]


def test_proxy_protocol_v1_and_true_give_proxy_pool(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.165")
    env.create_service("proxy", ports(80), {A + "proxy-protocol": "v1"})
    env.drive("proxy")
    lb = _lb(env, "proxy")
    pool = _pool(env, lb)
    assert pool["protocol"] == "PROXY"
    (fip,) = _fips_on(env, lb)
    # the worker asks for ipMode Proxy; a 1.20 API server does not know the field and drops it
    assert _stored_ingress(env, "proxy") == [{"ip": fip["floating_ip_address"]}]

    env.sim.control.clear_counts()
    env.patch_service("proxy", {"metadata": {"annotations": {A + "proxy-protocol": "true"}}})
    env.drive("proxy")
    after = _pool(env, lb)
    assert (after["id"], after["protocol"]) == (pool["id"], "PROXY"), "same protocol: the pool is kept"
    assert _counts(env, "POST", "/pools") == _counts(env, "DELETE", "/pools") == 0


# ---- 11. no floating network anywhere -------------------------------------------------------------
def test_forced_internal_when_no_floating_network_can_be_found(reconcile_env):
    """Neither cloud.conf nor the Service names a floating network and no external network is visible: the
    Service gets an internal load balancer and OCCM's Warnings. The public network stops being external for
    this test only (the simulator is reset to its seed before every test)."""
    env = reconcile_env(floating_network_id="")
    conn = env.sim.connect()
    conn.network.update_network(env.ids.public_network, is_router_external=False)
    try:
        env.add_node("a", "10.0.0.166")
        env.create_service("noext", ports(80))
        env.drive("noext")
    finally:
        conn.network.update_network(env.ids.public_network, is_router_external=True)

    lb = _lb(env, "noext")
    assert _fips_on(env, lb) == []
    assert _ingress_ip(env, "noext") == lb["vip_address"]
    key = f"{env.namespace}/noext"
    events = env.events("noext")
    assert (
        "Warning",
        "LoadBalancerForcedInternal",
        f"Floating network configuration not provided for Service {key}, forcing to ensure an internal "
        "load balancer service",
    ) in events
    assert (
        "Warning",
        "LoadBalancerExternalNetworkSearchFailed",
        f"Failed to find floating-network-id for Service {key}: no router:external network with an IPv4 "
        "subnet is visible to this project",
    ) in events
    assert events[-1][:2] == ("Normal", "EnsuredLoadBalancer")
