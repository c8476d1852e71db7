"""Timing profiles: how long each kind of asynchronous work takes, drawn from a seeded generator.

`fast` keeps every transition sub-second for test suites; `realistic` follows the delays measured on real
amphora clouds (build ≈ 60 s, child operations 3–8 s, deletes ≈ 10 s; see reference/octavia-api.md §5).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from octavia_lb_devkit.sim.octavia.states import Operation

Range = tuple[float, float]

PROFILES: dict[str, dict[Operation, Range]] = {
    "fast": {
        Operation.LB_CREATE: (0.2, 0.4),
        Operation.LB_UPDATE: (0.1, 0.2),
        Operation.LB_DELETE: (0.1, 0.2),
        Operation.LB_FAILOVER: (0.2, 0.4),
        Operation.CHILD_CREATE: (0.1, 0.2),
        Operation.CHILD_UPDATE: (0.1, 0.2),
        Operation.CHILD_DELETE: (0.1, 0.2),
        Operation.FIP_ACTIVE: (0.05, 0.1),
        Operation.API_LATENCY: (0.0, 0.0),
    },
    "realistic": {
        Operation.LB_CREATE: (45.0, 90.0),
        Operation.LB_UPDATE: (3.0, 8.0),
        Operation.LB_DELETE: (5.0, 15.0),
        Operation.LB_FAILOVER: (30.0, 60.0),
        Operation.CHILD_CREATE: (3.0, 8.0),
        Operation.CHILD_UPDATE: (3.0, 8.0),
        Operation.CHILD_DELETE: (3.0, 8.0),
        Operation.FIP_ACTIVE: (1.0, 3.0),
        Operation.API_LATENCY: (0.02, 0.2),
    },
}


@dataclass(frozen=True)
class Timing:
    """A profile name plus per-operation overrides (`{"lb_create": 2}` or `{"lb_create": [1, 3]}`)."""

    profile: str = "fast"
    overrides: Mapping[Operation, Range] | None = None

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile: {self.profile!r} is not one of {sorted(PROFILES)}")

    def range_for(self, op: Operation) -> Range:
        if self.overrides and op in self.overrides:
            return self.overrides[op]
        return PROFILES[self.profile][op]

    def draw(self, op: Operation, rng: random.Random) -> float:
        low, high = self.range_for(op)
        return low if high <= low else rng.uniform(low, high)

    def with_overrides(self, raw: Mapping[str, object]) -> Timing:
        merged = dict(self.overrides or {})
        merged.update(parse_overrides(raw))
        return Timing(self.profile, merged)


def parse_overrides(raw: Mapping[str, object]) -> dict[Operation, Range]:
    """Parse `{"lb_create": 2}` / `{"lb_create": [1, 3]}`; errors name the key and the value."""
    parsed: dict[Operation, Range] = {}
    names = {op.value: op for op in Operation}
    for key, value in raw.items():
        if key not in names:
            raise ValueError(f"delays: unknown operation {key!r}; expected one of {sorted(names)}")
        parsed[names[key]] = _parse_range(key, value)
    return parsed


def _parse_range(key: str, value: object) -> Range:
    if isinstance(value, bool):
        raise ValueError(f"delays.{key}: {value!r} is not a number of seconds")
    if isinstance(value, int | float):
        low = high = float(value)
    elif (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        low, high = float(value[0]), float(value[1])
    else:
        raise ValueError(f"delays.{key}: {value!r} must be seconds or [min, max] seconds")
    if low < 0 or high < low:
        raise ValueError(f"delays.{key}: {value!r} must satisfy 0 <= min <= max")
    return (low, high)
