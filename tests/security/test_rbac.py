"""RBAC in manifests/, as `kubectl kustomize` renders every deployable kustomization: least privilege.

No wildcard verbs, resources, apiGroups or URLs; no verbs that hand out more rights (escalate, bind,
impersonate); no access to Secrets (cloud.conf reaches the pods as a mounted volume, not through the API);
every binding points at a role this project defines, for a ServiceAccount in our namespace.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.manifests.render import NAMESPACE, OVERLAYS, Rendering, make_static_tls_tree, render

ROLE_KINDS = ("Role", "ClusterRole")
BINDING_KINDS = ("RoleBinding", "ClusterRoleBinding")
DANGEROUS_VERBS = {"escalate", "bind", "impersonate", "deletecollection"}


@pytest.fixture(scope="module")
def renderings(tmp_path_factory: pytest.TempPathFactory) -> list[Rendering]:
    tree = make_static_tls_tree(tmp_path_factory.mktemp("rbac"))
    return [render(tree / overlay, overlay) for overlay in OVERLAYS]


def rules_of(rendering: Rendering) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{rendering.name}: {kind}/{role['metadata']['name']}", rule)
        for kind in ROLE_KINDS
        for role in rendering.of_kind(kind)
        for rule in role.get("rules") or []
    ]


def test_every_kustomization_has_roles(renderings: list[Rendering]) -> None:
    # guards the checks below against passing on an empty rendering
    assert [r.name for r in renderings] == list(OVERLAYS)
    for rendering in renderings:
        assert len(rules_of(rendering)) >= 5, f"{rendering.name} renders almost no RBAC rules"


@pytest.mark.parametrize("field", ["verbs", "resources", "apiGroups", "resourceNames", "nonResourceURLs"])
def test_no_wildcards(renderings: list[Rendering], field: str) -> None:
    wild = [
        (where, rule[field])
        for rendering in renderings
        for where, rule in rules_of(rendering)
        if any("*" in item for item in rule.get(field) or [])
    ]
    assert wild == [], f"wildcard {field}: {wild}"


def test_every_rule_names_its_verbs_and_resources(renderings: list[Rendering]) -> None:
    for rendering in renderings:
        for where, rule in rules_of(rendering):
            assert rule.get("verbs"), f"{where}: a rule without verbs"
            assert rule.get("resources"), f"{where}: a rule without resources"
            assert "apiGroups" in rule, f"{where}: a rule without apiGroups"


def test_no_privilege_granting_verbs_and_no_secrets(renderings: list[Rendering]) -> None:
    for rendering in renderings:
        for where, rule in rules_of(rendering):
            assert not DANGEROUS_VERBS & set(rule["verbs"]), f"{where}: {rule['verbs']}"
            assert "secrets" not in rule["resources"], f"{where} reads Secrets through the API: {rule}"


def test_no_aggregation_into_other_roles(renderings: list[Rendering]) -> None:
    for rendering in renderings:
        for role in rendering.of_kind("ClusterRole"):
            labels = role["metadata"].get("labels") or {}
            assert "aggregationRule" not in role, role["metadata"]["name"]
            assert not [k for k in labels if k.startswith("rbac.authorization.k8s.io/aggregate-to")], labels


def test_bindings_grant_our_roles_to_our_service_accounts(renderings: list[Rendering]) -> None:
    for rendering in renderings:
        ours = {(kind, role["metadata"]["name"]) for kind in ROLE_KINDS for role in rendering.of_kind(kind)}
        bindings = [b for kind in BINDING_KINDS for b in rendering.of_kind(kind)]
        assert bindings, rendering.name
        for binding in bindings:
            ref = binding["roleRef"]
            where = f"{rendering.name}: {binding['kind']}/{binding['metadata']['name']}"
            assert (ref["kind"], ref["name"]) in ours, f"{where} binds a role we do not define: {ref}"
            for subject in binding["subjects"]:
                assert subject["kind"] == "ServiceAccount", f"{where}: {subject}"
                assert subject.get("namespace", binding["metadata"].get("namespace")) == NAMESPACE, subject


def test_webhook_and_dispatcher_cannot_write(renderings: list[Rendering]) -> None:
    """Only the worker writes to the API; the webhook (sideEffects: None) and the dispatcher only read."""
    reads = {"get", "list", "watch"}
    for rendering in renderings:
        for name in ("octavia-lb-webhook", "octavia-lb-dispatcher"):
            role = rendering.one("ClusterRole", name)
            for rule in role["rules"]:
                assert set(rule["verbs"]) <= reads, f"{rendering.name}: {name} may {rule['verbs']}"
