"""What the local stack writes into its API server: the three Nodes and the webhook configurations.

Both steps are idempotent, so `up` runs them every time (a kept API server keeps its objects; a restarted
one starts empty).
"""

from __future__ import annotations

from pathlib import Path

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from octavia_lb_devkit.controlplane.cluster import node_manifest
from octavia_lb_devkit.controlplane.registration import register_webhooks, unregister_webhooks
from octavia_lb_devkit.dev.cloud import NODES


def ensure_nodes(kubeconfig: Path) -> list[str]:
    """Creates the missing Nodes (Ready, InternalIP, labels, providerID); returns the created names."""
    created = []
    with config.new_client_from_config(config_file=str(kubeconfig)) as api:
        core = client.CoreV1Api(api)
        for node in NODES:
            try:
                core.read_node(node.name)
                continue
            except ApiException as exc:
                if exc.status != 404:
                    raise
            body = node_manifest(
                node.name, node.internal_ip, labels=dict(node.labels), provider_id=node.provider_id
            )
            core.create_node({k: v for k, v in body.items() if k != "status"})
            # status is a subresource: a create does not keep it, a status replace does
            current = core.read_node(node.name)
            body["metadata"]["resourceVersion"] = current.metadata.resource_version
            core.replace_node_status(node.name, body)
            created.append(node.name)
    return created


def register(kubeconfig: Path, webhook_url: str, ca_file: Path) -> None:
    with config.new_client_from_config(config_file=str(kubeconfig)) as api:
        register_webhooks(api, base_url=webhook_url, ca_bundle=ca_file.read_bytes())


def unregister(kubeconfig: Path) -> None:
    with config.new_client_from_config(config_file=str(kubeconfig)) as api:
        unregister_webhooks(api)
