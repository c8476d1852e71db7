"""Barbican, the key manager (API v1): secrets and containers, as OCCM and Octavia use them.

OCCM GETs the container or secret named by a listener's `default-tls-container-ref` before it builds a
TERMINATED_HTTPS listener; this store answers those calls the way Barbican does with its default (secure
RBAC) policy: collections are scoped to the caller's project, another project's secret or container is a 403
(only a secret's metadata and deletion are open to the admin role of any project), and an id that is not a
UUID4 or names nothing is a 404. Barbican's unversioned document is the pre-microversion one; a request with
`OpenStack-API-Version: key-manager 1.x` gets microversions 1.0-1.2, as openstacksdk probes for.
ACLs, orders, consumers and quotas are not simulated.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from octavia_lb_devkit.sim.clock import Clock
from octavia_lb_devkit.sim.errors import ApiError, Service
from octavia_lb_devkit.sim.http import Auth, Call, Reply, Router

MOUNT = "/key-manager"
BASE = f"{MOUNT}/v1"
VERSIONS = ("1.0", "1.1", "1.2")
MAX_SECRET_BYTES = 20000
DEFAULT_LIMIT, MAX_LIMIT = 10, 100
SECRET_TYPES = ("symmetric", "passphrase", "private", "public", "certificate", "opaque")
CONTAINER_TYPES = ("generic", "rsa", "certificate")
PLAIN_TEXT = ("text/plain", "text/plain;charset=utf-8", "text/plain; charset=utf-8")
BINARY = ("application/octet-stream", "application/pkcs8")
SUPPORTED = PLAIN_TEXT + BINARY
_JSON_ACCEPTS = ("", "application/json", "*/*")


def _denied(operation: str) -> ApiError:
    return ApiError(403, f"{operation} attempt not allowed - please review your user/project privileges")


def _invalid(schema: str, reason: str, prop: str | None) -> ApiError:
    return ApiError(
        400, f"Provided object does not match schema '{schema}': {reason}. Invalid property: '{prop}'"
    )


def is_uuid4(text: str) -> bool:
    """Barbican only looks up ids that are the canonical spelling of a version-4 UUID."""
    try:
        return str(uuid.UUID(text, version=4)) == text
    except ValueError:
        return False


def id_from_ref(ref: str) -> str:
    """The last path segment of a secret reference (a trailing slash is allowed)."""
    return ref.rsplit("/", 2)[1] if ref.endswith("/") else ref.rsplit("/", 1)[-1]


def _member(auth: Auth) -> bool:
    return "member" in auth.roles or auth.is_admin  # Keystone's admin role implies member


class Barbican:
    """Secrets and containers by id; each record keeps its project and, for a secret, the payload."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.secrets: dict[str, dict[str, Any]] = {}
        self.containers: dict[str, dict[str, Any]] = {}
        self.new_id: Callable[[], str] = lambda: str(uuid.uuid4())  # replaced by a seeded source
        self._seq = itertools.count()

    def stamp(self) -> str:
        return self.clock.utcnow().isoformat()  # naive UTC with microseconds, as Barbican's models print

    def _record(self, auth: Auth, fields: dict[str, Any]) -> dict[str, Any]:
        now = self.stamp()
        return {"id": self.new_id(), "created": now, "updated": now, "status": "ACTIVE", **fields} | {
            "creator_id": auth.user_id,
            "_project": auth.project_id,
            "_seq": next(self._seq),
        }

    def add_secret(self, auth: Auth, fields: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
        secret = self._record(auth, fields) | extra
        self.secrets[secret["id"]] = secret
        return secret

    def add_container(self, auth: Auth, fields: dict[str, Any]) -> dict[str, Any]:
        container = self._record(auth, fields)
        self.containers[container["id"]] = container
        return container

    def secret(self, ident: str) -> dict[str, Any] | None:
        """A live secret: an expired one is gone for every call, as in Barbican's queries."""
        found = self.secrets.get(ident)
        if found is None or (found["_expires"] is not None and found["_expires"] <= self.clock.utcnow()):
            return None
        return found

    def delete_secret(self, ident: str) -> None:
        del self.secrets[ident]
        for container in self.containers.values():  # the container's link rows go with the secret
            container["secret_refs"] = [r for r in container["secret_refs"] if r["secret_id"] != ident]

    def project_secrets(self, project_id: str) -> list[dict[str, Any]]:
        return [s for s in self.secrets.values() if s["_project"] == project_id and self.secret(s["id"])]

    def project_containers(self, project_id: str) -> list[dict[str, Any]]:
        return [c for c in self.containers.values() if c["_project"] == project_id]


# ---- microversions and version documents -------------------------------------------------------------
def microversion(call: Call) -> str:
    """The key-manager version the request asked for (`OpenStack-API-Version`), 1.0 without a header."""
    wanted = None
    for part in reversed(call.headers.get("openstack-api-version", "").split(",")):
        service, _, version = part.strip().partition(" ")
        if service.lower() == "key-manager" and version.strip():
            wanted = version.strip()
            break
    if wanted is None:
        return VERSIONS[0]
    if wanted == "latest":
        return VERSIONS[-1]
    major, dot, minor = wanted.partition(".")
    if not (dot and major.isdigit() and minor.isdigit()):
        raise ApiError(400, f"Invalid microversion: invalid version string: {wanted}")
    if f"{int(major)}.{int(minor)}" not in VERSIONS:
        raise ApiError(406, f"Invalid microversion: Unacceptable version header: {wanted}")
    return f"{int(major)}.{int(minor)}"


def version_entry(root: str, version: str) -> dict[str, Any]:
    links = [
        {"rel": "self", "href": f"{root}{BASE}/"},
        {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
    ]
    if version != VERSIONS[0]:
        return {
            "id": "v1",
            "status": "CURRENT",
            "min_version": VERSIONS[0],
            "max_version": VERSIONS[-1],
            "links": links,
        }
    media = [{"base": "application/json", "type": "application/vnd.openstack.key-manager-v1+json"}]
    return {"id": "v1", "status": "stable", "links": links, "media-types": media}


# ---- request validation (Barbican's NewSecretValidator / ContainerValidator) -------------------------
def _type_error(value: Any, kinds: tuple[str, ...]) -> str | None:
    checks = {
        "string": lambda v: isinstance(v, str),
        "null": lambda v: v is None,
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    if any(checks[kind](value) for kind in kinds):
        return None
    return f"{value!r} is not of type {', '.join(repr(k) for k in kinds)}"


def _property_error(name: str, value: Any, rule: tuple[Any, ...]) -> str | None:
    """One schema property: (types, max length or None, allowed values or None)."""
    kinds, max_len, choices = rule
    error = _type_error(value, kinds)
    if error is None and choices is not None and value not in choices:
        error = f"{value!r} is not one of {list(choices)!r}"
    if error is None and max_len is not None and isinstance(value, str) and len(value) > max_len:
        error = f"{value!r} is too long"
    if error is None and name == "bit_length" and isinstance(value, int):
        if value < 1:
            error = f"{value} is less than the minimum of 1"
        elif value > 32767:
            error = f"{value} is greater than the maximum of 32767"
    return error


_SECRET_SCHEMA = {
    "name": (("string", "null"), 255, None),
    "algorithm": (("string",), 255, None),
    "mode": (("string",), 255, None),
    "bit_length": (("integer",), None, None),
    "expiration": (("string",), 255, None),
    "payload": (("string",), None, None),
    "secret_type": (("string",), 80, SECRET_TYPES),
    "payload_content_type": (("string", "null"), 255, None),
    "payload_content_encoding": (("string",), 255, ("base64",)),
    "transport_key_needed": (("string",), None, ("true", "false")),
    "transport_key_id": (("string",), None, None),
}
_CONTAINER_SCHEMA = {
    "name": (("string", "null"), 255, None),
    "type": (("string",), None, CONTAINER_TYPES),
    "secret_refs": (("array",), None, None),
}
_REF_SCHEMA = {"name": (("string", "null"), 255, None), "secret_ref": (("string",), None, None)}


def _check_schema(body: Any, schema: dict[str, tuple[Any, ...]], name: str) -> dict[str, Any]:
    if body is None:
        raise ApiError(400, "Malformed JSON")
    error = _type_error(body, ("object",))
    if error is not None:
        raise _invalid(name, error, None)
    for prop, rule in schema.items():
        if prop in body and (error := _property_error(prop, body[prop], rule)) is not None:
            raise _invalid(name, error, prop)
    return body


def normalize_type(content_type: str) -> str:
    """Barbican's internal spelling of a media type (`text/plain; charset=utf-8` is `text/plain`)."""
    parts = [p.strip() for p in content_type.split(";")]
    mime = parts[0].lower()
    if len(parts) > 1:
        charset = parts[1].lower()
        if "=" not in charset or charset.split("=", 1)[1].strip() != "utf-8":
            return content_type
    return mime if mime in SUPPORTED else content_type


def _expiration(raw: Any, now: datetime) -> datetime | None:
    if not raw or not raw.strip():
        return None
    try:
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise _invalid("Secret", "Invalid date for 'expiration'", "expiration") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    if parsed <= now:
        raise _invalid("Secret", "'expiration' is before current time", "expiration")
    return parsed


def _payload(body: dict[str, Any]) -> tuple[bytes | None, str | None]:
    """The stored payload bytes and normalized media type, or (None, None) for a metadata-only secret."""
    content_type, encoding = body.get("payload_content_type"), body.get("payload_content_encoding")
    if "payload" not in body:
        if "payload_content_type" in body:
            raise _invalid(
                "Secret", "payload must be provided when payload_content_type is specified", "payload"
            )
        return None, None
    if content_type is None:
        reason = "If 'payload' is supplied, 'payload_content_type' must also be supplied."
        raise _invalid("Secret", reason, "payload_content_type")
    normalized = normalize_type(content_type)
    if normalized not in SUPPORTED:
        raise _invalid(
            "Secret", f"payload_content_type is not one of {list(SUPPORTED)!r}", "payload_content_type"
        )
    supported = ["base64", "binary"] if normalized in BINARY else None  # text takes no encoding
    if encoding not in (supported or [None]):
        raise _invalid(
            "Secret", f"payload_content_encoding is not one of {supported}", "payload_content_encoding"
        )
    payload = body["payload"]
    if len(payload.encode()) > MAX_SECRET_BYTES:
        raise ApiError(413, "Provided information too large to process")
    payload = payload.strip()
    if not payload:
        raise _invalid("Secret", "If 'payload' specified, must be non empty", "payload")
    if encoding != "base64":
        return payload.encode(), normalized
    try:
        return base64.b64decode(payload), normalized
    except (binascii.Error, ValueError):
        raise _invalid("Secret", "Invalid payload for payload_content_encoding", "payload") from None


_REF_NAMES = {  # container type -> (required reference names, optional ones, two messages)
    "rsa": (
        {"public_key", "private_key"},
        {"private_key_passphrase"},
        "only 'private_key', 'public_key' and 'private_key_passphrase' reference names are allowed "
        "for RSA type",
        "The minimum required reference names are 'public_key' and'private_key' for RSA type",
    ),
    "certificate": (
        {"certificate"},
        {"private_key", "private_key_passphrase", "intermediates"},
        "only 'private_key', 'certificate' , 'private_key_passphrase',  or 'intermediates' reference names "
        "are allowed for Certificate type",
        "The minimum required reference name is 'certificate' for Certificate type",
    ),
}


def _check_refs(body: dict[str, Any], base_url: str) -> list[dict[str, Any]]:
    refs = body.get("secret_refs") or []
    for ref in refs:
        if (error := _type_error(ref, ("object",))) is not None:
            raise _invalid("Container", error, "secret_refs")
        if "secret_ref" not in ref:
            raise _invalid("Container", "'secret_ref' is a required property", "secret_refs")
        for prop, rule in _REF_SCHEMA.items():
            if prop in ref and (error := _property_error(prop, ref[prop], rule)) is not None:
                raise _invalid("Container", error, "secret_refs")
        if not ref["secret_ref"]:
            raise _invalid("Container", "'' is too short", "secret_refs")
    names = {ref.get("name", "") for ref in refs}
    if len(names) != len(refs):
        raise _invalid("Container", "Duplicate reference names are not allowed", "secret_refs")
    if len({id_from_ref(ref["secret_ref"]) for ref in refs}) != len(refs):
        raise _invalid("Container", "Duplicate secret ids are not allowed", "secret_refs")
    if refs and any(not ref["secret_ref"].startswith(base_url) for ref in refs):
        raise ApiError(400, "Provided field value is not supported")  # a ref to another host
    if refs and body["type"] in _REF_NAMES:
        required, optional, unsupported, missing = _REF_NAMES[body["type"]]
        if names - required - optional:
            raise _invalid("Container", unsupported, "secret_refs")
        if not required <= names:
            raise _invalid("Container", missing, "secret_refs")
    return refs


# ---- listing -----------------------------------------------------------------------------------------
def _query_int(call: Call, name: str, default: int) -> int:
    values = call.query_values(name)
    try:
        return int(values[-1]) if values and values[-1] else default
    except ValueError:
        return default


def _paging(call: Call) -> tuple[int, int]:
    """Barbican's clean_paging_values: a bad offset is 0, a bad limit the default, the limit capped."""
    offset = max(_query_int(call, "offset", 0), 0)
    return offset, min(max(_query_int(call, "limit", DEFAULT_LIMIT), 1), MAX_LIMIT)


def _like(pattern: str, value: Any) -> bool:
    """SQL LIKE (`%`, `_`) as Barbican's name/algorithm/mode filters use it; case-insensitive like MySQL."""
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return isinstance(value, str) and re.fullmatch(regex, value, re.IGNORECASE) is not None


def _page(
    call: Call, href: str, key: str, items: list[dict[str, Any]], render: Callable[[dict[str, Any]], Any]
) -> dict[str, Any]:
    """One page in Barbican's shape: `{key: [...], previous?, next?, total}`."""
    offset, limit = _paging(call)
    items = sorted(items, key=lambda item: item["_seq"])
    shown = items[offset : offset + limit]
    if not shown:
        return {key: [], "total": len(items)}
    body: dict[str, Any] = {key: [render(item) for item in shown]}
    extra = (
        urlencode([(k, v) for k, v in call.query if k not in ("limit", "offset")]) if key == "secrets" else ""
    )

    def nav(at: int) -> str:
        return f"{href}?limit={limit}&offset={at}" + (f"&{extra}" if extra else "")

    if offset > 0:
        body["previous"] = nav(max(0, offset - limit))
    if len(items) > offset + limit:
        body["next"] = nav(offset + limit)
    body["total"] = len(items)
    return body


def _secret_filter(call: Call) -> Callable[[dict[str, Any]], bool]:
    """`name`, `alg`, `mode` (LIKE), `bits` and `secret_type`; Barbican ignores other parameters."""
    wanted = {
        name: values[-1]
        for name in ("name", "alg", "mode", "bits", "secret_type")
        if (values := call.query_values(name))
    }
    likes = [
        (wanted[q], field)
        for q, field in (("name", "name"), ("alg", "algorithm"), ("mode", "mode"))
        if wanted.get(q)
    ]
    bits = int(wanted["bits"]) if wanted.get("bits", "").isdigit() else 0
    kind = wanted.get("secret_type")

    def keep(secret: dict[str, Any]) -> bool:
        if any(not _like(pattern, secret[field]) for pattern, field in likes):
            return False
        return (not bits or secret["bit_length"] == bits) and (not kind or secret["secret_type"] == kind)

    return keep


def _stripped(value: Any) -> Any:
    """Barbican trims every string of a request body before validating it."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return [_stripped(v) for v in value]
    if isinstance(value, dict):
        return {k: _stripped(v) for k, v in value.items()}
    return value


def _require_json(call: Call) -> None:
    if call.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ApiError(415, "Unexpected content type. Expected content types are: ['application/json']")


# ---- HTTP --------------------------------------------------------------------------------------------
class BarbicanApi:
    """Handlers `(call, microversion) -> Reply` bound to one store."""

    def __init__(self, store: Barbican, root_of: Callable[[Call], str]) -> None:
        self.store = store
        self.root_of = root_of

    def href(self, call: Call, collection: str, ident: str | None = None) -> str:
        return f"{self.root_of(call)}{BASE}/{collection}" + (f"/{ident}" if ident else "")

    # ---- rendering
    def render_secret(self, call: Call, secret: dict[str, Any], version: str) -> dict[str, Any]:
        body = {k: v for k, v in secret.items() if not k.startswith("_") and k != "id"}
        if version != VERSIONS[0]:
            body["consumers"] = []  # consumers appear from 1.1 on
        if secret["_content_type"] is not None:
            body["content_types"] = {"default": secret["_content_type"]}
        body["secret_ref"] = self.href(call, "secrets", secret["id"])
        return body

    def render_container(self, call: Call, container: dict[str, Any]) -> dict[str, Any]:
        body = {k: container[k] for k in ("created", "updated", "status", "name", "type", "creator_id")}
        body["secret_refs"] = [
            {"name": ref["name"], "secret_ref": self.href(call, "secrets", ref["secret_id"])}
            for ref in container["secret_refs"]
        ]
        body["consumers"] = []
        body["container_ref"] = self.href(call, "containers", container["id"])
        return body

    # ---- version documents
    def versions(self, call: Call, version: str) -> Reply:
        entry = version_entry(self.root_of(call), version)
        return Reply(
            300, {"versions": {"values": [entry]}} if version == VERSIONS[0] else {"versions": [entry]}
        )

    def v1(self, call: Call, version: str) -> Reply:
        return Reply(200, {"version": version_entry(self.root_of(call), version)})

    # ---- secrets
    def find_secret(self, ident: str) -> dict[str, Any]:
        if not is_uuid4(ident):
            raise ApiError(404, "Not Found. Provided secret id is invalid.")
        secret = self.store.secret(ident)
        if secret is None:
            raise ApiError(404, "Secret not found.")
        return secret

    def create_secret(self, call: Call, version: str) -> Reply:
        auth = call.require_auth()
        if not _member(auth):
            raise _denied("Secret creation")
        _require_json(call)
        body = _check_schema(_stripped(call.body), _SECRET_SCHEMA, "Secret")
        expires = _expiration(body.get("expiration"), self.store.clock.utcnow())
        payload, content_type = _payload(body)
        fields = {
            "name": body.get("name") if isinstance(body.get("name"), str) else None,
            "secret_type": body.get("secret_type", "opaque"),
            "expiration": expires.isoformat() if expires else None,
            **{k: body.get(k) for k in ("algorithm", "bit_length", "mode")},
        }
        extra = {"_payload": payload, "_content_type": content_type, "_expires": expires}
        ref = self.href(call, "secrets", self.store.add_secret(auth, fields, extra)["id"])
        return Reply(201, {"secret_ref": ref}, {"Location": ref})

    def list_secrets(self, call: Call, version: str) -> Reply:
        auth = call.require_auth()
        if not _member(auth):
            raise _denied("Secret(s) retrieval")
        keep = _secret_filter(call)
        items = [s for s in self.store.project_secrets(auth.project_id) if keep(s)]
        render = lambda s: self.render_secret(call, s, version)  # noqa: E731
        return Reply(200, _page(call, self.href(call, "secrets"), "secrets", items, render))

    def get_secret(self, call: Call, version: str) -> Reply:
        auth = call.require_auth()
        secret = self.find_secret(call.params["id"])
        if call.headers.get("accept", "").strip() not in _JSON_ACCEPTS:
            return self._payload_reply(call, auth, secret, "Secret retrieval")  # the deprecated payload GET
        if not (auth.is_admin or (_member(auth) and secret["_project"] == auth.project_id)):
            raise _denied("Secret retrieval")
        return Reply(200, self.render_secret(call, secret, version))

    def get_payload(self, call: Call, version: str) -> Reply:
        auth = call.require_auth()
        return self._payload_reply(
            call, auth, self.find_secret(call.params["id"]), "Secret payload retrieval"
        )

    def _payload_reply(self, call: Call, auth: Auth, secret: dict[str, Any], operation: str) -> Reply:
        if not (_member(auth) and secret["_project"] == auth.project_id):
            raise _denied(operation)  # decrypting is for the secret's own project only
        if secret["_payload"] is None:
            raise ApiError(404, "Not Found. Sorry but your secret has no payload.")
        accept = call.headers.get("accept", "").strip() or "application/octet-stream"
        if accept == "*/*":
            accept = secret["_content_type"]
        wrong = ApiError(406, f"{operation} issue seen - Wrong payload content-type.")
        if accept not in SUPPORTED:
            raise wrong
        if accept in PLAIN_TEXT:
            try:
                secret["_payload"].decode()
            except UnicodeDecodeError:
                raise wrong from None
        return Reply(200, secret["_payload"], {"Content-Type": accept})

    def delete_secret(self, call: Call, version: str) -> Reply:
        auth = call.require_auth()
        secret = self.find_secret(call.params["id"])
        if not (auth.is_admin or (_member(auth) and secret["_project"] == auth.project_id)):
            raise _denied("Secret deletion")
        self.store.delete_secret(secret["id"])
        return Reply(204)

    # ---- containers
    def find_container(self, ident: str) -> dict[str, Any]:
        if not is_uuid4(ident):
            raise ApiError(404, "Not Found. Provided container id is invalid.")
        container = self.store.containers.get(ident)
        if container is None:
            raise ApiError(404, "Secrets container not found.")
        return container

    def own_container(self, call: Call, operation: str) -> dict[str, Any]:
        auth = call.require_auth()
        container = self.find_container(call.params["id"])
        if not (_member(auth) and container["_project"] == auth.project_id):
            raise _denied(operation)
        return container

    def create_container(self, call: Call, version: str) -> Reply:
        auth = call.require_auth()
        if not _member(auth):
            raise _denied("Container creation")
        _require_json(call)
        body = _stripped(call.body)
        if isinstance(body, dict) and "type" not in body:
            raise _invalid("Container", "'type' is a required property", None)
        body = _check_schema(body, _CONTAINER_SCHEMA, "Container")
        refs = _check_refs(body, f"{self.root_of(call)}{MOUNT}")
        links = []
        for ref in refs:
            secret = self.store.secret(id_from_ref(ref["secret_ref"]))
            if secret is None or secret["_project"] != auth.project_id:
                raise ApiError(404, f"Secret provided for '{ref.get('name')}' doesn't exist.")
            links.append({"secret_id": secret["id"], "name": ref.get("name")})
        fields = {"name": body.get("name"), "type": body["type"], "secret_refs": links}
        ref = self.href(call, "containers", self.store.add_container(auth, fields)["id"])
        return Reply(201, {"container_ref": ref}, {"Location": ref})

    def list_containers(self, call: Call, version: str) -> Reply:
        auth = call.require_auth()
        if not _member(auth):
            raise _denied("Containers(s) retrieval")
        name, kind = (call.query_values(q)[-1] if call.query_values(q) else "" for q in ("name", "type"))
        items = [
            c
            for c in self.store.project_containers(auth.project_id)
            if (not name or _like(name, c["name"])) and (not kind or c["type"] == kind)
        ]
        render = lambda c: self.render_container(call, c)  # noqa: E731
        return Reply(200, _page(call, self.href(call, "containers"), "containers", items, render))

    def get_container(self, call: Call, version: str) -> Reply:
        return Reply(200, self.render_container(call, self.own_container(call, "Container retrieval")))

    def delete_container(self, call: Call, version: str) -> Reply:
        del self.store.containers[self.own_container(call, "Container deletion")["id"]]
        return Reply(204)


def _versioned(handler: Callable[[Call, str], Reply]) -> Callable[[Call], Reply]:
    """Run `handler` at the requested microversion and name that version in the answer."""

    def run(call: Call) -> Reply:
        version = microversion(call)
        reply = handler(call, version)
        reply.headers.update(
            {"OpenStack-API-Version": f"key-manager {version}", "Vary": "OpenStack-API-Version"}
        )
        return reply

    return run


def add_routes(router: Router, store: Barbican, root_of: Callable[[Call], str]) -> BarbicanApi:
    """Register `/key-manager` (the unauthenticated version document) and the v1 API under it."""
    api = BarbicanApi(store, root_of)
    for method, template, handler in (
        ("GET", BASE, api.v1),
        ("POST", f"{BASE}/secrets", api.create_secret),
        ("GET", f"{BASE}/secrets", api.list_secrets),
        ("GET", f"{BASE}/secrets/{{id}}", api.get_secret),
        ("GET", f"{BASE}/secrets/{{id}}/payload", api.get_payload),
        ("DELETE", f"{BASE}/secrets/{{id}}", api.delete_secret),
        ("POST", f"{BASE}/containers", api.create_container),
        ("GET", f"{BASE}/containers", api.list_containers),
        ("GET", f"{BASE}/containers/{{id}}", api.get_container),
        ("DELETE", f"{BASE}/containers/{{id}}", api.delete_container),
    ):
        router.add(method, template, _versioned(handler), Service.KEY_MANAGER)
    router.add("GET", MOUNT, _versioned(api.versions), Service.KEY_MANAGER, public=True)
    return api
