"""The convergence memo on a real Redis: reused only while a pool keeps its member and monitor ids."""

from __future__ import annotations

import redis

from octavia_lb.worker.cloud.observed import (
    ListenerId,
    ListenerState,
    LoadBalancerId,
    MonitorId,
    Observed,
    OsListener,
    OsLoadBalancer,
    OsMember,
    OsMonitor,
    OsPool,
    PoolId,
    PoolState,
)
from octavia_lb.worker.plan.steps import ReplaceMembers, UpdateListener, UpdatePool
from octavia_lb.worker.reconcile import memo


def _state() -> Observed:
    members = (OsMember("m1", "n1", "10.0.0.1", 30080, None, None),)
    monitor = OsMonitor(MonitorId("hm1"), "monitor", "TCP", 5, 3, 1, 3, None, None, None)
    pool = OsPool(PoolId("p1"), "pool", "TCP", "ROUND_ROBIN", None, ("l1",), frozenset({"m1"}), monitor.id)
    listener = OsListener(
        ListenerId("l1"), "listener", "TCP", 80, -1, (1, 2, 3, 4), (), (), None, (), pool.id
    )
    lb = OsLoadBalancer(LoadBalancerId("lb1"), "lb", "ACTIVE", "10.0.0.9", "port", "subnet", ())
    return Observed(lb, (ListenerState(listener, PoolState(pool, members, monitor)),), (), None)


def test_entry_round_trip_and_validation(redis_server):
    client = redis.Redis.from_url(redis_server)
    state = _state()
    memo.save_after(client, "t:", state, UpdateListener(ListenerId("l1"), {"connection_limit": 5}))
    entries = memo.load(client, "t:", "lb1").pools
    pool = state.listeners[0].pool.pool
    assert entries["p1"][1] == state.listeners[0].pool.members
    assert entries["p1"][2] == state.listeners[0].pool.monitor
    assert memo.fits(entries["p1"], pool)
    assert not memo.fits(
        entries["p1"],
        OsPool(
            pool.id,
            pool.name,
            pool.protocol,
            pool.lb_algorithm,
            None,
            (),
            frozenset({"m1", "m2"}),
            pool.monitor_id,
        ),
    ), "another writer"
    memo.drop(client, "t:", "lb1")
    assert memo.load(client, "t:", "lb1") == memo.EMPTY


def test_member_write_is_remembered_as_written(redis_server):
    client = redis.Redis.from_url(redis_server)
    body = [
        {"name": "n1", "address": "10.0.0.1", "protocol_port": 30080},
        {"name": "n2", "address": "10.0.0.2", "protocol_port": 30080},
    ]
    memo.save_after(client, "t:", _state(), ReplaceMembers(PoolId("p1"), body))
    remembered = memo.load(client, "t:", "lb1")
    ids, members, monitor = remembered.pools["p1"]
    assert ids is None, "trusted once, whatever ids Octavia gave the new members"
    assert [(m.name, m.address) for m in members] == [("n1", "10.0.0.1"), ("n2", "10.0.0.2")]
    assert monitor is not None and monitor.id == "hm1"
    state = _state()
    assert remembered.lists_for(frozenset({"p1"})) == (
        (state.listeners[0].listener,),
        (state.listeners[0].pool.pool,),
    ), "lists survive a member-only write"
    assert remembered.lists_for(frozenset({"p1", "p2"})) is None, "not once the pools changed"


def test_pool_touched_otherwise_is_forgotten(redis_server):
    client = redis.Redis.from_url(redis_server)
    memo.save_after(client, "t:", _state(), UpdatePool(PoolId("p1"), {"lb_algorithm": "SOURCE_IP"}))
    remembered = memo.load(client, "t:", "lb1")
    assert "p1" not in remembered.pools and remembered.lists_for(frozenset({"p1"})) is None
