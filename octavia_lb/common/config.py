"""cloud.conf: OCCM's configuration file, read into frozen dataclasses with OCCM's defaults.

Sections: `[Global]` (OpenStack credentials), `[LoadBalancer]`, `[LoadBalancerClass "name"]` and
`[Metadata]` (`request-timeout`). Syntax comes from `gcfg.py`; this module gives keys their types and
defaults. Type errors are fatal (`CloudConfigError`, naming file, line, section, key and value), as they are
for OCCM; unknown keys and dubious values are kept as `CloudConfig.warnings` so that a user's existing file
keeps working.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from octavia_lb.common.config_checks import semantic_warnings
from octavia_lb.common.config_model import CloudConfig, GlobalOpts, LoadBalancerClass, LoadBalancerOpts
from octavia_lb.common.durations import DurationError, parse_duration_seconds
from octavia_lb.common.gcfg import Entry, GcfgSyntaxError, read_entries

# the dataclasses live in config_model (config_checks reads them too); importers keep this one path
__all__ = [
    "CloudConfig",
    "CloudConfigError",
    "GlobalOpts",
    "LoadBalancerClass",
    "LoadBalancerOpts",
    "load_cloud_config",
    "parse_cloud_config",
]

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_INT = re.compile(r"^[+-]?\d+$")
# Sections OCCM knows but this project does not use: accepted silently.
_IGNORED_SECTIONS = frozenset({"blockstorage", "route", "networking"})


class CloudConfigError(ValueError):
    """A cloud.conf value or line that cannot be read; the message names file, line, section, key and value.
    """

    def __init__(self, source: str, line: int, section: str, key: str | None, value: str | None, reason: str):
        where = f"{source}:{line}: [{section}]"
        what = "" if key is None else f" {key}" + ("" if value is None else f" = {value!r}")
        super().__init__(f"{where}{what}: {reason}")
        self.source, self.line, self.section, self.key, self.value = source, line, section, key, value


# Key name → (dataclass attribute, value kind). Kinds: str, bool, int, uint, duration.
_GLOBAL_KEYS: dict[str, tuple[str, str]] = {
    "auth-url": ("auth_url", "str"),
    "username": ("username", "str"),
    "user-id": ("user_id", "str"),
    "password": ("password", "str"),
    "tenant-id": ("tenant_id", "str"),
    "project-id": ("tenant_id", "str"),
    "tenant-name": ("tenant_name", "str"),
    "project-name": ("tenant_name", "str"),
    "trust-id": ("trust_id", "str"),
    "domain-id": ("domain_id", "str"),
    "domain-name": ("domain_name", "str"),
    "user-domain-id": ("user_domain_id", "str"),
    "user-domain-name": ("user_domain_name", "str"),
    "tenant-domain-id": ("tenant_domain_id", "str"),
    "project-domain-id": ("tenant_domain_id", "str"),
    "tenant-domain-name": ("tenant_domain_name", "str"),
    "project-domain-name": ("tenant_domain_name", "str"),
    "region": ("region", "str"),
    "application-credential-id": ("application_credential_id", "str"),
    "application-credential-name": ("application_credential_name", "str"),
    "application-credential-secret": ("application_credential_secret", "str"),
    "ca-file": ("ca_file", "str"),
    "cert-file": ("cert_file", "str"),
    "key-file": ("key_file", "str"),
    "tls-insecure": ("tls_insecure", "bool"),
    "use-clouds": ("use_clouds", "bool"),
    "clouds-file": ("clouds_file", "str"),
    "cloud": ("cloud", "str"),
}
_LB_KINDS = {"monitor-delay": "duration", "monitor-timeout": "duration", "monitor-max-retries": "uint",
             "monitor-max-retries-down": "uint", "max-shared-lb": "int"}
_LB_KEYS: dict[str, tuple[str, str]] = {
    name: (f.name, _LB_KINDS.get(name, "bool" if f.type == "bool" else "str"))
    for f in dataclasses.fields(LoadBalancerOpts)
    for name in [f.name.replace("_", "-")]
}
_CLASS_KEYS: dict[str, tuple[str, str]] = {
    f.name.replace("_", "-"): (f.name, "str")
    for f in dataclasses.fields(LoadBalancerClass)
    if f.name != "name"
}
_METADATA_KEYS: dict[str, tuple[str, str]] = {"request-timeout": ("request_timeout_seconds", "duration")}
# Keys OCCM still accepts but ignores (deprecated); no warning beyond "ignored".
_DEPRECATED_LB_KEYS = frozenset({"use-octavia", "monitor-max-retries-down-deprecated"})


def load_cloud_config(path: str | Path) -> CloudConfig:
    """Read and parse a cloud.conf file; unreadable files raise `CloudConfigError` too."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CloudConfigError(source, 0, "-", None, None, f"cannot read file: {exc}") from exc
    return parse_cloud_config(text, source)


