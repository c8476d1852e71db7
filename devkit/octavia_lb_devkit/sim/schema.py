"""Request body validation from declarative field lists, with each service's error wording.

Octavia (WSME) says `Invalid input for field/attribute <f>. Value: '<v>'. <reason>`; Neutron says
`Invalid input for <f>. Reason: <reason>`. Fields newer than the configured API version are unknown,
the way an older cloud would treat them.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from octavia_lb_devkit.sim.errors import ApiError
from octavia_lb_devkit.sim.octavia.versions import ApiVersion

_MISSING = object()


class Kind(Enum):
    STR = "str"
    INT = "int"
    BOOL = "bool"
    UUID = "uuid"
    ENUM = "enum"
    STR_LIST = "str_list"
    STR_DICT = "str_dict"
    IP = "ip"
    CIDR = "cidr"
    CIDR_LIST = "cidr_list"
    ANY = "any"


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind = Kind.STR
    required: bool = False
    default: Any = _MISSING
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    since: str | None = None
    create: bool = True
    update: bool = True
    nullable: bool = True
    max_len: int = 255


class Wording(Enum):
    OCTAVIA = "octavia"
    NEUTRON = "neutron"


def invalid(wording: Wording, field: str, value: Any, reason: str) -> ApiError:
    if wording is Wording.NEUTRON:
        return ApiError(400, f"Invalid input for {field}. Reason: {reason}", "InvalidInput")
    return ApiError(400, f"Invalid input for field/attribute {field}. Value: '{value}'. {reason}")


def unknown(wording: Wording, wrapper: str, names: Sequence[str]) -> ApiError:
    listed = ", ".join(sorted(names))
    if wording is Wording.NEUTRON:
        return ApiError(400, f"Unrecognized attribute(s) '{listed}'", "HTTPBadRequest")
    return ApiError(
        400,
        f"Invalid input for field/attribute {wrapper}. Value: '{listed}'. "
        f"Unknown attribute for argument {wrapper}: {listed}",
    )


def unwrap(body: Any, wrapper: str, wording: Wording) -> dict[str, Any]:
    """The object inside `{"<wrapper>": {...}}`, or a 400 naming what was wrong."""
    if not isinstance(body, dict) or not isinstance(body.get(wrapper), dict):
        if wording is Wording.NEUTRON:
            raise ApiError(
                400, f"Resource body required: expected a JSON object with key '{wrapper}'", "HTTPBadRequest"
            )
        raise ApiError(
            400, f"Invalid input for field/attribute {wrapper}. Value: '{body}'. Mandatory field missing."
        )
    return body[wrapper]


def validate(
    obj: dict[str, Any],
    fields: Sequence[Field],
    *,
    wrapper: str,
    wording: Wording,
    version: ApiVersion | None = None,
    update: bool = False,
) -> dict[str, Any]:
    """Checked and converted values of `obj`; on create, defaults are filled for absent fields."""
    allowed = {
        f.name: f
        for f in fields
        if (f.update if update else f.create)
        and (version is None or f.since is None or version.supports(f.since))
    }
    extra = [name for name in obj if name not in allowed]
    if extra:
        raise unknown(wording, wrapper, extra)
    result: dict[str, Any] = {}
    for field in allowed.values():
        if field.name in obj:
            result[field.name] = check(field, obj[field.name], wording)
        elif not update and field.required:
            raise invalid(wording, field.name, None, "Mandatory field missing.")
        elif not update and field.default is not _MISSING:
            default = field.default
            result[field.name] = default() if callable(default) else default
    return result


def check(field: Field, value: Any, wording: Wording) -> Any:
    if value is None:
        if field.required or not field.nullable:
            raise invalid(
                wording,
                field.name,
                value,
                "Mandatory field missing." if field.required else "Value may not be null.",
            )
        return None
    return _CHECKERS[field.kind](field, value, wording)


def _str(field: Field, value: Any, wording: Wording) -> str:
    if not isinstance(value, str):
        raise invalid(wording, field.name, value, "Value should be string.")
    if len(value) > field.max_len:
        raise invalid(
            wording,
            field.name,
            value,
            f"Value should have a maximum character requirement of {field.max_len}",
        )
    return value


def _int(field: Field, value: Any, wording: Wording) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)
        else:
            raise invalid(wording, field.name, value, "Value should be integer.")
    if field.choices and str(value) not in field.choices:
        raise invalid(wording, field.name, value, f"{value} is not in [{', '.join(field.choices)}].")
    if field.minimum is not None and value < field.minimum:
        raise invalid(wording, field.name, value, f"Value should be greater or equal to {field.minimum}")
    if field.maximum is not None and value > field.maximum:
        raise invalid(wording, field.name, value, f"Value should be lower or equal to {field.maximum}")
    return value


def _bool(field: Field, value: Any, wording: Wording) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise invalid(wording, field.name, value, "Value should be boolean.")


def _uuid(field: Field, value: Any, wording: Wording) -> str:
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return str(uuid.UUID(value))
    except ValueError:
        reason = (
            f"'{value}' is not a valid UUID" if wording is Wording.NEUTRON else "Value should be UUID format"
        )
        raise invalid(wording, field.name, value, reason) from None


def _enum(field: Field, value: Any, wording: Wording) -> str:
    if value not in field.choices:
        raise invalid(wording, field.name, value, f"Value should be one of: {', '.join(field.choices)}")
    return value


def _str_list(field: Field, value: Any, wording: Wording) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(wording, field.name, value, "Value should be a list of strings.")
    too_long = [v for v in value if len(v) > field.max_len]
    if too_long:
        raise invalid(
            wording,
            field.name,
            too_long[0],
            f"Value should have a maximum character requirement of {field.max_len}",
        )
    return list(value)


def _str_dict(field: Field, value: Any, wording: Wording) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise invalid(wording, field.name, value, "Value should be a dictionary of strings.")
    return dict(value)


def _ip(field: Field, value: Any, wording: Wording) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise invalid(wording, field.name, value, "Value should be IPv4 or IPv6 format") from None


def _cidr(field: Field, value: Any, wording: Wording) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except (ValueError, TypeError):
        raise invalid(wording, field.name, value, "Value should be a valid CIDR.") from None


def _cidr_list(field: Field, value: Any, wording: Wording) -> list[str]:
    if not isinstance(value, list):
        raise invalid(wording, field.name, value, "Value should be a list of CIDRs.")
    normalised = [_cidr(field, item, wording) for item in value]
    return list(dict.fromkeys(normalised))


_CHECKERS: dict[Kind, Callable[[Field, Any, Wording], Any]] = {
    Kind.STR: _str,
    Kind.INT: _int,
    Kind.BOOL: _bool,
    Kind.UUID: _uuid,
    Kind.ENUM: _enum,
    Kind.STR_LIST: _str_list,
    Kind.STR_DICT: _str_dict,
    Kind.IP: _ip,
    Kind.CIDR: _cidr,
    Kind.CIDR_LIST: _cidr_list,
    Kind.ANY: lambda field, value, wording: value,
}


def check_uuid(name: str, value: str, wording: Wording) -> str:
    return _uuid(Field(name, Kind.UUID), value, wording)
