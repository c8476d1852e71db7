"""What every kustomization renders to: kinds, replicas, probes, hardening, webhook fields, references."""

from __future__ import annotations

import re
from typing import Any

import pytest
from octavia_lb_devkit.controlplane.registration import MUTATING_NAME, VALIDATING_NAME

from octavia_lb.cli import build_parser
from tests.manifests.render import NAMESPACE, OVERLAYS, TLS_SECRET, Rendering

COMPONENTS = ("octavia-lb-webhook", "octavia-lb-dispatcher", "octavia-lb-worker")
BASE_KINDS = {
    "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ConfigMap",
    "Secret", "Deployment", "Service", "PodDisruptionBudget", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
}
QUEUE_SCALED = {"overlays/ha-redis"}  # KEDA scales the workers there, not the CPU autoscaler
PINNED_IMAGE = re.compile(r"^[a-z0-9.\-/]+(:[A-Za-z0-9._\-]+|@sha256:[0-9a-f]{64})$")


@pytest.fixture(params=OVERLAYS)
def rendering(request: pytest.FixtureRequest, renderings: dict[str, Rendering]) -> Rendering:
    return renderings[request.param]


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def test_every_rendering_has_the_base_kinds_in_our_namespace(rendering: Rendering) -> None:
    kinds = {obj["kind"] for obj in rendering.objects}
    assert kinds >= BASE_KINDS, f"{rendering.name} lacks {BASE_KINDS - kinds}"
    cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration",
                      "MutatingWebhookConfiguration"}
    for obj in rendering.objects:
        if obj["kind"] not in cluster_scoped:
            assert obj["metadata"].get("namespace") == NAMESPACE, f"{obj['kind']}/{obj['metadata']['name']}"
    assert rendering.names("Deployment") >= set(COMPONENTS)


def test_replicas_disruption_budget_and_autoscaler(rendering: Rendering) -> None:
    assert rendering.one("Deployment", "octavia-lb-webhook")["spec"]["replicas"] == 2
    assert rendering.one("Deployment", "octavia-lb-dispatcher")["spec"]["replicas"] == 2
    pdb = rendering.one("PodDisruptionBudget", "octavia-lb-webhook")
    assert pdb["apiVersion"] == "policy/v1" and pdb["spec"]["minAvailable"] == 1
    template = rendering.one("Deployment", "octavia-lb-webhook")["spec"]["template"]
    webhook_labels = template["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= webhook_labels.items()
    if rendering.name in QUEUE_SCALED:
        assert rendering.of_kind("HorizontalPodAutoscaler") == [], "two autoscalers on one Deployment fight"
        scaled = rendering.one("ScaledObject", "octavia-lb-worker")
        assert scaled["spec"]["scaleTargetRef"] == {"name": "octavia-lb-worker"}
        (trigger,) = scaled["spec"]["triggers"]
        assert trigger["metadata"]["listName"] == "octavia-lb"  # the Celery queue (OCTAVIA_LB_QUEUE)
        assert 1 <= scaled["spec"]["minReplicaCount"] < scaled["spec"]["maxReplicaCount"]
        return
    hpa = rendering.one("HorizontalPodAutoscaler", "octavia-lb-worker")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                            "name": "octavia-lb-worker"}
    assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]


def test_webhook_pods_spread_probe_over_https_and_are_served_on_443(rendering: Rendering) -> None:
    deployment = rendering.one("Deployment", "octavia-lb-webhook")
    pod = deployment["spec"]["template"]["spec"]
    term = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "https", "scheme": "HTTPS"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "https", "scheme": "HTTPS"}
    assert {"name": "https", "containerPort": 8443, "protocol": "TCP"} in container["ports"]
    (port,) = rendering.one("Service", "octavia-lb-webhook")["spec"]["ports"]
    assert (port["port"], port["targetPort"]) == (443, "https")


