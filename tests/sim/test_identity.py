"""Keystone through openstacksdk: password and application-credential tokens, the catalog, 401s."""

from __future__ import annotations

import httpx
import openstack
import pytest
from keystoneauth1 import exceptions as ks_exc

from tests.sim.helpers import net_url


def test_password_login_gives_project_scoped_token_and_catalog(sim):
    conn = sim.connect("sim")
    access = conn.session.auth.get_access(conn.session)
    assert access.project_name == "admin"
    assert set(access.role_names) >= {"admin", "member"}
    types = {entry["type"] for entry in access.service_catalog.catalog}
    assert types == {"identity", "key-manager", "load-balancer", "network"}
    assert conn.has_service("load-balancer") and conn.has_service("network")
    assert (
        conn.session.get_endpoint(service_type="load-balancer", interface="public")
        == f"{sim.url}/load-balancer"
    )


def test_application_credential_login(sim):
    conn = sim.connect("sim-appcred")
    assert [n.name for n in conn.network.networks(name="public")] == ["public"]
    access = conn.session.auth.get_access(conn.session)
    assert access.project_id == "admin-project"


@pytest.mark.parametrize(
    "password, project",
    [("wrong", "admin"), ("secret", "demo")],
    ids=["bad-password", "project-not-assigned"],
)
def test_bad_credentials_are_401(sim, password, project):
    conn = openstack.connect(
        auth_url=f"{sim.url}/identity",
        username="admin",
        password=password,
        project_name=project,
        user_domain_id="default",
        project_domain_id="default",
        region_name="RegionOne",
        load_yaml_config=False,
        load_envvars=False,
    )
    with pytest.raises(ks_exc.Unauthorized):
        conn.session.get_token()


def test_bad_application_credential_is_401(sim):
    conn = openstack.connect(
        auth_type="v3applicationcredential",
        auth_url=f"{sim.url}/identity/v3",
        application_credential_id="ac123",
        application_credential_secret="nope",
        region_name="RegionOne",
        load_yaml_config=False,
        load_envvars=False,
    )
    with pytest.raises(ks_exc.Unauthorized):
        conn.session.get_token()


def test_missing_and_unknown_tokens_are_401_with_keystone_body(sim):
    missing = httpx.get(net_url(sim.url, "/networks"))
    unknown = httpx.get(net_url(sim.url, "/networks"), headers={"X-Auth-Token": "nope"})
    for response in (missing, unknown):
        assert response.status_code == 401
        assert response.json()["error"]["message"] == "The request you have made requires authentication."


def test_expired_tokens_are_401_and_sdk_reauthenticates(sim):
    conn = sim.connect("sim")
    old = conn.session.get_token()
    assert sim.control.expire_tokens() >= 1
    assert httpx.get(net_url(sim.url, "/networks"), headers={"X-Auth-Token": old}).status_code == 401
    before = sim.control.counts().get("POST /identity/v3/auth/tokens", 0)
    assert [n.name for n in conn.network.networks(name="private")] == ["private"]
    assert sim.control.counts()["POST /identity/v3/auth/tokens"] == before + 1


def test_version_documents_need_no_token(sim):
    identity = httpx.get(f"{sim.url}/identity")
    assert identity.status_code == 300
    assert identity.json()["versions"]["values"][0]["id"].startswith("v3")
    octavia = httpx.get(f"{sim.url}/load-balancer/").json()["versions"]
    assert octavia[-1] == {**octavia[-1], "id": "v2.30", "status": "CURRENT"}
    assert httpx.get(f"{sim.url}/networking/").json()["versions"][0]["id"] == "v2.0"
