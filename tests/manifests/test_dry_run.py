"""Server-side dry-run of every rendered object whose kind the test API server (Kubernetes 1.20) serves.

Which kinds 1.20 serves is asked from its discovery API, not assumed; the test then asserts that the objects
left out are exactly the expected ones: policy/v1 PodDisruptionBudget (1.21+), autoscaling/v2
HorizontalPodAutoscaler (1.23+) and the cert-manager CRDs. Those two built-in kinds are also dry-run under
the beta versions 1.20 serves, with the same spec, so their content is still checked by a real server.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from kubernetes.client.exceptions import ApiException
from octavia_lb_devkit.controlplane.cluster import Cluster

from tests.fixtures.cluster import KubectlRunner
from tests.manifests.render import NAMESPACE, OVERLAYS, Rendering

pytestmark = pytest.mark.cluster

NEWER_THAN_120 = {"PodDisruptionBudget/octavia-lb-webhook", "HorizontalPodAutoscaler/octavia-lb-worker"}
CERT_MANAGER = {"Issuer/octavia-lb-selfsigned", "Issuer/octavia-lb-ca", "Certificate/octavia-lb-ca",
                "Certificate/octavia-lb-webhook"}
EXPECTED_SKIPS = {
    "base": NEWER_THAN_120,
    "overlays/cert-manager": NEWER_THAN_120 | CERT_MANAGER,
    "overlays/static-tls": NEWER_THAN_120,
    "overlays/redis-in-cluster": NEWER_THAN_120 | CERT_MANAGER,
    "overlays/example-combined": NEWER_THAN_120 | CERT_MANAGER,
    # KEDA's CRDs instead of the CPU autoscaler
    "overlays/ha-redis": {"PodDisruptionBudget/octavia-lb-webhook", "ScaledObject/octavia-lb-worker",
                          "TriggerAuthentication/octavia-lb-redis"} | CERT_MANAGER,
}
# Served kinds whose rendering uses a field 1.20 lacks: kept out of the dry-run, checked in their own test.
MATCH_CONDITIONS = {"ValidatingWebhookConfiguration/validate.loadbalancer.openstack.org",
                    "MutatingWebhookConfiguration/mutate.loadbalancer.openstack.org"}
# What 1.20 serves instead, for the spec-level check of the skipped built-in kinds.
BETA_EQUIVALENT = {"PodDisruptionBudget": "policy/v1beta1", "HorizontalPodAutoscaler": "autoscaling/v2beta2"}


def ref(obj: dict[str, Any]) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


@pytest.fixture(scope="module")
def served(kubectl: KubectlRunner) -> set[tuple[str, str]]:
    """(apiVersion, kind) pairs the API server serves, from its discovery documents."""
    pairs = set()
    groups = json.loads(kubectl("get", "--raw", "/apis").stdout)["groups"]
    paths = ["/api/v1"] + [f"/apis/{v['groupVersion']}" for g in groups for v in g["versions"]]
    for path in paths:
        document = json.loads(kubectl("get", "--raw", path).stdout)
        resources = [r for r in document["resources"] if "/" not in r["name"]]  # not subresources
        pairs |= {(document["groupVersion"], r["kind"]) for r in resources}
    return pairs


@pytest.fixture(scope="module")
def our_namespace(cluster: Cluster) -> str:
    """Namespaced objects dry-run only into an existing namespace; the session cluster is throw-away."""
    try:
        cluster.create_namespace(NAMESPACE)
    except ApiException as exc:
        if exc.status != 409:
            raise
    return NAMESPACE


def dry_run(kubectl: KubectlRunner, objects: list[dict[str, Any]], check: bool = True) -> str:
    done = kubectl("apply", "--dry-run=server", "-f", "-", input=yaml.safe_dump_all(objects), check=check)
    return done.stdout + done.stderr


@pytest.mark.parametrize("name", OVERLAYS)
def test_server_side_dry_run_of_every_served_kind(
    name: str, renderings: dict[str, Rendering], served: set[tuple[str, str]], kubectl: KubectlRunner,
    our_namespace: str,
) -> None:
    rendering = renderings[name]
    unserved = [obj for obj in rendering.objects if (obj["apiVersion"], obj["kind"]) not in served]
    assert {ref(obj) for obj in unserved} == EXPECTED_SKIPS[name]
    held_back = MATCH_CONDITIONS if name == "overlays/example-combined" else set()
    objects = [obj for obj in rendering.objects if obj not in unserved and ref(obj) not in held_back]
    output = dry_run(kubectl, objects)
    for obj in objects:
        kind, obj_name = obj["kind"].lower(), obj["metadata"]["name"]
        api_group = obj["apiVersion"].split("/")[0] if "/" in obj["apiVersion"] else ""
        shown = f"{kind}.{api_group}/{obj_name}" if api_group else f"{kind}/{obj_name}"
        assert f"{shown} " in output and "(server dry run)" in output, f"{shown} not in:\n{output}"


@pytest.mark.parametrize("name", ["base", "overlays/redis-in-cluster"])
def test_skipped_builtin_kinds_validate_under_their_beta_versions(
    name: str, renderings: dict[str, Rendering], kubectl: KubectlRunner, our_namespace: str
) -> None:
    downgraded = []
    for kind, version in BETA_EQUIVALENT.items():
        for obj in renderings[name].of_kind(kind):
            clone = copy.deepcopy(obj)
            clone["apiVersion"] = version
            downgraded.append(clone)
    assert {ref(obj) for obj in downgraded} == NEWER_THAN_120
    output = dry_run(kubectl, downgraded)
    assert "poddisruptionbudget.policy/octavia-lb-webhook created (server dry run)" in output
    assert "horizontalpodautoscaler.autoscaling/octavia-lb-worker created (server dry run)" in output


def test_match_conditions_fail_validation_against_the_1_20_schema(
    renderings: dict[str, Rendering], kubectl: KubectlRunner
) -> None:
    # why components/match-conditions is ">= 1.28 only": kubectl validates against the server's own
    # OpenAPI schema, in which a 1.20 server has no matchConditions
    hooks = [obj for obj in renderings["overlays/example-combined"].objects if ref(obj) in MATCH_CONDITIONS]
    assert len(hooks) == 2
    output = dry_run(kubectl, hooks, check=False)
    assert "matchConditions" in output and "(server dry run)" not in output, output


def test_dry_run_rejects_a_broken_object(
    renderings: dict[str, Rendering], kubectl: KubectlRunner, our_namespace: str
) -> None:
    # the dry-run is a real check: the same webhook configuration with an invalid timeout is refused
    hook = copy.deepcopy(renderings["base"].one("ValidatingWebhookConfiguration",
                                                "validate.loadbalancer.openstack.org"))
    hook["webhooks"][0]["timeoutSeconds"] = 31
    output = dry_run(kubectl, [hook], check=False)
    assert "timeoutSeconds" in output and "(server dry run)" not in output, output
