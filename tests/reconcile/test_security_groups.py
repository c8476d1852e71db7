"""Node ports in Neutron, through the real reconcile, kube-apiserver, Redis and the simulator's Neutron:
VIP subnet autodetection from the first node's port, and cloud.conf `manage-security-groups = true`
(occm-semantics §5.7): the group `lb-sg-<uid>-<ns>-<name>` holds exactly one ingress rule per NodePort (and
the health-check NodePort) from the member subnet, sits on the member nodes' ports, follows port and node
changes, and goes with the Service."""

from __future__ import annotations

import uuid
from typing import Any

from octavia_lb.common.naming import security_group_name
from tests.reconcile.conftest import SELECTOR_LABEL

MONITORED = {"loadbalancer.openstack.org/enable-health-monitor": "true"}


def _node_port(env, server: str) -> dict[str, Any]:
    """A Neutron port on the private subnet owned by `server`; Neutron picks its address."""
    conn = env.sim.connect()
    port = conn.network.create_port(
        network_id=env.ids.private_network,
        device_id=server,
        device_owner="compute:nova",
        fixed_ips=[{"subnet_id": env.ids.private_subnet}],
    )
    (stored,) = [p for p in _network(env)["ports"] if p["id"] == port.id]
    return stored


def _add_node_with_port(env, name: str) -> dict[str, Any]:
    server = str(uuid.uuid4())
    port = _node_port(env, server)
    env.add_node(name, port["fixed_ips"][0]["ip_address"], server=server)
    return port


def _network(env) -> dict[str, Any]:
    return env.sim.control.state()["network"]


def _group(env, service_name: str) -> dict[str, Any] | None:
    meta = env.service(service_name).metadata
    name = security_group_name(meta.uid, env.namespace, service_name)
    groups = [g for g in _network(env)["security_groups"] if g["name"] == name]
    assert len(groups) <= 1, groups
    return groups[0] if groups else None


def _rules(env, group: dict[str, Any]) -> set[tuple]:
    rules = [r for r in _network(env)["security_group_rules"] if r["security_group_id"] == group["id"]]
    return {
        (r["direction"], r["protocol"], r["ethertype"], r["remote_ip_prefix"], r["port_range_min"],
         r["port_range_max"])
        for r in rules
    }  # fmt: skip


def _groups_of(env, port: dict[str, Any]) -> list[str]:
    (current,) = [p for p in _network(env)["ports"] if p["id"] == port["id"]]
    return current["security_groups"]


def _ingress(protocol: str, port: int) -> tuple:
    return ("ingress", protocol, "IPv4", "10.0.0.0/24", port, port)


def test_security_group_follows_the_service_and_its_nodes(reconcile_env):
    env = reconcile_env(manage_security_groups="true")
    port_a = _add_node_with_port(env, "a")
    port_b = _add_node_with_port(env, "b")
    env.create_service(
        "web",
        [{"name": "http", "port": 80, "protocol": "TCP"}, {"name": "https", "port": 443, "protocol": "TCP"}],
        annotations=MONITORED,
        externalTrafficPolicy="Local",
    )
    env.drive("web")

    service = env.service("web")
    node_ports = {p.name: p.node_port for p in service.spec.ports}
    health = service.spec.health_check_node_port
    assert service.status.load_balancer.ingress, "the Service has no address"
    group = _group(env, "web")
    assert group is not None, "no security group was created"
    cluster = env.context.settings.cluster_name
    assert group["description"] == (
        f"Security Group for {env.namespace}/web Service LoadBalancer in cluster {cluster}"
    )
    # Neutron's default egress rules are gone; one rule per NodePort and the health-check NodePort
    assert _rules(env, group) == {
        _ingress("tcp", node_ports["http"]),
        _ingress("tcp", node_ports["https"]),
        _ingress("tcp", health),
    }
    for port in (port_a, port_b):
        assert port["security_groups"], "a node port starts with Neutron's default group"
        assert group["id"] in _groups_of(env, port)
        assert set(port["security_groups"]) <= set(_groups_of(env, port)), (
            "the node's own groups were dropped"
        )

    # settled: another run writes nothing to Neutron
    env.sim.control.clear_counts()
    env.drive("web")
    writes = {k: v for k, v in env.sim.control.counts().items() if k.split()[0] in ("POST", "PUT", "DELETE")}
    assert writes == {}, writes

    # a port goes away: its rule goes too
    env.set_ports("web", [{"name": "http", "port": 80, "protocol": "TCP", "nodePort": node_ports["http"]}])
    env.drive("web")
    assert _rules(env, group) == {_ingress("tcp", node_ports["http"]), _ingress("tcp", health)}

    # a node leaves: its port loses the group, the other keeps it
    env.remove_node("b")
    env.drive("web")
    assert group["id"] in _groups_of(env, port_a)
    assert group["id"] not in _groups_of(env, port_b)

    # the Service goes: the group is taken off the ports and deleted
    env.delete_service("web")
    env.drive("web")
    assert group["id"] not in _groups_of(env, port_a)
    assert group["id"] not in {g["id"] for g in _network(env)["security_groups"]}