def test_every_container_is_hardened_and_has_resources(rendering: Rendering) -> None:
    for name, pod in rendering.pod_specs():
        security = pod["securityContext"]
        assert security["runAsNonRoot"] is True and security["runAsUser"] > 0, name
        assert security["seccompProfile"] == {"type": "RuntimeDefault"}, name
        for container in containers(pod):
            hardening = container["securityContext"]
            assert hardening["readOnlyRootFilesystem"] is True, name
            assert hardening["allowPrivilegeEscalation"] is False, name
            assert hardening["capabilities"]["drop"] == ["ALL"], name
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= container["resources"][part].keys(), f"{name} {part}"


def test_images_are_pinned(rendering: Rendering) -> None:
    for name, pod in rendering.pod_specs():
        for container in containers(pod):
            image = container["image"]
            assert PINNED_IMAGE.match(image) and not image.endswith(":latest"), f"{name}: {image!r}"
    pods = [pod for name, pod in rendering.pod_specs() if name in COMPONENTS]
    ours = {container["image"] for pod in pods for container in pod["containers"]}
    assert ours == {"ghcr.io/octavia-lb/octavia-lb:0.1.0"}


@pytest.mark.parametrize(("kind", "name", "path"), [
    ("ValidatingWebhookConfiguration", VALIDATING_NAME, "/validate"),
    ("MutatingWebhookConfiguration", MUTATING_NAME, "/mutate"),
])
def test_webhook_configuration_fields(rendering: Rendering, kind: str, name: str, path: str) -> None:
    (hook,) = rendering.one(kind, name)["webhooks"]
    assert hook["name"] == name
    assert hook["failurePolicy"] == "Fail" and hook["timeoutSeconds"] == 5
    assert hook["sideEffects"] == "None" and hook["admissionReviewVersions"] == ["v1"]
    assert hook["clientConfig"]["service"] == {"name": "octavia-lb-webhook", "namespace": NAMESPACE,
                                               "path": path, "port": 443}
    (rule,) = hook["rules"]
    assert rule["operations"] == ["CREATE", "UPDATE"] and rule["resources"] == ["services"]
    assert rule["apiGroups"] == [""] and rule["apiVersions"] == ["v1"]
    (selector,) = hook["namespaceSelector"]["matchExpressions"]
    assert selector == {"key": "kubernetes.io/metadata.name", "operator": "NotIn",
                        "values": ["kube-system", NAMESPACE]}
    # matchConditions is not served by 1.20; only the >= 1.28 composition carries it
    assert ("matchConditions" in hook) == (rendering.name == "overlays/example-combined")


def test_rbac_has_no_wildcards_and_least_privilege(rendering: Rendering) -> None:
    for kind in ("ClusterRole", "Role"):
        for role in rendering.of_kind(kind):
            for rule in role["rules"]:
                for field in ("verbs", "resources", "apiGroups"):
                    values = rule.get(field, [])
                    assert not any("*" in value for value in values), f"{kind} {role['metadata']['name']}"
    webhook = rendering.one("ClusterRole", "octavia-lb-webhook")["rules"]
    assert webhook == [{"apiGroups": [""], "resources": ["services"], "verbs": ["get", "list", "watch"]}]
    leases = rendering.one("Role", "octavia-lb-leader-election")["rules"]
    assert leases == [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
                       "verbs": ["get", "create", "update"]}]
    rules = rendering.one("ClusterRole", "octavia-lb-worker")["rules"]
    worker = {rule["resources"][0]: rule["verbs"] for rule in rules}
    assert worker == {
        "services": ["get", "list", "watch", "patch", "update"],
        "services/status": ["patch", "update"],
        "nodes": ["get", "list", "watch"],
        "events": ["create", "patch"],
    }
    binding = rendering.one("RoleBinding", "octavia-lb-leader-election")
    assert [s["name"] for s in binding["subjects"]] == ["octavia-lb-dispatcher"]


def _secret_refs(pod: dict[str, Any]) -> set[str]:
    refs = {v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}
    for container in containers(pod):
        refs |= {e["valueFrom"]["secretKeyRef"]["name"] for e in container.get("env", [])
                 if "secretKeyRef" in e.get("valueFrom", {})}
        refs |= {e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e}
    return refs


