"""Load balancers that exist before we look: OCCM's legacy name, and annotations left by a controller for a
load balancer that is gone (OCCM #2751)."""

from __future__ import annotations

import uuid

A = "loadbalancer.openstack.org/"


def test_legacy_named_load_balancer_is_adopted_and_left_when_its_service_goes(reconcile_env):
    """Adopted by its `a<uid>` name; on deletion OCCM removes only load balancers named kube_service_…, so
    this one loses the Service's listeners and tag, and stays."""
    env = reconcile_env()
    env.add_node("a", "10.0.0.54")
    env.create_service("web", [{"name": "http", "port": 80, "protocol": "TCP"}])
    uid = env.service("web").metadata.uid
    conn = env.sim.connect()
    legacy = ("a" + uid.replace("-", ""))[:32]
    made = conn.load_balancer.create_load_balancer(name=legacy, vip_subnet_id=env.ids.private_subnet)
    conn.load_balancer.wait_for_load_balancer(made.id, interval=0.2, wait=30)

    env.drive("web")
    [lb] = env.lbs()
    assert lb["id"] == made.id and lb["name"] == legacy
    assert [li["protocol_port"] for li in env.octavia("listeners")] == [80]
    assert env.service("web").metadata.annotations[A + "load-balancer-id"] == made.id

    env.delete_service("web")
    env.drive("web")
    (left,) = [lb for lb in env.lbs() if lb["id"] == made.id]
    assert left["name"] == legacy
    assert [li for li in env.octavia("listeners") if li["loadbalancer_id"] == made.id] == []
    assert not any(tag.startswith("kube_service_") for tag in left.get("tags") or [])
    assert env.core.list_namespaced_service(env.namespace).items == []
    assert env.reasons("web")[-1] == "DeletedLoadBalancer"


def test_stale_controller_annotations_do_not_block_creation(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.55")
    gone = str(uuid.uuid4())
    env.create_service(
        "web",
        [{"name": "http", "port": 80, "protocol": "TCP"}],
        {A + "load-balancer-id": gone, A + "load-balancer-address": "172.24.4.250"},
    )
    env.drive("web")
    [lb] = env.lbs()
    assert lb["id"] != gone
    assert env.service("web").metadata.annotations[A + "load-balancer-id"] == lb["id"]


def test_share_request_for_missing_load_balancer_fails_clearly(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.56")
    gone = str(uuid.uuid4())
    env.create_service(
        "web", [{"name": "http", "port": 80, "protocol": "TCP"}], {A + "load-balancer-id": gone}
    )
    error = env.drive_error("web")
    assert str(error).endswith(f"failed to get load balancer {gone}: Load Balancer {gone} not found")
    assert env.lbs() == []
