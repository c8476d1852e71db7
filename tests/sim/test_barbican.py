"""Barbican (key manager v1) via openstacksdk and raw HTTP: discovery, secrets, containers, scoping."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openstack import exceptions as sdk_exc

from tests.sim.helpers import raw, token

CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
MISSING = "00000000-0000-4000-8000-000000000000"  # a well-formed UUID4 nothing has
DENIED = "attempt not allowed - please review your user/project privileges"


def km_url(sim_url: str, path: str = "") -> str:
    return f"{sim_url}/key-manager/v1{path}"


def stable_entry(sim_url: str) -> dict:
    return {
        "id": "v1",
        "status": "stable",
        "links": [
            {"rel": "self", "href": f"{sim_url}/key-manager/v1/"},
            {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
        ],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.key-manager-v1+json"}
        ],
    }


def certificate(conn, name: str = "tls"):
    """A certificate secret and a `certificate` container holding it, made through openstacksdk."""
    secret = conn.key_manager.create_secret(
        name=f"{name}-cert", payload=CERT, payload_content_type="text/plain", secret_type="certificate"
    )
    container = conn.key_manager.create_container(
        name=name, type="certificate", secret_refs=[{"name": "certificate", "secret_ref": secret.secret_ref}]
    )
    return secret, container


# ---- catalog and version discovery ---------------------------------------------------------------
def test_catalog_lists_barbican_and_the_sdk_discovers_v1(sim, conn):
    access = conn.session.auth.get_access(conn.session)
    (entry,) = [e for e in access.service_catalog.catalog if e["type"] == "key-manager"]
    assert entry["name"] == "barbican"
    assert (
        conn.session.get_endpoint(service_type="key-manager", interface="public") == f"{sim.url}/key-manager"
    )
    # keystoneauth reads the unversioned document and follows v1's self link.
    assert conn.key_manager.get_endpoint() == f"{sim.url}/key-manager/v1/"


def test_version_documents(sim, conn):
    for path in ("/key-manager", "/key-manager/"):
        response = httpx.get(sim.url + path)
        assert response.status_code == 300
        assert response.json() == {"versions": {"values": [stable_entry(sim.url)]}}
    assert httpx.get(f"{sim.url}/key-manager/v1").status_code == 401  # v1 sits behind authtoken
    response = raw(conn, "GET", f"{sim.url}/key-manager/v1")
    assert (response.status_code, response.json()) == (200, {"version": stable_entry(sim.url)})
    assert response.headers["openstack-api-version"] == "key-manager 1.0"


def test_microversion_header_gets_the_microversion_documents(sim, conn):
    headers = {"X-Auth-Token": token(conn), "OpenStack-API-Version": "key-manager 1.1"}
    response = httpx.get(f"{sim.url}/key-manager/v1", headers=headers)
    assert response.status_code == 200
    version = response.json()["version"]
    assert (version["status"], version["min_version"], version["max_version"]) == ("CURRENT", "1.0", "1.2")
    assert response.headers["openstack-api-version"] == "key-manager 1.1"
    latest = httpx.get(f"{sim.url}/key-manager", headers={"OpenStack-API-Version": "key-manager latest"})
    assert latest.status_code == 300 and latest.json()["versions"][0]["max_version"] == "1.2"
    assert latest.headers["openstack-api-version"] == "key-manager 1.2"
    too_new = httpx.get(f"{sim.url}/key-manager", headers={"OpenStack-API-Version": "key-manager 1.9"})
    assert too_new.status_code == 406
    assert too_new.json()["title"] == "Not Acceptable"


def test_consumers_appear_in_secret_metadata_from_1_1(conn, sim):
    secret = conn.key_manager.create_secret(name="plain")
    url = km_url(sim.url, f"/secrets/{secret.secret_id}")
    old = httpx.get(url, headers={"X-Auth-Token": token(conn)}).json()
    new = httpx.get(url, headers={"X-Auth-Token": token(conn), "OpenStack-API-Version": "key-manager 1.1"})
    assert "consumers" not in old and new.json()["consumers"] == []


# ---- secrets and containers through openstacksdk -------------------------------------------------
def test_secret_and_container_lifecycle(conn, sim):
    secret, container = certificate(conn)
    assert secret.secret_ref == km_url(sim.url, f"/secrets/{secret.secret_id}")
    assert container.container_ref == km_url(sim.url, f"/containers/{container.container_id}")

    got = conn.key_manager.get_container(container.container_id)
    assert (got.name, got.type, got.status, got.consumers) == ("tls", "certificate", "ACTIVE", [])
    assert got.secret_refs == [{"name": "certificate", "secret_ref": secret.secret_ref}]
    fetched = conn.key_manager.get_secret(secret.secret_id)  # metadata, then the payload
    assert (fetched.name, fetched.secret_type, fetched.status) == ("tls-cert", "certificate", "ACTIVE")
    assert fetched.content_types == {"default": "text/plain"} and fetched.payload == CERT
    assert fetched.expires_at is None and fetched.created_at == fetched.updated_at
    assert [c.name for c in conn.key_manager.containers()] == ["tls"]
    assert [s.name for s in conn.key_manager.secrets()] == ["tls-cert"]

    conn.key_manager.delete_container(container.container_id)
    with pytest.raises(sdk_exc.NotFoundException):
        conn.key_manager.get_container(container.container_id)
    conn.key_manager.delete_secret(secret.secret_id)
    assert raw(conn, "GET", secret.secret_ref).status_code == 404
    assert list(conn.key_manager.secrets()) == []


def test_container_get_body_is_barbicans(conn, sim):
    secret, container = certificate(conn)
    response = raw(conn, "GET", container.container_ref)
    body = response.json()
    assert response.status_code == 200
    assert list(body) == [
        "created",
        "updated",
        "status",
        "name",
        "type",
        "creator_id",
        "secret_refs",
        "consumers",
        "container_ref",
    ]
    assert body["creator_id"] == "admin-user" and body["consumers"] == []
    assert datetime.fromisoformat(body["created"]).tzinfo is None  # naive UTC, Barbican's isoformat()


def test_binary_secret_round_trips_through_base64(conn):
    data = bytes(range(256))
    secret = conn.key_manager.create_secret(
        name="key",
        payload=base64.b64encode(data).decode(),
        payload_content_type="application/octet-stream",
        payload_content_encoding="base64",
        secret_type="opaque",
        algorithm="aes",
        bit_length=256,
        mode="cbc",
    )
    fetched = conn.key_manager.get_secret(secret.secret_id)
    assert fetched.payload == data
    assert (fetched.algorithm, fetched.bit_length, fetched.mode) == ("aes", 256, "cbc")
    assert fetched.content_types == {"default": "application/octet-stream"}


def test_deleting_a_secret_drops_it_from_its_containers(conn):
    secret, container = certificate(conn)
    conn.key_manager.delete_secret(secret.secret_id)
    assert conn.key_manager.get_container(container.container_id).secret_refs == []


# ---- 404s ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path, description",
    [
        (f"/containers/{MISSING}", "Secrets container not found."),
        ("/containers/not-a-uuid", "Not Found. Provided container id is invalid."),
        (f"/secrets/{MISSING}", "Secret not found."),
        ("/secrets/1234", "Not Found. Provided secret id is invalid."),
        (f"/secrets/{MISSING}/payload", "Secret not found."),
    ],
)
def test_missing_ids_are_404_with_barbicans_body(conn, sim, path, description):
    response = raw(conn, "GET", km_url(sim.url, path))
    assert response.status_code == 404
    assert response.json() == {"code": 404, "title": "Not Found", "description": description}


def test_missing_ids_through_the_sdk(conn):
    with pytest.raises(sdk_exc.NotFoundException):
        conn.key_manager.get_container(MISSING)
    with pytest.raises(sdk_exc.NotFoundException):
        conn.key_manager.delete_container(MISSING, ignore_missing=False)
    with pytest.raises(sdk_exc.NotFoundException):
        conn.key_manager.delete_secret(MISSING, ignore_missing=False)
    # openstacksdk's Secret.fetch does not check the status: a missing secret comes back empty.
    assert conn.key_manager.get_secret(MISSING).secret_ref is None


def test_a_secret_without_payload_has_no_payload(conn, sim):
    secret = conn.key_manager.create_secret(name="empty")
    assert conn.key_manager.get_secret(secret.secret_id).content_types is None
    response = raw(conn, "GET", f"{secret.secret_ref}/payload")
    assert (response.status_code, response.json()["description"]) == (
        404,
        "Not Found. Sorry but your secret has no payload.",
    )


# ---- containers must name secrets of the caller's project ----------------------------------------
def test_container_refs_must_be_secrets_of_the_project(sim, conn):
    demo = sim.connect("sim-demo")
    theirs = demo.key_manager.create_secret(name="theirs", payload="x", payload_content_type="text/plain")
    for ref in (km_url(sim.url, f"/secrets/{MISSING}"), theirs.secret_ref):
        body = {"type": "certificate", "secret_refs": [{"name": "certificate", "secret_ref": ref}]}
        response = raw(conn, "POST", km_url(sim.url, "/containers"), body)
        assert response.status_code == 404
        assert response.json()["description"] == "Secret provided for 'certificate' doesn't exist."
    with pytest.raises(sdk_exc.NotFoundException):
        conn.key_manager.create_container(
            type="generic", secret_refs=[{"name": "x", "secret_ref": theirs.secret_ref}]
        )
    assert list(conn.key_manager.containers()) == []


@pytest.mark.parametrize(
    "body, message",
    [
        ({"name": "x"}, "'type' is a required property. Invalid property: 'None'"),
        (
            {"type": "pkcs12"},
            "'pkcs12' is not one of ['generic', 'rsa', 'certificate']. Invalid property: 'type'",
        ),
        (
            {"type": "certificate", "secret_refs": [{"name": "private_key", "secret_ref": "{ref}"}]},
            "The minimum required reference name is 'certificate' for Certificate type",
        ),
        (
            {
                "type": "generic",
                "secret_refs": [{"name": "a", "secret_ref": "https://elsewhere/v1/secrets/1"}],
            },
            "Provided field value is not supported",
        ),
        (
            {"type": "generic", "secret_refs": [{"name": "a", "secret_ref": "{ref}"}] * 2},
            "Duplicate reference names are not allowed",
        ),
        ({"type": "generic", "secret_refs": [{"name": "a"}]}, "'secret_ref' is a required property"),
    ],
    ids=["no-type", "bad-type", "certificate-without-certificate", "other-host", "duplicate", "no-ref"],
)
def test_bad_containers_are_400(conn, sim, body, message):
    secret = conn.key_manager.create_secret(name="s", payload="x", payload_content_type="text/plain")
    body = json.loads(json.dumps(body).replace("{ref}", secret.secret_ref))
    response = raw(conn, "POST", km_url(sim.url, "/containers"), body)
    assert response.status_code == 400, response.text
    assert message in response.json()["description"]


@pytest.mark.parametrize(
    "body, message",
    [
        ({"payload": "x"}, "If 'payload' is supplied, 'payload_content_type' must also be supplied."),
        (
            {"payload_content_type": "text/plain"},
            "payload must be provided when payload_content_type is specified",
        ),
        (
            {"payload": "x", "payload_content_type": "application/octet-stream"},
            "payload_content_encoding is not one of ['base64', 'binary']",
        ),
        (
            {"payload": "   ", "payload_content_type": "text/plain"},
            "If 'payload' specified, must be non empty",
        ),
        ({"secret_type": "x509"}, "'x509' is not one of ['symmetric', 'passphrase', 'private', 'public'"),
        ({"bit_length": 0}, "0 is less than the minimum of 1. Invalid property: 'bit_length'"),
        ({"expiration": "2001-01-01T00:00:00Z"}, "'expiration' is before current time"),
        ({"expiration": "soon"}, "Invalid date for 'expiration'"),
    ],
)
def test_bad_secrets_are_400(conn, sim, body, message):
    response = raw(conn, "POST", km_url(sim.url, "/secrets"), body)
    assert response.status_code == 400, response.text
    assert response.json()["description"].startswith("Provided object does not match schema 'Secret': ")
    assert message in response.json()["description"]


def test_request_format_errors(conn, sim):
    headers = {"X-Auth-Token": token(conn)}
    not_json = httpx.post(km_url(sim.url, "/secrets"), content=b"{", headers=headers)
    assert (not_json.status_code, not_json.json()["description"]) == (400, "Malformed JSON")
    text = httpx.post(
        km_url(sim.url, "/secrets"), content=b"{}", headers=headers | {"Content-Type": "text/plain"}
    )
    assert text.status_code == 415 and text.json()["title"] == "Unsupported Media Type"
    too_big = raw(
        conn,
        "POST",
        km_url(sim.url, "/secrets"),
        {"payload": "x" * 20001, "payload_content_type": "text/plain"},
    )
    assert too_big.status_code == 413


# ---- project scoping, auth, counting, reset ------------------------------------------------------
def test_projects_see_only_their_own(sim, conn):
    demo = sim.connect("sim-demo")
    secret, container = certificate(demo, "demo-tls")
    mine, _ = certificate(conn, "admin-tls")
    assert [c.name for c in conn.key_manager.containers()] == ["admin-tls"]  # admin lists its project only
    assert [s.name for s in demo.key_manager.secrets()] == ["demo-tls-cert"]

    response = raw(conn, "GET", container.container_ref)
    assert (response.status_code, response.json()["description"]) == (403, f"Container retrieval {DENIED}")
    theirs = raw(demo, "GET", mine.secret_ref)
    assert (theirs.status_code, theirs.json()["description"]) == (403, f"Secret retrieval {DENIED}")
    with pytest.raises(sdk_exc.ForbiddenException):
        demo.key_manager.delete_secret(mine.secret_id)
    # Barbican's default policy opens any secret's metadata (not its payload) to the admin role.
    assert raw(conn, "GET", secret.secret_ref).json()["name"] == "demo-tls-cert"
    payload = raw(conn, "GET", f"{secret.secret_ref}/payload")
    assert (payload.status_code, payload.json()["description"]) == (403, f"Secret payload retrieval {DENIED}")
    assert demo.key_manager.get_container(container.container_id).name == "demo-tls"


def test_payload_keeps_its_media_type(conn, sim):
    secret, _ = certificate(conn)
    headers = {"X-Auth-Token": token(conn)}
    plain = httpx.get(f"{secret.secret_ref}/payload", headers=headers | {"Accept": "text/plain"})
    assert (plain.status_code, plain.headers["content-type"], plain.text) == (200, "text/plain", CERT)
    wrong = httpx.get(f"{secret.secret_ref}/payload", headers=headers | {"Accept": "application/json"})
    assert wrong.status_code == 406
    assert wrong.json()["description"] == "Secret payload retrieval issue seen - Wrong payload content-type."


def test_tokens_are_required_and_calls_are_counted(conn, sim):
    _, container = certificate(conn)
    missing = httpx.get(container.container_ref)
    assert missing.status_code == 401
    assert missing.json()["error"]["message"] == "The request you have made requires authentication."
    sim.control.clear_counts()
    conn.key_manager.get_container(container.container_id)
    counts = sim.control.counts()
    assert counts["GET /key-manager/v1/containers/{id}"] == 1, counts


def test_listing_pages_and_filters(conn, sim):
    for index in range(12):
        conn.key_manager.create_secret(
            name=f"s{index:02}", secret_type="passphrase" if index % 2 else "opaque"
        )
    page = raw(conn, "GET", km_url(sim.url, "/secrets"), limit=5, offset=5).json()
    assert [s["name"] for s in page["secrets"]] == ["s05", "s06", "s07", "s08", "s09"]
    assert page["total"] == 12
    assert page["previous"] == km_url(sim.url, "/secrets?limit=5&offset=0")
    assert page["next"] == km_url(sim.url, "/secrets?limit=5&offset=10")
    assert len(list(conn.key_manager.secrets())) == 12  # the SDK follows `next` past the default 10
    assert [s.name for s in conn.key_manager.secrets(name="s1%")] == ["s10", "s11"]
    assert len(list(conn.key_manager.secrets(secret_type="passphrase"))) == 6


def test_expired_secrets_vanish_on_the_simulator_clock(conn, sim):
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    secret = conn.key_manager.create_secret(name="short", expiration=soon)
    assert raw(conn, "GET", secret.secret_ref).json()["expiration"] == soon.removesuffix("+00:00")
    sim.control.advance(600)  # past the expiration, well within the token's hour
    assert raw(conn, "GET", secret.secret_ref).status_code == 404
    assert list(conn.key_manager.secrets()) == []


def test_reset_forgets_secrets_and_containers(conn, sim):
    secret, container = certificate(conn)
    sim.control.reset()
    conn = sim.connect("sim")
    assert raw(conn, "GET", secret.secret_ref).status_code == 404
    assert raw(conn, "GET", container.container_ref).status_code == 404
    assert list(conn.key_manager.containers()) == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FIELDS = {
    "secrets": [
        "name",
        "payload",
        "payload_content_type",
        "payload_content_encoding",
        "secret_type",
        "expiration",
        "bit_length",
        "algorithm",
    ],
    "containers": ["name", "type", "secret_refs"],
}


def test_random_bodies_get_client_errors_not_500(conn, sim):
    headers = {"X-Auth-Token": token(conn)}
    ref = conn.key_manager.create_secret(name="real").secret_ref
    values = JSON | st.sampled_from(
        [ref, "text/plain", "base64", "certificate", "generic", str(uuid.uuid4())]
    )
    refs = st.lists(st.fixed_dictionaries({"name": st.text(max_size=4), "secret_ref": values}), max_size=3)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        st.sampled_from(sorted(FIELDS)).flatmap(
            lambda kind: st.tuples(
                st.just(kind), st.dictionaries(st.sampled_from(FIELDS[kind]), values | refs, max_size=5)
            )
        )
    )
    def check(case):
        kind, body = case
        response = httpx.post(km_url(sim.url, f"/{kind}"), json=body, headers=headers, timeout=10)
        assert response.status_code < 500, (kind, body, response.text)

    check()
