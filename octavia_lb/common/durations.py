"""Go-style durations (`time.ParseDuration`), as cloud.conf's `monitor-delay` and `request-timeout` use them.

OCCM reads `monitor-delay = 5s` with Go's parser and then keeps `int(d.Seconds())`, so `1500ms` becomes 1
and a bare `5` is a configuration error. This module reproduces exactly that, without Go.
"""

from __future__ import annotations

import re

# Units Go accepts, in nanoseconds. Both micro signs are accepted by Go.
_UNITS: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,
    "\u03bcs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_PART = re.compile(r"(\d*)(?:\.(\d*))?([a-z\u00b5\u03bc]+)")
_MAX_NS = 2**63 - 1
_UNIT_NAMES = "ns, us, ms, s, m or h"


class DurationError(ValueError):
    """A string that Go's `time.ParseDuration` would reject."""


def parse_duration_ns(text: str) -> int:
    """Parse a Go duration such as `1h30m`, `1.5s` or `-300ms` into integer nanoseconds."""
    raw = text
    sign = 1
    if text and text[0] in "+-":
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        raise DurationError(f"invalid duration {raw!r}: empty")
    total = 0
    pos = 0
    while pos < len(text):
        match = _PART.match(text, pos)
        if match is None or (not match.group(1) and not match.group(2)):
            raise DurationError(f"invalid duration {raw!r}: expected a number and a unit ({_UNIT_NAMES})")
        whole, frac, unit = match.groups()
        if unit not in _UNITS:
            raise DurationError(f"invalid duration {raw!r}: unknown unit {unit!r} (use {_UNIT_NAMES})")
        scale = _UNITS[unit]
        total += int(whole or "0") * scale
        if frac:
            total += int(frac) * scale // 10 ** len(frac)
        pos = match.end()
    if total > _MAX_NS:
        raise DurationError(f"invalid duration {raw!r}: overflows")
    return sign * total


def parse_duration_seconds(text: str) -> int:
    """Parse a Go duration and truncate it toward zero to whole seconds, like Go's `int(d.Seconds())`."""
    ns = parse_duration_ns(text)
    seconds = abs(ns) // 1_000_000_000
    return seconds if ns >= 0 else -seconds


def format_seconds(seconds: int) -> str:
    """Render whole seconds as Go prints a duration (`5s`, `1m0s`, `1h0m30s`)."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    rest = abs(seconds)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{sign}{minutes}m{secs}s"
    return f"{sign}{secs}s"
