"""Checking `default-tls-container-ref` against Barbican before a TERMINATED_HTTPS listener is built.

As OCCM does with `container-store = barbican` (occm-semantics §2.3 step 4): the reference's last two path
segments name a container or a secret, which must exist for this project; otherwise the Service fails with
OCCM's message instead of a listener that Octavia (or its amphorae) cannot load later. With
`container-store = external` any reference is accepted.
"""

from __future__ import annotations

from octavia_lb.worker.cloud.errors import PermanentError, ReconcileError
from octavia_lb.worker.cloud.gateway import Gateway

_KINDS = {"containers": "container", "secrets": "secret"}


def check_tls_ref(gateway: Gateway, ref: str, key: str) -> None:
    """Raise PermanentError (or TemporaryError for a failed call) unless Barbican holds `ref`."""
    parts = ref.split("/")
    if len(parts) < 2:
        raise PermanentError(f"invalid tlsContainerRef for service {key}")
    collection, ident = parts[-2], parts[-1]
    kind = _KINDS.get(collection)
    if kind is None:
        raise PermanentError(
            f"failed to validate tlsContainerRef for service {key}: tlsContainerRef type {collection} unknown"
        )
    if not gateway.has_key_manager():
        raise PermanentError(
            "failed to create a TLS Terminated loadbalancer because openstack keymanager client is not "
            f'initialized and default-tls-container-ref "{ref}" is set'
        )
    try:
        gateway.key_manager_get(collection, ident)
    except ReconcileError as exc:
        raise type(exc)(f'failed to get tls {kind} "{ref}": {exc.message}') from exc
