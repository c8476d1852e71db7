"""A floating IP from a name-pattern subnet spec: the create step carries one attempt per matching subnet,
and the executor moves on when Neutron has no address left in one (OCCM tries each in turn)."""

from __future__ import annotations

import uuid

from tests.reconcile.conftest import ports
from tests.reconcile.test_more_features import (
    A,
    _fips_on,
    _in,
    _ingress_ip,
    _lb,
    _second_external_network,
)


def test_a_full_matching_subnet_is_skipped_for_the_next_one(reconcile_env) -> None:
    env = reconcile_env()
    # a network of this test's own, so its subnets change no other test's floating IPs
    network, _ = _second_external_network(env, "172.30.39.0/24")
    prefix = f"fb{uuid.uuid4().hex[:6]}"
    conn = env.sim.connect()
    # the first match has a single address, taken before the Service asks for one
    full = conn.network.create_subnet(
        network_id=network.id,
        ip_version=4,
        cidr="172.30.40.0/29",
        name=f"{prefix}-a-full",
        allocation_pools=[{"start": "172.30.40.2", "end": "172.30.40.2"}],
    )
    taken = conn.network.create_ip(floating_network_id=network.id, subnet_id=full.id)
    assert taken.floating_ip_address == "172.30.40.2"
    conn.network.create_subnet(network_id=network.id, ip_version=4, cidr="172.30.41.0/24", name=f"{prefix}-b")
    env.add_node("a", "10.0.0.191")
    annotations = {A + "floating-network-id": network.id, A + "floating-subnet": f"{prefix}-*"}
    env.create_service("fallback", ports(80), annotations)
    env.drive("fallback")

    (fip,) = _fips_on(env, _lb(env, "fallback"))
    assert _in("172.30.41.0/24", fip["floating_ip_address"]), fip
    assert _ingress_ip(env, "fallback") == fip["floating_ip_address"]
