"""Keystone v3: version documents, password and application-credential tokens, the service catalog.

Tokens live in memory with an expiry on the simulator clock; `expire_all()` is the fault that makes every
issued token invalid so clients must re-authenticate (keystoneauth does so once on a 401).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from octavia_lb_devkit.sim.clock import Clock
from octavia_lb_devkit.sim.errors import UNAUTHORIZED, ApiError, Service
from octavia_lb_devkit.sim.http import Auth, Call, Reply, Router

TOKEN_LIFETIME = 3600.0
ROLE_IDS = {"admin": "r-admin", "member": "r-member", "reader": "r-reader"}
SERVICES = (
    ("identity", "keystone", "identity"),
    ("load-balancer", "octavia", "load-balancer"),
    ("network", "neutron", "networking"),
    ("key-manager", "barbican", "key-manager"),  # last, so the older entries keep their ids
)


@dataclass(frozen=True)
class User:
    id: str
    name: str
    password: str
    project_id: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class AppCredential:
    id: str
    name: str
    secret: str
    user_id: str


@dataclass
class Token:
    user: User
    project_id: str
    roles: tuple[str, ...]
    expires: float
    methods: tuple[str, ...]


@dataclass
class Identity:
    """Users, projects, application credentials and issued tokens."""

    clock: Clock
    region: str = "RegionOne"
    projects: dict[str, str] = field(default_factory=dict)  # id -> name
    users: dict[str, User] = field(default_factory=dict)
    app_creds: dict[str, AppCredential] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)

    def authenticate(self, token_id: str | None) -> Auth | None:
        token = self.tokens.get(token_id or "")
        if token is None or token.expires <= self.clock.now():
            return None
        return Auth(token.user.id, token.project_id, token.roles)

    def expire_all(self) -> int:
        for token in self.tokens.values():
            token.expires = self.clock.now() - 1
        return len(self.tokens)

    def find_user(self, spec: dict[str, Any]) -> User | None:
        for user in self.users.values():
            if spec.get("id") == user.id or (spec.get("name") == user.name and "id" not in spec):
                return user
        return None

    def project_by(self, spec: dict[str, Any]) -> str | None:
        if "id" in spec:
            return spec["id"] if spec["id"] in self.projects else None
        return next((pid for pid, name in self.projects.items() if name == spec.get("name")), None)

    def issue(self, body: Any) -> tuple[str, Token]:
        identity = (body or {}).get("auth", {}).get("identity") if isinstance(body, dict) else None
        if not isinstance(identity, dict):
            raise ApiError(400, "Invalid input for field 'auth': 'identity' is a required property")
        methods = tuple(identity.get("methods") or ())
        if "password" in methods:
            token = self._password_token(identity.get("password", {}), body["auth"].get("scope"))
        elif "application_credential" in methods:
            token = self._app_cred_token(identity.get("application_credential", {}))
        else:
            raise ApiError(401, UNAUTHORIZED)
        token_id = "gAAAA" + secrets.token_urlsafe(24)
        self.tokens[token_id] = token
        return token_id, token

    def _password_token(self, spec: dict[str, Any], scope: Any) -> Token:
        user = self.find_user(spec.get("user", {}))
        if user is None or spec.get("user", {}).get("password") != user.password:
            raise ApiError(401, UNAUTHORIZED)
        project_id = user.project_id
        if isinstance(scope, dict) and isinstance(scope.get("project"), dict):
            wanted = self.project_by(scope["project"])
            if wanted != user.project_id:
                raise ApiError(401, UNAUTHORIZED)
            project_id = wanted
        return Token(user, project_id, user.roles, self.clock.now() + TOKEN_LIFETIME, ("password",))

    def _app_cred_token(self, spec: dict[str, Any]) -> Token:
        cred = self.app_creds.get(spec.get("id", "")) or next(
            (c for c in self.app_creds.values() if c.name == spec.get("name")), None
        )
        if cred is None or cred.secret != spec.get("secret"):
            raise ApiError(401, UNAUTHORIZED)
        user = self.users[cred.user_id]
        return Token(
            user, user.project_id, user.roles, self.clock.now() + TOKEN_LIFETIME, ("application_credential",)
        )


def version_entry(root: str) -> dict[str, Any]:
    return {
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": f"{root}/identity/v3/"}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
    }


def catalog(root: str, region: str) -> list[dict[str, Any]]:
    entries = []
    for index, (kind, name, mount) in enumerate(SERVICES):
        endpoints = [
            {
                "id": f"e{index}-{iface}",
                "interface": iface,
                "region": region,
                "region_id": region,
                "url": f"{root}/{mount}",
            }
            for iface in ("public", "internal", "admin")
        ]
        entries.append({"type": kind, "name": name, "id": f"s{index}", "endpoints": endpoints})
    return entries


def token_body(identity: Identity, token: Token, root: str) -> dict[str, Any]:
    domain = {"id": "default", "name": "Default"}
    body: dict[str, Any] = {
        "methods": list(token.methods),
        "user": {"id": token.user.id, "name": token.user.name, "domain": domain, "password_expires_at": None},
        "audit_ids": [secrets.token_urlsafe(16)],
        "issued_at": identity.clock.keystone_stamp(),
        "expires_at": identity.clock.keystone_stamp(token.expires - identity.clock.now()),
        "project": {"id": token.project_id, "name": identity.projects[token.project_id], "domain": domain},
        "is_domain": False,
        "roles": [{"id": ROLE_IDS.get(role, role), "name": role} for role in token.roles],
        "catalog": catalog(root, identity.region),
    }
    if "application_credential" in token.methods:
        cred = next(c for c in identity.app_creds.values() if c.user_id == token.user.id)
        body["application_credential"] = {"id": cred.id, "name": cred.name, "restricted": True}
    return {"token": body}


def add_routes(router: Router, identity: Identity, root_of: Any) -> None:
    """Register the identity routes; `root_of(call)` is the scheme://host:port the client used."""

    def versions(call: Call) -> Reply:
        return Reply(300, {"versions": {"values": [version_entry(root_of(call))]}})

    def v3(call: Call) -> Reply:
        return Reply(200, {"version": version_entry(root_of(call))})

    def issue(call: Call) -> Reply:
        token_id, token = identity.issue(call.body)
        return Reply(201, token_body(identity, token, root_of(call)), {"X-Subject-Token": token_id})

    def check(call: Call) -> Reply:
        token_id = call.headers.get("x-subject-token", "")
        token = identity.tokens.get(token_id)
        if token is None or identity.authenticate(token_id) is None:
            raise ApiError(404, f"Could not find token: {token_id}.")
        return Reply(200, token_body(identity, token, root_of(call)), {"X-Subject-Token": token_id})

    def revoke(call: Call) -> Reply:
        if identity.tokens.pop(call.headers.get("x-subject-token", ""), None) is None:
            raise ApiError(404, "Could not find token.")
        return Reply(204)

    svc = Service.IDENTITY
    router.add("GET", "/identity", versions, svc, public=True)
    router.add("GET", "/identity/v3", v3, svc, public=True)
    router.add("POST", "/identity/v3/auth/tokens", issue, svc, public=True)
    router.add("GET", "/identity/v3/auth/tokens", check, svc)
    router.add("DELETE", "/identity/v3/auth/tokens", revoke, svc)