def parse_cloud_config(text: str, source: str = "cloud.conf") -> CloudConfig:
    """Parse cloud.conf text. Raises `CloudConfigError` on syntax or type errors."""
    try:
        entries = read_entries(text)
    except GcfgSyntaxError as exc:
        raise CloudConfigError(source, exc.line, "-", None, None, exc.reason) from exc
    values: dict[str, dict[str, Any]] = {"global": {}, "loadbalancer": {}, "metadata": {}}
    classes: dict[str, dict[str, Any]] = {}
    warnings: list[str] = []
    for entry in entries:
        target, keys = _route(entry, values, classes, warnings, source)
        if target is None:
            continue
        if entry.key not in keys:
            if not (entry.section == "loadbalancer" and entry.key in _DEPRECATED_LB_KEYS):
                warnings.append(f"{source}:{entry.line}: [{_title(entry)}] unknown key {entry.key!r} ignored")
            continue
        attr, kind = keys[entry.key]
        target[attr] = _convert(entry, kind, source)
    lb = LoadBalancerOpts(**values["loadbalancer"])
    config = CloudConfig(
        global_opts=GlobalOpts(**values["global"]),
        load_balancer=lb,
        classes=MappingProxyType({name: LoadBalancerClass(name=name, **kv) for name, kv in classes.items()}),
        request_timeout_seconds=values["metadata"].get("request_timeout_seconds", 60),
        source=source,
    )
    return dataclasses.replace(config, warnings=tuple(warnings + semantic_warnings(config)))


def _route(
    entry: Entry,
    values: dict[str, dict[str, Any]],
    classes: dict[str, dict[str, Any]],
    warnings: list[str],
    source: str,
) -> tuple[dict[str, Any] | None, Mapping[str, tuple[str, str]]]:
    """Pick the dict an entry's value goes to and the keys that section accepts."""
    if entry.section == "loadbalancerclass":
        if not entry.subsection:
            raise CloudConfigError(source, entry.line, "LoadBalancerClass", entry.key, entry.value,
                                   'a class section needs a name: [LoadBalancerClass "name"]')
        return classes.setdefault(entry.subsection, {}), _CLASS_KEYS
    tables = {"global": _GLOBAL_KEYS, "loadbalancer": _LB_KEYS, "metadata": _METADATA_KEYS}
    if entry.section in tables and entry.subsection is None:
        return values[entry.section], tables[entry.section]
    if entry.section not in _IGNORED_SECTIONS:
        warnings.append(f"{source}:{entry.line}: unknown section [{_title(entry)}] ignored")
    return None, {}


def _title(entry: Entry) -> str:
    names = {"global": "Global", "loadbalancer": "LoadBalancer", "loadbalancerclass": "LoadBalancerClass",
             "metadata": "Metadata"}
    name = names.get(entry.section, entry.section)
    return name if entry.subsection is None else f'{name} "{entry.subsection}"'


def _convert(entry: Entry, kind: str, source: str) -> Any:
    def fail(reason: str) -> CloudConfigError:
        return CloudConfigError(source, entry.line, _title(entry), entry.key, entry.value, reason)

    if entry.value is None:
        if kind == "bool":
            return True  # gcfg: a bare boolean key means true
        raise fail("a value is required (`key = value`)")
    converters: dict[str, Callable[[str], Any]] = {
        "str": lambda v: v,
        "bool": lambda v: _bool(v, fail),
        "int": lambda v: _int(v, fail, minimum=None),
        "uint": lambda v: _int(v, fail, minimum=0),
        "duration": lambda v: _duration(v, fail),
    }
    return converters[kind](entry.value)


def _bool(value: str, fail: Callable[[str], CloudConfigError]) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise fail("not a boolean; use true/yes/on/1 or false/no/off/0")


def _int(value: str, fail: Callable[[str], CloudConfigError], minimum: int | None) -> int:
    text = value.strip()
    if not _INT.match(text):
        raise fail("not an integer")
    number = int(text)
    if minimum is not None and number < minimum:
        raise fail(f"must be {minimum} or more")
    return number


def _duration(value: str, fail: Callable[[str], CloudConfigError]) -> int:
    try:
        return parse_duration_seconds(value.strip())
    except DurationError as exc:
        raise fail(f"{exc}; write a Go duration such as 5s, 1m30s or 500ms") from exc
