"""Typed Kubernetes calls on the API's own JSON: the worker's reads and writes of Services, Events, Nodes
and Leases.

The product handles Kubernetes objects as the JSON the API server sends (dicts with the wire's camelCase
keys), never as the client's generated models: reads ask for the raw response (`_preload_content=False`)
and parse its bytes; writes send a JSON patch or a dict body. The generated client declares models there
(a `V1Service` return, a `CoreV1Event` or `V1Lease` body) although it takes a dict wherever it declares a
model body and, with `_preload_content=False`, returns the urllib3 response instead of the model. The
Protocols below state the calls exactly as they are made, the TypedDicts what is sent, and `KubeJson`
binds the client to them in this one place; the requests on the wire are those the calls always made.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal, NotRequired, Protocol, TypedDict, cast

from kubernetes import client

Json = dict[str, Any]  # one object as the API's JSON


class PatchOp(TypedDict):
    """One operation of a JSON patch (RFC 6902), as the API server takes it."""

    op: Literal["add", "remove", "replace", "test"]
    path: str
    value: NotRequired[Any]


JsonPatch = list[PatchOp]


class ObjectReference(TypedDict):
    kind: str
    apiVersion: str
    namespace: str
    name: str
    uid: str | None
    resourceVersion: str | None


class EventSource(TypedDict):
    component: str


class EventBody(TypedDict):
    """A core/v1 Event as `create_namespaced_event` sends it."""

    metadata: Json
    involvedObject: ObjectReference
    reason: str
    message: str
    type: Literal["Normal", "Warning"]
    source: EventSource
    reportingComponent: str
    firstTimestamp: str
    lastTimestamp: str
    count: int


class LeaseBody(TypedDict):
    """A coordination.k8s.io/v1 Lease as a create or replace sends it."""

    apiVersion: str
    kind: str
    metadata: Json
    spec: Json


class _RawResponse(Protocol):
    """What a call made with `_preload_content=False` returns (urllib3's HTTPResponse)."""

    @property
    def data(self) -> bytes: ...


class _CoreV1(Protocol):
    """The CoreV1Api calls made here, with the arguments and results they really have."""

    def read_namespaced_service(
        self, name: str, namespace: str, *, _preload_content: Literal[False]
    ) -> _RawResponse: ...

    def patch_namespaced_service(
        self, name: str, namespace: str, body: JsonPatch, *, _preload_content: Literal[False]
    ) -> _RawResponse: ...

    def patch_namespaced_service_status(
        self, name: str, namespace: str, body: JsonPatch, *, _preload_content: Literal[False]
    ) -> _RawResponse: ...

    def create_namespaced_event(self, namespace: str, body: EventBody) -> object: ...

    def list_node(self, *, _preload_content: Literal[False]) -> _RawResponse: ...


class _CoordinationV1(Protocol):
    """The CoordinationV1Api calls made here."""

    def read_namespaced_lease(
        self, name: str, namespace: str, *, _preload_content: Literal[False]
    ) -> _RawResponse: ...

    def create_namespaced_lease(
        self, namespace: str, body: Mapping[str, Any], *, _preload_content: Literal[False]
    ) -> _RawResponse: ...

    def replace_namespaced_lease(
        self, name: str, namespace: str, body: Mapping[str, Any], *, _preload_content: Literal[False]
    ) -> _RawResponse: ...


def _object(response: _RawResponse) -> Json:
    document: Json = json.loads(response.data)
    return document


class KubeJson:
    """One cluster's API, called on JSON; every failure is the client's ApiException, as before."""

    def __init__(self, api: client.ApiClient) -> None:
        self._core = cast(_CoreV1, client.CoreV1Api(api))
        self._leases = cast(_CoordinationV1, client.CoordinationV1Api(api))

    # ---- Services and Events -------------------------------------------------------------------
    def read_service(self, namespace: str, name: str) -> Json:
        return _object(self._core.read_namespaced_service(name, namespace, _preload_content=False))

    def patch_service(self, namespace: str, name: str, ops: JsonPatch, status: bool = False) -> Json:
        """Apply a JSON patch to the Service (or its status subresource); the Service as it is now."""
        call = self._core.patch_namespaced_service_status if status else self._core.patch_namespaced_service
        return _object(call(name, namespace, ops, _preload_content=False))

    def create_event(self, namespace: str, body: EventBody) -> None:
        self._core.create_namespaced_event(namespace, body)

    # ---- Nodes ---------------------------------------------------------------------------------
    def list_nodes(self) -> list[Json]:
        items: list[Json] = _object(self._core.list_node(_preload_content=False))["items"]
        return items

    # ---- Leases --------------------------------------------------------------------------------
    def read_lease(self, namespace: str, name: str) -> Json:
        return _object(self._leases.read_namespaced_lease(name, namespace, _preload_content=False))

    def create_lease(self, namespace: str, body: LeaseBody) -> None:
        self._leases.create_namespaced_lease(namespace, body, _preload_content=False)

    def replace_lease(self, namespace: str, name: str, body: LeaseBody | Json) -> None:
        self._leases.replace_namespaced_lease(name, namespace, body, _preload_content=False)