def _config_map_refs(pod: dict[str, Any]) -> set[str]:
    refs = {v["configMap"]["name"] for v in pod.get("volumes", []) if "configMap" in v}
    for container in containers(pod):
        refs |= {e["configMapRef"]["name"] for e in container.get("envFrom", []) if "configMapRef" in e}
    return refs


def _provided_secrets(rendering: Rendering) -> set[str]:
    # cert-manager writes each Certificate's spec.secretName; count those as provided
    return rendering.names("Secret") | {c["spec"]["secretName"] for c in rendering.of_kind("Certificate")}


def test_every_referenced_object_is_rendered(rendering: Rendering) -> None:
    accounts = rendering.names("ServiceAccount")
    for name, pod in rendering.pod_specs():
        assert pod.get("serviceAccountName", "default") in accounts | {"default"}, name
        if name in COMPONENTS:
            assert pod["serviceAccountName"] == name, "one ServiceAccount per component"
        missing_secrets = _secret_refs(pod) - _provided_secrets(rendering)
        # the base alone has no TLS source by design (a TLS overlay provides it); nothing else may be missing
        expected = {TLS_SECRET} if rendering.name == "base" and name == "octavia-lb-webhook" else set()
        assert missing_secrets == expected, f"{rendering.name} {name}"
        assert _config_map_refs(pod) <= rendering.names("ConfigMap"), name
    for kind in ("ClusterRoleBinding", "RoleBinding"):
        for binding in rendering.of_kind(kind):
            for subject in binding["subjects"]:
                assert subject["name"] in accounts and subject["namespace"] == NAMESPACE
            role_kind, role_name = binding["roleRef"]["kind"], binding["roleRef"]["name"]
            assert role_name in rendering.names(role_kind), f"{kind} {binding['metadata']['name']}"


def test_container_args_parse_with_the_cli(rendering: Rendering) -> None:
    parser = build_parser()
    seen = set()
    for name, pod in rendering.pod_specs():
        if name not in COMPONENTS:
            continue
        (container,) = pod["containers"]
        args = parser.parse_args(container["args"])
        seen.add(args.command)
        if args.command == "webhook":
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert args.cloud_config in mounts and args.port == 8443
            assert {args.tls_cert.rsplit("/", 1)[0]} <= mounts
    assert seen == {"webhook", "dispatcher", "worker"}


def test_controllers_take_settings_from_the_config_map_and_the_lease_namespace_from_the_pod(
    rendering: Rendering,
) -> None:
    settings = rendering.generated("ConfigMap", "octavia-lb-settings")["data"]
    assert settings["OCTAVIA_LB_CLOUD_CONFIG"] == "/etc/octavia-lb/cloud.conf"
    assert settings["OCTAVIA_LB_CLUSTER_NAME"]
    dispatcher = rendering.one("Deployment", "octavia-lb-dispatcher")["spec"]["template"]["spec"]
    env = {e["name"]: e for e in dispatcher["containers"][0]["env"]}
    assert env["OCTAVIA_LB_LEASE_NAMESPACE"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    for name in ("octavia-lb-dispatcher", "octavia-lb-worker"):
        pod = rendering.one("Deployment", name)["spec"]["template"]["spec"]
        names = [e["name"] for e in pod["containers"][0]["env"]]
        assert "OCTAVIA_LB_REDIS_URL" in names, name


def test_dispatcher_and_worker_metrics_are_reachable_from_outside_the_pod(rendering: Rendering) -> None:
    (settings,) = [m for m in rendering.objects if m["kind"] == "ConfigMap"
                   and m["metadata"]["name"].startswith("octavia-lb-settings")]
    assert settings["data"]["OCTAVIA_LB_METRICS_HOST"] == "0.0.0.0"
    port = int(settings["data"]["OCTAVIA_LB_METRICS_PORT"])
    for name in ("octavia-lb-dispatcher", "octavia-lb-worker"):
        (container,) = rendering.one("Deployment", name)["spec"]["template"]["spec"]["containers"]
        assert {"name": "metrics", "containerPort": port, "protocol": "TCP"} in container["ports"], name
        assert container["livenessProbe"]["httpGet"] == {"path": "/metrics", "port": "metrics"}, name
