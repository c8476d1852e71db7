"""Checks that the Service fields the rules read have the JSON types Kubernetes guarantees.

The apiserver only sends well-typed Services, so a type error here means the caller is not an apiserver;
it gets an HTTP 400 naming the field and value instead of the rules tripping over it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson


def _show(value: Any) -> str:
    try:
        text = orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        # orjson reads 1024 levels of nesting but writes fewer: describe such a value instead of raising
        return f"a {type(value).__name__} nested too deeply to show"
    return text if len(text) <= 60 else text[:57] + "..."


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_port_ref(value: Any) -> bool:
    return _is_str(value) or _is_int(value)


def _str_map(value: Any, path: str) -> str | None:
    if not isinstance(value, dict):
        return f"{path} must be an object of strings, got {_show(value)}"
    for key, item in value.items():
        if not isinstance(item, str):
            return f"{path}[{_show(key)}] must be a string, got {_show(item)}"
    return None


def _list_of(value: Any, path: str, ok: Callable[[Any], bool], what: str) -> str | None:
    if not isinstance(value, list):
        return f"{path} must be an array, got {_show(value)}"
    for index, item in enumerate(value):
        if not ok(item):
            return f"{path}[{index}] must be {what}, got {_show(item)}"
    return None


_METADATA_STRINGS = ("name", "namespace", "uid", "generateName", "resourceVersion", "deletionTimestamp")
_SPEC_STRINGS = ("type", "loadBalancerClass", "externalTrafficPolicy", "loadBalancerIP", "ipFamilyPolicy")
_PORT_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "name": (_is_str, "a string"),
    "protocol": (_is_str, "a string"),
    "port": (_is_int, "an integer"),
    "nodePort": (_is_int, "an integer"),
    "targetPort": (_is_port_ref, "an integer or a string"),
}


def _check_metadata(metadata: Any) -> str | None:
    if not isinstance(metadata, dict):
        return f"metadata must be an object, got {_show(metadata)}"
    for key in _METADATA_STRINGS:
        if metadata.get(key) is not None and not isinstance(metadata[key], str):
            return f"metadata.{key} must be a string, got {_show(metadata[key])}"
    for key in ("annotations", "labels"):
        if metadata.get(key) is not None and (problem := _str_map(metadata[key], f"metadata.{key}")):
            return problem
    if metadata.get("finalizers") is not None:
        return _list_of(metadata["finalizers"], "metadata.finalizers", _is_str, "a string")
    return None


def _check_ports(ports: Any) -> str | None:
    if problem := _list_of(ports, "spec.ports", lambda p: isinstance(p, dict), "an object"):
        return problem
    for index, port in enumerate(ports):
        for key, (ok, what) in _PORT_FIELDS.items():
            if port.get(key) is not None and not ok(port[key]):
                return f"spec.ports[{index}].{key} must be {what}, got {_show(port[key])}"
    return None


def _check_spec(spec: Any) -> str | None:
    if not isinstance(spec, dict):
        return f"spec must be an object, got {_show(spec)}"
    for key in _SPEC_STRINGS:
        if spec.get(key) is not None and not isinstance(spec[key], str):
            return f"spec.{key} must be a string, got {_show(spec[key])}"
    for key in ("ipFamilies", "loadBalancerSourceRanges", "externalIPs"):
        if spec.get(key) is not None and (problem := _list_of(spec[key], f"spec.{key}", _is_str, "a string")):
            return problem
    if spec.get("selector") is not None and (problem := _str_map(spec["selector"], "spec.selector")):
        return problem
    if spec.get("healthCheckNodePort") is not None and not _is_int(spec["healthCheckNodePort"]):
        return f"spec.healthCheckNodePort must be an integer, got {_show(spec['healthCheckNodePort'])}"
    if spec.get("ports") is not None:
        return _check_ports(spec["ports"])
    return None


def check_fields_the_view_skips(service: dict[str, Any]) -> str | None:
    """`check_service_shape` for the fields `ServiceView.well_typed` does not read, so that a Service whose
    well-typed view was built needs only these checked (the hot path: one pass over the rest, not two)."""
    metadata, spec = service.get("metadata") or {}, service.get("spec") or {}
    if metadata.get("resourceVersion") is not None and not isinstance(metadata["resourceVersion"], str):
        return f"metadata.resourceVersion must be a string, got {_show(metadata['resourceVersion'])}"
    if metadata.get("labels") is not None and (problem := _str_map(metadata["labels"], "metadata.labels")):
        return problem
    if spec.get("ipFamilyPolicy") is not None and not isinstance(spec["ipFamilyPolicy"], str):
        return f"spec.ipFamilyPolicy must be a string, got {_show(spec['ipFamilyPolicy'])}"
    if spec.get("externalIPs") is not None and (
        problem := _list_of(spec["externalIPs"], "spec.externalIPs", _is_str, "a string")
    ):
        return problem
    if spec.get("selector") is not None and (problem := _str_map(spec["selector"], "spec.selector")):
        return problem
    for index, port in enumerate(spec.get("ports") or ()):
        target = port.get("targetPort")
        if target is not None and not _is_port_ref(target):
            return f"spec.ports[{index}].targetPort must be an integer or a string, got {_show(target)}"
    return None


def check_service_shape(service: dict[str, Any]) -> str | None:
    """The first field with a wrong JSON type, as `<path> must be <type>, got <value>`, or None."""
    if service.get("metadata") is not None and (problem := _check_metadata(service["metadata"])):
        return problem
    if service.get("spec") is not None:
        return _check_spec(service["spec"])
    return None
