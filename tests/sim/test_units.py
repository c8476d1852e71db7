"""The simulator's pure parts: the clock and event heap, timing profiles, IPAM, routing, query rules."""

from __future__ import annotations

import random

import pytest
from octavia_lb_devkit.sim.clock import Clock, Scheduler
from octavia_lb_devkit.sim.errors import ApiError, Service
from octavia_lb_devkit.sim.http import Call, Router
from octavia_lb_devkit.sim.neutron import ipam
from octavia_lb_devkit.sim.octavia.states import Operation
from octavia_lb_devkit.sim.query import Dialect, list_view
from octavia_lb_devkit.sim.timing import Timing, parse_overrides


def test_scheduler_runs_only_due_events_in_order():
    clock = Clock()
    scheduler = Scheduler(clock)
    ran: list[str] = []
    scheduler.at(10, lambda: ran.append("late"))
    scheduler.at(5, lambda: ran.append("b"))
    scheduler.at(5, lambda: ran.append("c"))
    assert scheduler.run_due() == 0 and ran == []
    clock.advance(6)
    assert scheduler.run_due() == 2 and ran == ["b", "c"]
    clock.advance(5)
    scheduler.run_due()
    assert ran == ["b", "c", "late"] and scheduler.pending() == 0


def test_timing_profiles_overrides_and_seeded_draws():
    fast, realistic = Timing("fast"), Timing("realistic")
    assert fast.range_for(Operation.LB_CREATE)[1] < 1 <= realistic.range_for(Operation.CHILD_UPDATE)[0]
    assert 45 <= realistic.draw(Operation.LB_CREATE, random.Random(1)) <= 90
    same = [Timing("realistic").draw(Operation.LB_CREATE, random.Random(3)) for _ in range(2)]
    assert same[0] == same[1]
    assert fast.with_overrides({"lb_create": [2, 2]}).draw(Operation.LB_CREATE, random.Random()) == 2


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"lb_build": 1}, "unknown operation 'lb_build'"),
        ({"lb_create": -1}, "0 <= min <= max"),
        ({"lb_create": "slow"}, "must be seconds or"),
        ({"lb_create": [3, 1]}, "0 <= min <= max"),
    ],
    ids=["unknown", "negative", "not-a-number", "inverted"],
)
def test_bad_delay_overrides_name_key_and_value(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_overrides(raw)


def test_unknown_profile_is_rejected():
    with pytest.raises(ValueError, match="profile: 'slow' is not one of"):
        Timing("slow")


def test_ipam_pools_and_next_free():
    pools = ipam.default_pools("10.0.0.0/29", "10.0.0.1")
    assert pools == [{"start": "10.0.0.2", "end": "10.0.0.6"}]
    assert ipam.next_free(pools, {"10.0.0.2", "10.0.0.3"}) == "10.0.0.4"
    assert ipam.next_free(pools, {f"10.0.0.{i}" for i in range(2, 7)}) is None
    v6 = ipam.default_pools("fd00::/64", "fd00::1")
    assert v6[0]["start"] == "fd00::2" and ipam.next_free(v6, set()) == "fd00::2"
    assert ipam.overlaps("10.0.0.0/24", "10.0.0.128/25") and not ipam.overlaps("10.0.0.0/24", "fd00::/64")


def test_router_prefers_literal_segments_and_reports_methods():
    router = Router()
    router.add("GET", "/q/{id}", lambda call: None, Service.CONTROL)
    router.add("GET", "/q/defaults", lambda call: None, Service.CONTROL)
    router.add("PUT", "/q/{id}", lambda call: None, Service.CONTROL)
    route, params = router.match("GET", "/q/defaults")
    assert route.template == "/q/defaults" and params == {}
    assert router.match("GET", "/q/abc")[1] == {"id": "abc"}
    assert router.allowed_methods("/q/abc") == ["GET", "PUT"] and router.match("DELETE", "/q/abc") is None


def _call(query: list[tuple[str, str]]) -> Call:
    return Call("GET", "/things", {}, query, None, "http://h", Service.LOAD_BALANCER)


DIALECT = Dialect(links_always=True, max_limit=1000, unknown_filter=lambda name: ApiError(400, name))
ITEMS = [
    {"id": f"id{i}", "name": f"n{i % 2}", "tags": ["t"] if i % 2 else [], "up": i != 2, "_seq": i}
    for i in range(5)
]


def test_list_view_filters_paginates_and_links():
    page = list_view(ITEMS, _call([("limit", "2")]), "things", DIALECT, {"name", "up"})
    assert [i["id"] for i in page["things"]] == ["id0", "id1"]
    assert page["things_links"] == [{"rel": "next", "href": "http://h/things?limit=2&marker=id1"}]
    assert [i["id"] for i in list_view(ITEMS, _call([("up", "false")]), "t", DIALECT, {"up"})["t"]] == ["id2"]
    both = list_view(ITEMS, _call([("name", "n0"), ("name", "n1"), ("tags", "t")]), "t", DIALECT, {"name"})
    assert [i["id"] for i in both["t"]] == ["id1", "id3"]
    assert "_seq" not in page["things"][0]


def test_list_view_rejects_unknown_filters_and_markers():
    with pytest.raises(ApiError, match="colour"):
        list_view(ITEMS, _call([("colour", "x")]), "t", DIALECT, {"name"})
    with pytest.raises(ApiError, match="Supplied pagination marker 'zz' is not valid."):
        list_view(ITEMS, _call([("marker", "zz")]), "t", DIALECT, set())
