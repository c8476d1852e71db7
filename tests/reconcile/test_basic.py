"""Create, update and delete one Service's load balancer with the real reconcile against the real API server
and the OpenStack simulator (openstacksdk over HTTP)."""

from __future__ import annotations

from prometheus_client import REGISTRY

from octavia_lb.common.rules import FINALIZER
from tests.reconcile.conftest import ports

LB_ID = "loadbalancer.openstack.org/load-balancer-id"
LB_ADDRESS = "loadbalancer.openstack.org/load-balancer-address"


def _node_ports(env, name: str) -> dict[int, int]:
    return {p.port: p.node_port for p in env.service(name).spec.ports}


def test_create_two_ports_with_monitor_and_floating_ip(reconcile_env):
    env = reconcile_env(create_monitor="true")
    env.add_node("a", "10.0.0.11")
    env.add_node("b", "10.0.0.12")
    env.create_service("web", ports(80, 443))

    outcome = env.drive("web")

    [lb] = env.lbs()
    assert lb["name"] == f"kube_service_{env.context.settings.cluster_name}_{env.namespace}_web"
    assert lb["provisioning_status"] == "ACTIVE"
    assert lb["tags"] == [lb["name"]]
    listeners = sorted(env.octavia("listeners"), key=lambda li: li["protocol_port"])
    assert [(li["name"], li["protocol"], li["protocol_port"]) for li in listeners] == [
        (f"listener_0_{lb['name']}", "TCP", 80),
        (f"listener_1_{lb['name']}", "TCP", 443),
    ]
    members = env.octavia("members")
    np = _node_ports(env, "web")
    assert sorted((m["address"], m["protocol_port"]) for m in members) == sorted(
        [("10.0.0.11", np[80]), ("10.0.0.11", np[443]), ("10.0.0.12", np[80]), ("10.0.0.12", np[443])]
    )
    monitors = env.octavia("healthmonitors")
    assert sorted(m["type"] for m in monitors) == ["TCP", "TCP"]
    [fip] = env.fips()
    assert fip["port_id"] == lb["vip_port_id"]
    assert fip["description"] == (
        f"Floating IP for Kubernetes external service {env.namespace}/web from cluster "
        f"{env.context.settings.cluster_name}"
    )

    svc = env.service("web")
    assert svc.status.load_balancer.ingress[0].ip == fip["floating_ip_address"]
    assert svc.metadata.annotations[LB_ID] == lb["id"]
    assert svc.metadata.annotations[LB_ADDRESS] == fip["floating_ip_address"]
    assert FINALIZER in svc.metadata.finalizers
    ready = [c for c in svc.status.conditions or [] if c.type == "LoadBalancerReady"]
    assert ready and ready[0].status == "True"
    assert env.reasons("web") == ["EnsuringLoadBalancer", "EnsuredLoadBalancer"]
    assert outcome.requeues, "a new load balancer is PENDING_CREATE at first"
    assert _sample("octavia_lb_openstack_requests_total", operation="create_loadbalancer", status="ok") >= 1
    assert _sample("octavia_lb_service_time_to_ready_seconds_count") >= 1


def _sample(name: str, **labels: str) -> float:
    value = REGISTRY.get_sample_value(name, labels)
    return value or 0.0


