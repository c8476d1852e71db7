"""Octavia listing rules through openstacksdk: filters, tag filters, pagination, sorting, fields."""

from __future__ import annotations

import pytest

from tests.sim.helpers import lb_url, private_subnet, raw


@pytest.fixture
def lbs(conn):
    subnet = private_subnet(conn)
    tags = [["k8s", "a"], ["k8s", "b"], ["other"], [], ["k8s"]]
    return [
        conn.load_balancer.create_load_balancer(name=f"lb-{i}", vip_subnet_id=subnet.id, tags=t)
        for i, t in enumerate(tags)
    ]


def test_attribute_filters(conn, lbs):
    assert [lb.name for lb in conn.load_balancer.load_balancers(name="lb-2")] == ["lb-2"]
    assert len(list(conn.load_balancer.load_balancers(provisioning_status="PENDING_CREATE"))) == 5
    assert list(conn.load_balancer.load_balancers(vip_address=lbs[3].vip_address))[0].id == lbs[3].id


def test_tag_filters(conn, lbs):
    def names(**filters):
        return sorted(lb.name for lb in conn.load_balancer.load_balancers(**filters))

    assert names(tags=["k8s", "a"]) == ["lb-0"]
    assert names(any_tags="a,other") == ["lb-0", "lb-2"]
    assert names(not_tags=["k8s"]) == ["lb-2", "lb-3"]
    assert names(not_any_tags=["a", "b"]) == ["lb-2", "lb-3", "lb-4"]


def test_pagination_across_pages(conn, lbs, sim):
    assert [lb.id for lb in conn.load_balancer.load_balancers(limit=2)] == [lb.id for lb in lbs]
    page = raw(conn, "GET", lb_url(sim.url, "/lbaas/loadbalancers"), limit=2).json()
    assert len(page["loadbalancers"]) == 2
    (link,) = page["loadbalancers_links"]
    assert link["rel"] == "next" and link["href"].startswith(lb_url(sim.url, "/lbaas/loadbalancers?"))
    second = raw(conn, "GET", link["href"]).json()
    assert [lb["id"] for lb in second["loadbalancers"]] == [lbs[2].id, lbs[3].id]
    assert {link["rel"] for link in second["loadbalancers_links"]} == {"next", "previous"}
    counts = sim.control.counts()
    assert counts["GET /load-balancer/v2.0/lbaas/loadbalancers"] >= 4  # the SDK walked three pages


def test_links_key_always_present_and_v2_alias(conn, lbs, sim):
    body = httpx_get(conn, f"{sim.url}/load-balancer/v2/lbaas/loadbalancers.json")
    assert body["loadbalancers_links"] == [] and len(body["loadbalancers"]) == 5


def httpx_get(conn, url):
    return raw(conn, "GET", url).json()


def test_sorting_and_fields(conn, lbs, sim):
    body = raw(conn, "GET", lb_url(sim.url, "/lbaas/loadbalancers"), sort="name:desc", fields="name").json()
    assert body["loadbalancers"] == [{"name": f"lb-{i}"} for i in (4, 3, 2, 1, 0)]
    bad = raw(conn, "GET", lb_url(sim.url, "/lbaas/loadbalancers"), sort="colour:asc")
    assert bad.status_code == 400 and "colour" in bad.json()["faultstring"]


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"colour": "red"},
            "One or more arguments are either duplicate or invalid (unknown filter 'colour')",
        ),
        ({"marker": "nope"}, "Supplied pagination marker 'nope' is not valid."),
        ({"limit": "many"}, "Invalid input for field/attribute limit. Value: 'many'."),
    ],
    ids=["unknown-filter", "bad-marker", "bad-limit"],
)
def test_bad_listing_requests_are_400(conn, lbs, sim, params, message):
    response = raw(conn, "GET", lb_url(sim.url, "/lbaas/loadbalancers"), **params)
    assert response.status_code == 400
    assert response.json()["faultstring"].startswith(message)
