"""`default-tls-container-ref` with cloud.conf `container-store = barbican` (OCCM's default), end to end: the
real reconcile GETs the container or secret from the simulator's Barbican before building the
TERMINATED_HTTPS listener, and a reference Barbican does not hold fails with OCCM's message and builds
nothing."""

from __future__ import annotations

import uuid
from typing import Any

A = "loadbalancer.openstack.org/"
TLS_PORT = [{"name": "https", "port": 443, "protocol": "TCP"}]


def _certificate(env) -> tuple[str, str]:
    """A secret and a certificate container holding it, made through openstacksdk: their refs."""
    conn = env.sim.connect()
    secret = conn.key_manager.create_secret(
        name=f"cert-{uuid.uuid4().hex[:6]}",
        payload="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        payload_content_type="text/plain",
        secret_type="certificate",
    )
    container = conn.key_manager.create_container(
        name=f"tls-{uuid.uuid4().hex[:6]}",
        type="certificate",
        secret_refs=[{"name": "certificate", "secret_ref": secret.secret_ref}],
    )
    return container.container_ref, secret.secret_ref


def _listener(env, name: str) -> dict[str, Any]:
    lb_id = env.service(name).metadata.annotations[A + "load-balancer-id"]
    (listener,) = [li for li in env.octavia("listeners") if li["loadbalancer_id"] == lb_id]
    return listener


def _lbs_named(env, name: str) -> list[dict[str, Any]]:
    return [
        lb
        for lb in env.lbs()
        if lb["name"] == f"kube_service_{env.context.settings.cluster_name}_{env.namespace}_{name}"
    ]


def test_container_and_secret_references_barbican_holds_are_used(reconcile_env):
    env = reconcile_env()  # container-store defaults to barbican
    env.add_node("a", "10.0.0.98")
    container_ref, secret_ref = _certificate(env)
    env.sim.control.clear_counts()
    env.create_service("viacontainer", TLS_PORT, {A + "default-tls-container-ref": container_ref})
    env.create_service("viasecret", TLS_PORT, {A + "default-tls-container-ref": secret_ref})
    env.drive("viacontainer")
    env.drive("viasecret")

    for name, ref in (("viacontainer", container_ref), ("viasecret", secret_ref)):
        listener = _listener(env, name)
        assert (listener["protocol"], listener["default_tls_container_ref"]) == ("TERMINATED_HTTPS", ref)
    counts = env.sim.control.counts()
    assert counts.get("GET /key-manager/v1/containers/{id}", 0) >= 1, counts
    assert counts.get("GET /key-manager/v1/secrets/{id}", 0) >= 1, counts


def test_a_reference_barbican_does_not_hold_fails_with_occms_message(reconcile_env):
    env = reconcile_env()
    env.add_node("a", "10.0.0.99")
    container_ref, _ = _certificate(env)
    missing = container_ref.rsplit("/", 1)[0] + f"/{uuid.uuid4()}"
    env.create_service("missing", TLS_PORT, {A + "default-tls-container-ref": missing})

    error = env.drive_error("missing")

    assert f'failed to get tls container "{missing}": ' in error.message, error.message
    assert "404" in error.message
    assert _lbs_named(env, "missing") == [], "a load balancer was built for a reference Barbican lacks"
    warnings = [m for t, r, m in env.events("missing") if r == "SyncLoadBalancerFailed"]
    assert warnings and f'failed to get tls container "{missing}"' in warnings[-1]


def test_a_cloud_conf_reference_of_an_unknown_kind_is_refused(reconcile_env):
    env = reconcile_env(default_tls_container_ref="https://barbican.example/v1/orders/1234")
    env.add_node("a", "10.0.0.100")
    env.create_service("orders", TLS_PORT)
    error = env.drive_error("orders")
    expected = f"failed to validate tlsContainerRef for service {env.namespace}/orders: "
    assert expected + "tlsContainerRef type orders unknown" in error.message, error.message
    assert _lbs_named(env, "orders") == []
