"""Registers our admission webhook with an API server (ValidatingWebhookConfiguration + Mutating...).

Namespace exclusion: the selector is `kubernetes.io/metadata.name NotIn [kube-system, ...]`. API servers
from 1.21 on set that label on every namespace themselves; 1.20 (our test server) does not, and a missing
label *matches* `NotIn`, so kube-system would not be excluded. Rather than invent a label of our own that
every real cluster would lack, registration makes sure each excluded namespace that exists carries the
label with its own name (the value 1.21+ would have written anyway), and the test harness labels every
namespace it creates. The same configuration then works unchanged on 1.20 and on current clusters.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any

from kubernetes import client
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

NAME_LABEL = "kubernetes.io/metadata.name"
VALIDATING_NAME = "validate.loadbalancer.openstack.org"
MUTATING_NAME = "mutate.loadbalancer.openstack.org"
TIMEOUT_SECONDS = 5


def webhook_entry(
    name: str, url: str, ca_bundle: bytes, exclude_namespaces: Sequence[str], *, mutating: bool
) -> dict[str, Any]:
    """One webhook of an admissionregistration.k8s.io/v1 configuration, for Services CREATE/UPDATE."""
    if not url.startswith("https://"):
        raise ValueError(f"base_url: {url!r} must start with https:// (webhooks are called over TLS)")
    if b"-----BEGIN CERTIFICATE-----" not in ca_bundle:
        raise ValueError(f"ca_bundle: {ca_bundle[:40]!r}... is not a PEM certificate")
    entry: dict[str, Any] = {
        "name": name,
        "clientConfig": {"url": url, "caBundle": base64.b64encode(ca_bundle).decode()},
        "rules": [
            {
                "operations": ["CREATE", "UPDATE"],
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "resources": ["services"],
                "scope": "Namespaced",
            }
        ],
        "sideEffects": "None",
        "failurePolicy": "Fail",
        "matchPolicy": "Equivalent",
        "timeoutSeconds": TIMEOUT_SECONDS,
        "admissionReviewVersions": ["v1"],
        "namespaceSelector": {
            "matchExpressions": [{"key": NAME_LABEL, "operator": "NotIn", "values": list(exclude_namespaces)}]
        },
    }
    if mutating:
        entry["reinvocationPolicy"] = "Never"
    return entry


def register_webhooks(
    api_client: ApiClient,
    *,
    base_url: str,
    ca_bundle: bytes,
    validating_name: str = VALIDATING_NAME,
    mutating_name: str = MUTATING_NAME,
    exclude_namespaces: Sequence[str] = ("kube-system",),
) -> None:
    """Creates or replaces both configurations; `base_url` is the webhook's https://host:port."""
    base = base_url.rstrip("/")
    api = client.AdmissionregistrationV1Api(api_client)
    validating = _configuration(
        "ValidatingWebhookConfiguration",
        validating_name,
        webhook_entry(validating_name, f"{base}/validate", ca_bundle, exclude_namespaces, mutating=False),
    )
    mutating = _configuration(
        "MutatingWebhookConfiguration",
        mutating_name,
        webhook_entry(mutating_name, f"{base}/mutate", ca_bundle, exclude_namespaces, mutating=True),
    )
    label_excluded_namespaces(api_client, exclude_namespaces)
    _create_or_replace(
        validating,
        api.create_validating_webhook_configuration,
        api.read_validating_webhook_configuration,
        api.replace_validating_webhook_configuration,
    )
    _create_or_replace(
        mutating,
        api.create_mutating_webhook_configuration,
        api.read_mutating_webhook_configuration,
        api.replace_mutating_webhook_configuration,
    )


def unregister_webhooks(
    api_client: ApiClient,
    *,
    validating_name: str = VALIDATING_NAME,
    mutating_name: str = MUTATING_NAME,
) -> None:
    """Deletes both configurations; absent ones are fine."""
    api = client.AdmissionregistrationV1Api(api_client)
    for delete, name in (
        (api.delete_validating_webhook_configuration, validating_name),
        (api.delete_mutating_webhook_configuration, mutating_name),
    ):
        try:
            delete(name)
        except ApiException as exc:
            if exc.status != 404:
                raise


def label_excluded_namespaces(api_client: ApiClient, names: Sequence[str]) -> None:
    """Gives each existing excluded namespace the name label that API servers >= 1.21 set themselves."""
    core = client.CoreV1Api(api_client)
    for name in names:
        try:
            namespace = core.read_namespace(name)
        except ApiException as exc:
            if exc.status == 404:
                continue  # created later: the harness labels namespaces it creates
            raise
        if (namespace.metadata.labels or {}).get(NAME_LABEL) != name:
            core.patch_namespace(name, {"metadata": {"labels": {NAME_LABEL: name}}})


def _configuration(kind: str, name: str, entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": name, "labels": {"app.kubernetes.io/name": "octavia-lb"}},
        "webhooks": [entry],
    }


def _create_or_replace(
    body: dict[str, Any],
    create: Callable[..., Any],
    read: Callable[..., Any],
    replace: Callable[..., Any],
) -> None:
    name = body["metadata"]["name"]
    try:
        create(body)
        return
    except ApiException as exc:
        if exc.status != 409:
            raise
    current = read(name)
    body["metadata"]["resourceVersion"] = current.metadata.resource_version
    replace(name, body)
