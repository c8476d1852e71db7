"""A bounded memo whose entries hold for one CloudConfig object: results that depend only on cloud.conf and
a few fields of a Service, which most Services of a cluster share (one chart, many releases; the old and new
object of an UPDATE). A new config object (a reload, another test) starts afresh; the oldest entries go.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from octavia_lb.common.config import CloudConfig

V = TypeVar("V")

CONFIGS_KEPT = 8


class ConfigMemo(Generic[V]):
    def __init__(self, entries: int) -> None:
        self.entries = entries
        # id(config) -> (config, entries): holding the config keeps its id from being reused while we hold it
        self._held: dict[int, tuple[CloudConfig, dict[Hashable, V]]] = {}

    def get(self, config: CloudConfig, key: Hashable, compute: Callable[[], V]) -> V:
        held = self._held.get(id(config))
        if held is None or held[0] is not config:
            held = self._held[id(config)] = (config, {})
            if len(self._held) > CONFIGS_KEPT:
                self._held.pop(next(iter(self._held)))
        entries = held[1]
        found = entries.get(key)
        if found is None:
            found = entries[key] = compute()
            if len(entries) > self.entries:
                entries.pop(next(iter(entries)))
        return found

    def clear(self) -> None:
        self._held.clear()
