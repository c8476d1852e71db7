"""Seed features end to end: the real reconcile, kube-apiserver and the OpenStack simulator; assertions on
the simulator's state and on the Service's status, annotations and Events."""

from __future__ import annotations

from tests.reconcile.conftest import ports

INTERNAL = "service.beta.kubernetes.io/openstack-internal-load-balancer"
A = "loadbalancer.openstack.org/"


def test_etp_local_gets_http_monitor_on_health_check_port(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.41")
    env.create_service("web", ports(80), {A + "enable-health-monitor": "true"}, externalTrafficPolicy="Local")
    env.drive("web")

    hcnp = env.service("web").spec.health_check_node_port
    [monitor] = env.octavia("healthmonitors")
    assert (monitor["type"], monitor["http_method"], monitor["url_path"], monitor["expected_codes"]) == (
        "HTTP",
        "GET",
        "/healthz",
        "200",
    )
    assert [m["monitor_port"] for m in env.octavia("members")] == [hcnp]

    env.patch_service("web", {"metadata": {"annotations": {A + "enable-health-monitor": "false"}}})
    env.drive("web")
    assert env.octavia("healthmonitors") == []


def test_proxy_protocol_pool_and_status(reconcile_env):
    env = reconcile_env(enable_ingress_hostname="true")
    env.add_node("a", "10.0.0.42")
    env.create_service("web", ports(80), {A + "proxy-protocol": "v2"})
    env.drive("web")
    [pool] = env.octavia("pools")
    assert pool["protocol"] == "PROXYV2"
    # a 1.20 API server has no ingress ipMode; the nip.io hostname keeps in-cluster clients on the proxy
    [fip] = env.fips()
    ingress = env.service("web").status.load_balancer.ingress[0]
    assert (ingress.hostname, ingress.ip) == (f"{fip['floating_ip_address']}.nip.io", None)

    env.patch_service("web", {"metadata": {"annotations": {A + "proxy-protocol": "false"}}})
    env.drive("web")
    [pool] = env.octavia("pools")
    assert pool["protocol"] == "TCP", "the pool is replaced when its protocol changes"


def test_x_forwarded_for_switches_listener_protocol_safely(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.43")
    env.create_service("web", ports(80))
    env.drive("web")

    env.patch_service("web", {"metadata": {"annotations": {A + "x-forwarded-for": "true"}}})
    outcome = env.drive("web")
    [listener] = env.octavia("listeners")
    assert (listener["protocol"], listener["protocol_port"], listener["insert_headers"]) == (
        "HTTP",
        80,
        {"X-Forwarded-For": "true"},
    )
    assert env.octavia("pools")[0]["protocol"] == "HTTP"
    assert outcome.errors == [], "no 409 from creating the new listener before deleting the old one"


def test_source_ranges_and_limits_update_in_place(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.44")
    env.create_service("web", ports(80), loadBalancerSourceRanges=["10.1.0.0/16"])
    env.drive("web")
    [listener] = env.octavia("listeners")
    assert listener["allowed_cidrs"] == ["10.1.0.0/16"]
    first_id = listener["id"]

    env.patch_service(
        "web",
        {
            "spec": {"loadBalancerSourceRanges": ["10.2.0.0/16", "10.3.0.0/16"]},
            "metadata": {"annotations": {A + "connection-limit": "500", A + "timeout-client-data": "1234"}},
        },
    )
    env.drive("web")
    [listener] = env.octavia("listeners")
    assert listener["id"] == first_id
    assert sorted(listener["allowed_cidrs"]) == ["10.2.0.0/16", "10.3.0.0/16"]
    assert (listener["connection_limit"], listener["timeout_client_data"]) == (500, 1234)


def test_load_balancer_ip_reuses_available_floating_ip(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.45")
    conn = env.sim.connect()
    fip = conn.network.create_ip(floating_network_id=env.ids.public_network)
    env.create_service("web", ports(80), loadBalancerIP=fip.floating_ip_address)
    env.drive("web")
    [lb] = env.lbs()
    [only] = env.fips()
    assert (only["id"], only["port_id"]) == (fip.id, lb["vip_port_id"])
    assert env.service("web").status.load_balancer.ingress[0].ip == fip.floating_ip_address

    env.delete_service("web")
    env.drive("web")
    assert [f["id"] for f in env.fips()] == [fip.id], "a floating IP we did not create is never deleted"


def test_load_balancer_ip_attached_elsewhere_is_not_available(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.46")
    env.create_service("one", ports(80))
    env.drive("one")
    taken = env.fips()[0]["floating_ip_address"]
    env.create_service("two", ports(81), loadBalancerIP=taken)
    error = env.drive_error("two")
    assert f"floating IP {taken} is not available" in str(error)
    assert (
        "Warning",
        "SyncLoadBalancerFailed",
        f"Error syncing load balancer: failed to ensure load balancer: floating IP {taken} is not available",
    ) in env.events("two")
    ready = [c for c in env.service("two").status.conditions if c.type == "LoadBalancerReady"][0]
    assert ready.status == "False" and "is not available" in ready.message


def test_internal_and_switch_to_external_and_back(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.47")
    env.create_service("web", ports(80), {INTERNAL: "true"})
    env.drive("web")
    [lb] = env.lbs()
    assert env.fips() == []
    assert env.service("web").status.load_balancer.ingress[0].ip == lb["vip_address"]

    env.patch_service("web", {"metadata": {"annotations": {INTERNAL: "false"}}})
    env.drive("web")
    [fip] = env.fips()
    assert env.service("web").status.load_balancer.ingress[0].ip == fip["floating_ip_address"]

    env.patch_service("web", {"metadata": {"annotations": {INTERNAL: "true"}}})
    env.drive("web")
    assert env.fips() == [], "our floating IP is deleted on the switch to internal"
    assert env.service("web").metadata.annotations[A + "load-balancer-address"] == lb["vip_address"]


def test_keep_floatingip_survives_deletion(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.48")
    env.create_service("web", ports(80), {A + "keep-floatingip": "true"})
    env.drive("web")
    [fip] = env.fips()
    env.delete_service("web")
    env.drive("web")
    assert env.lbs() == []
    [kept] = env.fips()
    assert (kept["id"], kept["port_id"]) == (fip["id"], None)


def test_class_selects_floating_subnet_by_pattern(reconcile_env):
    env = reconcile_env()
    conf_path = env.context.settings.cloud_config
    with open(conf_path, "a") as conf:
        conf.write(
            f'[LoadBalancerClass "pub"]\nfloating-network-id = {env.ids.public_network}\n'
            "floating-subnet = public-sub*\n"
        )
    env.add_node("a", "10.0.0.49")
    env.create_service("web", ports(80), {A + "class": "pub"})
    env.drive("web")
    [fip] = env.fips()
    assert fip["floating_ip_address"].startswith("172.24.4.")


def test_error_build_is_deleted_and_recreated(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.50")
    env.sim.control.error_builds(1)
    env.create_service("web", ports(80))
    outcome = env.drive("web")
    assert any("has gone into ERROR state" in e and "will be retried" in e for e in outcome.errors)
    [lb] = env.lbs()
    assert lb["provisioning_status"] == "ACTIVE"
    assert env.service("web").metadata.annotations[A + "load-balancer-id"] == lb["id"]
    messages = [m for kind, reason, m in env.events("web") if reason == "SyncLoadBalancerFailed"]
    assert messages and "has gone into ERROR state" in messages[0]


def test_deletion_completes_when_load_balancer_already_gone(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.51")
    env.create_service("web", ports(80))
    env.drive("web")
    [lb] = env.lbs()
    conn = env.sim.connect()
    conn.load_balancer.delete_load_balancer(lb["id"], cascade=True)
    env.delete_service("web")
    env.drive("web", timeout=30)
    assert env.core.list_namespaced_service(env.namespace).items == []


def test_type_change_cleans_up_and_drops_annotations(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.52")
    env.create_service("web", ports(80))
    env.drive("web")
    env.patch_service("web", {"spec": {"type": "ClusterIP"}})
    env.drive("web")
    svc = env.service("web")
    assert env.lbs() == [] and env.fips() == []
    annotations = svc.metadata.annotations or {}
    assert A + "load-balancer-id" not in annotations and A + "load-balancer-address" not in annotations
    assert not svc.metadata.finalizers
    assert not (svc.status.load_balancer and svc.status.load_balancer.ingress)


def test_tls_termination_and_hostname_status(reconcile_env):
    env = reconcile_env(container_store="external")
    env.add_node("a", "10.0.0.53")
    ref = "https://barbican.example/v1/containers/5f0c4d4e-8d4b-4c6f-9e21-5a7b0c3d4e5f"
    env.create_service(
        "web", ports(443), {A + "default-tls-container-ref": ref, A + "hostname": "shop.example.com"}
    )
    env.drive("web")
    [listener] = env.octavia("listeners")
    assert (listener["protocol"], listener["default_tls_container_ref"]) == ("TERMINATED_HTTPS", ref)
    assert env.octavia("pools")[0]["protocol"] == "HTTP"
    [ingress] = env.service("web").status.load_balancer.ingress
    assert (ingress.hostname, ingress.ip) == ("shop.example.com", None)