def test_ports_added_removed_and_nodes_changed(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.21")
    env.create_service("web", ports(80))
    env.drive("web")

    env.set_ports("web", ports(80, 8080))
    env.drive("web")
    assert sorted(li["protocol_port"] for li in env.octavia("listeners")) == [80, 8080]
    assert len(env.octavia("members")) == 2

    env.add_node("b", "10.0.0.22")
    env.sim.control.clear_counts()
    env.drive("web")
    batch = {k: v for k, v in env.sim.control.counts().items() if k.startswith("PUT") and "members" in k}
    assert sum(batch.values()) == 2, "exactly one batch member update per pool"
    assert sorted(m["address"] for m in env.octavia("members")) == [
        "10.0.0.21",
        "10.0.0.21",
        "10.0.0.22",
        "10.0.0.22",
    ]

    env.remove_node("a")
    env.set_ports("web", ports(8080))
    env.drive("web")
    assert [li["protocol_port"] for li in env.octavia("listeners")] == [8080]
    np = _node_ports(env, "web")
    assert [(m["address"], m["protocol_port"]) for m in env.octavia("members")] == [("10.0.0.22", np[8080])]
    assert len(env.octavia("pools")) == 1


def test_delete_releases_everything_and_removes_finalizer(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.31")
    env.create_service("web", ports(80))
    env.drive("web")
    assert len(env.fips()) == 1

    env.delete_service("web")
    env.drive("web")

    assert env.lbs() == []
    assert env.fips() == []
    assert env.core.list_namespaced_service(env.namespace).items == []
    assert env.reasons("web")[-2:] == ["DeletingLoadBalancer", "DeletedLoadBalancer"]


def test_disabled_load_balancing_provisions_nothing_and_still_cleans_up(reconcile_env):
    """cloud.conf `[LoadBalancer] enabled = false` (OCCM's switch): no Octavia or Neutron call is made for a
    Service, and a Service that had a load balancer before the switch is still cleaned up when deleted."""
    env = reconcile_env()
    env.add_node("a", "10.0.0.93")
    env.create_service("before", [{"name": "http", "port": 80, "protocol": "TCP"}])
    env.drive("before")
    lb_id = env.service("before").metadata.annotations["loadbalancer.openstack.org/load-balancer-id"]

    env.reconcile_conf_append("enabled = false\n")
    env.sim.control.clear_counts()
    env.create_service("after", [{"name": "http", "port": 80, "protocol": "TCP"}])
    env.drive("after")
    assert env.sim.control.counts() == {}, "a disabled controller talked to OpenStack"
    after = env.service("after")
    assert not (after.status.load_balancer and after.status.load_balancer.ingress)

    env.delete_service("before")
    env.drive("before")
    assert lb_id not in {lb["id"] for lb in env.lbs()}


def test_floating_network_is_autodetected_when_not_configured(reconcile_env):
    """No floating-network-id anywhere: OCCM's autodetection picks the router:external network (the
    simulator's `public`), and the floating IP comes from it."""
    env = reconcile_env(floating_network_id="")
    env.add_node("a", "10.0.0.94")
    env.create_service("auto", [{"name": "http", "port": 80, "protocol": "TCP"}])
    env.drive("auto")
    address = env.service("auto").status.load_balancer.ingress[0].ip
    (fip,) = [f for f in env.fips() if f["floating_ip_address"] == address]
    assert fip["floating_network_id"] == env.ids.public_network
    assert "LoadBalancerForcedInternal" not in env.reasons("auto")


def test_delete_without_cascade_removes_every_child_first(reconcile_env):
    """cloud.conf `cascade-delete = false`: Octavia refuses to delete a load balancer with children, so the
    worker deletes each pool and listener first, including ones someone else added (a listener with its own
    tag, a pool on no listener), then the load balancer."""
    env = reconcile_env(cascade_delete="false", create_monitor="true")
    env.add_node("a", "10.0.0.95")
    env.create_service(
        "nocascade",
        [{"name": "a", "port": 80, "protocol": "TCP"}, {"name": "b", "port": 81, "protocol": "TCP"}],
    )
    env.drive("nocascade")
    lb_id = env.service("nocascade").metadata.annotations["loadbalancer.openstack.org/load-balancer-id"]
    conn = env.sim.connect()
    conn.load_balancer.create_listener(
        loadbalancer_id=lb_id, protocol="TCP", protocol_port=9000, tags=["by-hand"]
    )
    conn.load_balancer.wait_for_load_balancer(lb_id, interval=0.2, wait=30)
    conn.load_balancer.create_pool(loadbalancer_id=lb_id, protocol="TCP", lb_algorithm="ROUND_ROBIN")
    conn.load_balancer.wait_for_load_balancer(lb_id, interval=0.2, wait=30)

    env.sim.control.clear_counts()
    env.delete_service("nocascade")
    outcome = env.drive("nocascade")

    assert lb_id not in {lb["id"] for lb in env.lbs()}
    assert not [x for x in env.octavia("listeners") if x["loadbalancer_id"] == lb_id]
    counts = env.sim.control.counts()
    assert counts.get("DELETE /load-balancer/v2.0/lbaas/loadbalancers/{id}") == 1, counts
    assert outcome.errors == [], outcome


def test_floating_ip_delete_failure_names_the_address_and_port(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.96")
    env.create_service("fipfail", [{"name": "http", "port": 80, "protocol": "TCP"}])
    env.drive("fipfail")
    address = env.service("fipfail").status.load_balancer.ingress[0].ip
    (fip,) = [f for f in env.fips() if f["floating_ip_address"] == address]
    env.sim.control.fail_next("DELETE /networking/v2.0/floatingips/{id}", 403, message="policy says no")

    env.delete_service("fipfail")
    error = env.drive_error("fipfail")

    assert error.message.startswith(
        f"failed to delete floating IP {address} for loadbalancer VIP port {fip['port_id']}: "
    ), error.message
    assert "policy says no" in error.message
    assert any(r == "DeleteLoadBalancerFailed" for r in env.reasons("fipfail"))