def test_switching_the_option_off_removes_the_group(reconcile_env):
    env = reconcile_env(manage_security_groups="true")
    port = _add_node_with_port(env, "a")
    env.create_service("web", [{"name": "http", "port": 80, "protocol": "TCP"}])
    env.drive("web")
    group = _group(env, "web")
    assert group is not None and group["id"] in _groups_of(env, port)

    env.reconcile_conf_append("manage-security-groups = false\n")
    env.drive("web")
    assert _group(env, "web") is None
    assert _groups_of(env, port) == port["security_groups"], "the node port keeps only its own groups"


def test_without_the_option_no_security_group_is_touched(reconcile_env):
    env = reconcile_env()
    port = _add_node_with_port(env, "a")
    env.create_service("plain", [{"name": "http", "port": 80, "protocol": "TCP"}])
    env.drive("plain")
    assert env.service("plain").status.load_balancer.ingress
    assert _group(env, "plain") is None
    assert _groups_of(env, port) == port["security_groups"]


def test_vip_subnet_is_autodetected_from_the_first_nodes_port(reconcile_env):
    """No subnet-id anywhere: OCCM's autodetection reads the first node's Neutron port (device_id = the
    server of its providerID, fixed IP = its InternalIP) and puts the VIP on that port's subnet."""
    env = reconcile_env(subnet_id="")
    # OCCM reads the first of all eligible Nodes by name (before any node-selector); the test cluster is
    # shared, so this Node's name sorts before every other test's
    server = str(uuid.uuid4())
    port = _node_port(env, server)
    first = f"000-{env.run}"
    env.cluster.create_node(
        first,
        port["fixed_ips"][0]["ip_address"],
        labels={SELECTOR_LABEL: env.run},
        provider_id=f"openstack:///{server}",
    )
    env.nodes.append(first)  # deleted at teardown
    env.create_service("autovip", [{"name": "http", "port": 80, "protocol": "TCP"}])
    env.drive("autovip")
    lb_id = env.service("autovip").metadata.annotations["loadbalancer.openstack.org/load-balancer-id"]
    (lb,) = [lb for lb in env.lbs() if lb["id"] == lb_id]
    assert lb["vip_subnet_id"] == env.ids.private_subnet


def test_vip_subnet_autodetection_without_a_node_port_is_a_clear_error(reconcile_env):
    env = reconcile_env(subnet_id="")
    env.add_node("a", "10.0.0.97")  # no Neutron port holds this address
    env.create_service("noport", [{"name": "http", "port": 80, "protocol": "TCP"}])
    error = env.drive_error("noport")
    assert f"failed to get subnet to create load balancer for service {env.namespace}/noport" in error.message
    assert "set subnet-id in cloud.conf" in error.message
