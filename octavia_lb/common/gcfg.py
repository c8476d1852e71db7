"""A reader for the gcfg (git-config style) syntax that OCCM's cloud.conf uses.

It only tokenizes: it turns text into `Entry` records (section, subsection, key, value, line) and raises
`GcfgSyntaxError` with the line number for malformed lines. Meaning (which keys exist, their types) lives in
`config.py`. Rules followed: `[Name]` and `[Name "sub"]` headers, case-insensitive section and key names,
`key = value` with double-quoted parts and the escapes \\\\ \\" \\n \\t \\b, `;` / `#` comments (also after
a value, outside quotes), a trailing backslash continuing the value on the next line, and a bare `key`
meaning "no value".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SECTION = re.compile(r'^\[\s*([A-Za-z0-9.\-]+)\s*(?:"((?:[^"\\]|\\.)*)")?\s*\]\s*(?:[;#].*)?$')
_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9\-]*)\s*(=)?\s*")
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "t": "\t", "b": "\b"}
# Keys whose values are credentials: a syntax error names the key and the line, never the raw text.
SECRET_KEYS = frozenset({"password", "application-credential-secret"})


def _shown(key: str, text: str) -> str:
    return "<hidden>" if key.lower() in SECRET_KEYS else repr(text)


class GcfgSyntaxError(ValueError):
    """A line that is not a section header, a `key = value` pair, a comment or blank."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Entry:
    """One `key = value` line; `value` is None for a bare `key` (gcfg's "blank" value, true for booleans)."""

    section: str  # lower-cased
    subsection: str | None  # case kept, as gcfg does
    key: str  # lower-cased
    value: str | None
    line: int


def read_entries(text: str) -> list[Entry]:
    """Tokenize gcfg text into entries, in file order."""
    entries: list[Entry] = []
    section: tuple[str, str | None] | None = None
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        number = index + 1
        line = lines[index].strip()
        index += 1
        if not line or line[0] in ";#":
            continue
        if line.startswith("["):
            section = _section_header(line, number)
            continue
        match = _KEY.match(line)
        if match is None:
            raise GcfgSyntaxError(number, f"expected `key = value`, got {line!r}")
        if section is None:
            raise GcfgSyntaxError(number, f"key {match.group(1)!r} appears before any [Section] header")
        rest = line[match.end():]
        while rest.endswith("\\") and not rest.endswith("\\\\") and index < len(lines):
            rest = rest[:-1] + lines[index].strip()
            index += 1
        if match.group(2) is None:
            if rest and rest[0] not in ";#":
                shown = _shown(match.group(1), rest)
                raise GcfgSyntaxError(number, f"expected `=` after key {match.group(1)!r}, got {shown}")
            value = None
        else:
            value = _value(rest, number, match.group(1))
        entries.append(Entry(section[0], section[1], match.group(1).lower(), value, number))
    return entries


def _section_header(line: str, number: int) -> tuple[str, str | None]:
    match = _SECTION.match(line)
    if match is None:
        raise GcfgSyntaxError(number, f'malformed section header {line!r}; expected [Name] or [Name "sub"]')
    sub = match.group(2)
    return match.group(1).lower(), None if sub is None else _unescape(sub, number)


def _unescape(text: str, number: int) -> str:
    out: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            if escaped not in _ESCAPES:
                raise GcfgSyntaxError(number, f"invalid escape \\{escaped} in {text!r}")
            out.append(_ESCAPES[escaped])
        else:
            out.append(char)
    return "".join(out)


def _value(text: str, number: int, key: str) -> str:
    """Decode a value: quotes toggle, escapes apply, comments end it, unquoted outer blanks are trimmed."""
    out: list[str] = []
    quoted = False
    kept_until = 0  # length of `out` that must survive trailing-blank trimming (quoted text)
    pos = 0
    while pos < len(text):
        char = text[pos]
        pos += 1
        if char == '"':
            quoted = not quoted
            kept_until = len(out)
        elif char == "\\":
            escaped = text[pos : pos + 1]
            pos += 1
            if escaped not in _ESCAPES:
                raise GcfgSyntaxError(number, f"invalid escape in the value of {key!r}: {_shown(key, text)}")
            out.append(_ESCAPES[escaped])
            kept_until = len(out)
        elif char in ";#" and not quoted:
            break
        else:
            out.append(char)
            if quoted:
                kept_until = len(out)
    if quoted:
        raise GcfgSyntaxError(number, f"unterminated quote in the value of {key!r}: {_shown(key, text)}")
    value = "".join(out)
    head, tail = value[:kept_until], value[kept_until:]
    return head + tail.rstrip()
