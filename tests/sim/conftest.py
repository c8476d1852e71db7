"""Fixtures of the simulator's own tests: an openstacksdk connection as the admin (`conn`) and an ACTIVE load
balancer on the seeded private subnet (`lb`), both on the per-test clean simulator (`sim`)."""

from __future__ import annotations

import pytest

from tests.sim.helpers import private_subnet, wait_active


@pytest.fixture
def conn(sim):
    return sim.connect("sim")


@pytest.fixture
def lb(conn):
    made = conn.load_balancer.create_load_balancer(name="lb1", vip_subnet_id=private_subnet(conn).id)
    return wait_active(conn, made.id)
