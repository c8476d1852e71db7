"""Webhook registration objects as the real API server stores them (no webhook needs to run for these)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException
from octavia_lb_devkit.controlplane.cluster import Cluster
from octavia_lb_devkit.controlplane.registration import (
    NAME_LABEL,
    register_webhooks,
    unregister_webhooks,
    webhook_entry,
)

VALIDATING = "validate.registration-test.example.org"
MUTATING = "mutate.registration-test.example.org"


def register(kube_api: ApiClient, base_url: str, ca_bundle: bytes, **options: Any) -> None:
    """register_webhooks under this module's two configuration names."""
    register_webhooks(
        kube_api,
        base_url=base_url,
        ca_bundle=ca_bundle,
        validating_name=VALIDATING,
        mutating_name=MUTATING,
        **options,
    )


def unregister(kube_api: ApiClient) -> None:
    unregister_webhooks(kube_api, validating_name=VALIDATING, mutating_name=MUTATING)


@pytest.fixture
def registered(cluster: Cluster, kube_api: ApiClient) -> Iterator[client.AdmissionregistrationV1Api]:
    # Nothing listens on this URL: with failurePolicy Fail, unregister at once so no other test is affected.
    try:
        register(
            kube_api,
            "https://127.0.0.1:1/",
            cluster.ca_pem,
            exclude_namespaces=("kube-system", "kube-public"),
        )
        yield client.AdmissionregistrationV1Api(kube_api)
    finally:
        unregister(kube_api)


def test_both_configurations_carry_the_contract_fields(registered: client.AdmissionregistrationV1Api) -> None:
    validating = registered.read_validating_webhook_configuration(VALIDATING).webhooks
    mutating = registered.read_mutating_webhook_configuration(MUTATING).webhooks
    for hooks, path in ((validating, "/validate"), (mutating, "/mutate")):
        (hook,) = hooks
        assert hook.client_config.url == f"https://127.0.0.1:1{path}"
        assert hook.client_config.service is None
        assert [(r.operations, r.api_groups, r.api_versions, r.resources) for r in hook.rules] == [
            (["CREATE", "UPDATE"], [""], ["v1"], ["services"])
        ]
        assert (hook.side_effects, hook.failure_policy, hook.timeout_seconds) == ("None", "Fail", 5)
        assert hook.admission_review_versions == ["v1"]
        (expression,) = hook.namespace_selector.match_expressions
        assert (expression.key, expression.operator, expression.values) == (
            NAME_LABEL,
            "NotIn",
            ["kube-system", "kube-public"],
        )
    assert mutating[0].reinvocation_policy == "Never"


def test_ca_bundle_round_trips(cluster: Cluster, registered: client.AdmissionregistrationV1Api) -> None:
    hook = registered.read_validating_webhook_configuration(VALIDATING).webhooks[0]
    assert base64.b64decode(hook.client_config.ca_bundle) == cluster.ca_pem


def test_registering_again_replaces_in_place(
    cluster: Cluster, kube_api: ApiClient, registered: client.AdmissionregistrationV1Api
) -> None:
    first = registered.read_mutating_webhook_configuration(MUTATING).metadata.uid
    register(kube_api, "https://127.0.0.1:2", cluster.ca_pem)
    again = registered.read_mutating_webhook_configuration(MUTATING)
    assert again.metadata.uid == first
    assert again.webhooks[0].client_config.url == "https://127.0.0.1:2/mutate"
    assert again.webhooks[0].namespace_selector.match_expressions[0].values == ["kube-system"]


def test_excluded_namespaces_get_the_name_label_1_20_lacks(
    kube_api: ApiClient, registered: client.AdmissionregistrationV1Api
) -> None:
    core = client.CoreV1Api(kube_api)
    core.patch_namespace(
        "kube-public", [{"op": "remove", "path": f"/metadata/labels/{NAME_LABEL.replace('/', '~1')}"}]
    )
    assert NAME_LABEL not in (core.read_namespace("kube-public").metadata.labels or {})
    register(
        kube_api,
        "https://127.0.0.1:1",
        b"-----BEGIN CERTIFICATE-----\n",
        exclude_namespaces=("kube-system", "kube-public", "not-created-yet"),
    )
    assert core.read_namespace("kube-public").metadata.labels[NAME_LABEL] == "kube-public"


def test_unregister_removes_both_and_tolerates_absence(kube_api: ApiClient) -> None:
    register(kube_api, "https://127.0.0.1:1", b"-----BEGIN CERTIFICATE-----\n")
    unregister(kube_api)
    unregister(kube_api)
    api = client.AdmissionregistrationV1Api(kube_api)
    with pytest.raises(ApiException) as gone:
        api.read_validating_webhook_configuration(VALIDATING)
    assert gone.value.status == 404
    with pytest.raises(ApiException) as gone:
        api.read_mutating_webhook_configuration(MUTATING)
    assert gone.value.status == 404


@pytest.mark.parametrize(
    ("url", "bundle", "message"),
    [
        (
            "http://127.0.0.1:8443/validate",
            b"-----BEGIN CERTIFICATE-----",
            "base_url: 'http://127.0.0.1:8443/validate'",
        ),
        (
            "https://127.0.0.1:8443/validate",
            b"not a pem",
            r"ca_bundle: b'not a pem'\.\.\. is not a PEM certificate",
        ),
    ],
)
def test_bad_arguments_name_the_field_and_value(url: str, bundle: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        webhook_entry("w", url, bundle, ("kube-system",), mutating=False)
