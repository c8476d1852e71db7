"""Floating-subnet selection specs: the name pattern (`floating-subnet`) and the tag list
(`floating-subnet-tags`).

Semantics follow OCCM's `loadbalancer_subnet_match.go`:
- pattern: a leading `!` negates; then a leading `~` makes the rest a regular expression, otherwise it is a
  glob (`*` = any run without `/`, `?` = one character, `[...]` classes, `{a,b}` alternatives). A name
  matches when the leftmost match covers the whole name.
- tags: a leading `!` negates, then a leading `&` means "all of" instead of "any of" (so `!&a,b` is valid
  and `&!a` is not); tags are separated by commas or blanks. Each of the four forms maps onto one Neutron
  list filter (`TagMode`).

Negated tag lists follow OCCM's documentation ("a preceding ! negates the condition"): `!a,b` selects subnets
with none of the tags, `!&a,b` those lacking at least one. OCCM's code sends `!&a,b` to Neutron as
`not-tags-any`, which already drops every subnet carrying any of the tags, so under OCCM `!&a,b` selects the
same subnets as `!a,b`. `negation_note` says this to the user at admission.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class SubnetSpecError(ValueError):
    """A floating-subnet pattern or tag list that cannot be used."""


@dataclass(frozen=True)
class NamePattern:
    """A parsed `floating-subnet` value."""

    text: str
    negate: bool
    regex: re.Pattern[str]

    def matches(self, name: str) -> bool:
        found = self.regex.search(name)
        hit = found is not None and found.group(0) == name
        return hit != self.negate


def parse_name_pattern(text: str) -> NamePattern:
    """Parse `[!][~]pattern`; raises `SubnetSpecError` for a regular expression that does not compile."""
    body = text[1:] if text.startswith("!") else text
    if body.startswith("~"):
        source = body[1:]
        try:
            regex = re.compile(source)
        except re.error as exc:
            raise SubnetSpecError(f"invalid subnet regexp pattern {source!r}: {exc}") from exc
    else:
        regex = re.compile(glob_to_regex(body))
    return NamePattern(text=text, negate=text.startswith("!"), regex=regex)


# Characters the glob translation escapes (outside braces also `,`).
_GLOB_ESCAPE = set("\\$^+.()=!|")


def glob_to_regex(glob: str) -> str:
    """Translate a glob to an anchored regular expression, the way godo/glob's Globexp does."""
    out = ["^"]
    depth = 0
    in_class = False
    for char in glob:
        if in_class:
            out.append(char)
            in_class = char != "]"
        elif char == "[":
            out.append(char)
            in_class = True
        elif char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append(".")
        elif char == "{":
            depth += 1
            out.append("(")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        elif char == "," and depth:
            out.append("|")
        elif char in _GLOB_ESCAPE or char in ",{}":
            out.append("\\" + char)
        else:
            out.append(char)
    if in_class or depth:
        # An unclosed class or brace would not compile; treat the whole pattern literally instead.
        return "^" + re.escape(glob) + "$"
    out.append("$")
    return "".join(out)


class TagMode(Enum):
    """How a tag list selects subnets, with the Neutron filter parameter that expresses it server-side."""

    ANY = "tags-any"
    ALL = "tags"
    # Neutron's `not-tags` drops subnets carrying *all* the tags, `not-tags-any` those carrying *any*.
    # OCCM's tweakListOpts swaps the two; we keep the server-side filter consistent with `matches`.
    NOT_ANY = "not-tags-any"
    NOT_ALL = "not-tags"


@dataclass(frozen=True)
class TagFilter:
    """A parsed `floating-subnet-tags` value."""

    mode: TagMode
    tags: tuple[str, ...]

    def neutron_filter(self) -> dict[str, str]:
        """Query parameters for `GET /v2.0/subnets` that select the same subnets."""
        return {self.mode.value: ",".join(self.tags)} if self.tags else {}

    def negation_note(self) -> str | None:
        """For a negated list: which subnets it selects here and how OCCM differs; None otherwise."""
        listed = ", ".join(self.tags)
        if self.mode is TagMode.NOT_ANY:
            return (f"selects floating subnets carrying none of the tags {listed} (Neutron not-tags-any); "
                    "OCCM selects the same ones")
        if self.mode is TagMode.NOT_ALL:
            return (f"selects floating subnets lacking at least one of the tags {listed} (Neutron not-tags), "
                    "as OCCM's documentation says; OCCM's code selects only subnets carrying none of them")
        return None

    def matches(self, subnet_tags: Iterable[str]) -> bool:
        """Client-side equivalent of the Neutron filter (empty list: any→False, all→True, !any→True,
        !all→False).
        """
        present = set(subnet_tags)
        hits = [tag in present for tag in self.tags]
        return {
            TagMode.ANY: any(hits),
            TagMode.ALL: all(hits),
            TagMode.NOT_ANY: not any(hits),
            TagMode.NOT_ALL: not all(hits),
        }[self.mode]


_SEPARATORS = re.compile(r"[,\s]+")


def parse_tag_filter(text: str) -> TagFilter:
    """Parse `[!][&]tag[,tag...]`; raises `SubnetSpecError` for a misplaced `!`/`&` or an empty list."""
    negate = text.startswith("!")
    body = text[1:] if negate else text
    every = body.startswith("&")
    body = body[1:] if every else body
    tags = tuple(tag for tag in _SEPARATORS.split(body.strip()) if tag)
    if not tags:
        raise SubnetSpecError(f"tag list {text!r} names no tags; write e.g. a,b or &a,b or !a or !&a,b")
    for tag in tags:
        if tag[0] in "!&":
            raise SubnetSpecError(
                f"tag list {text!r}: {tag[0]!r} is only allowed at the start, ! before & (e.g. !&a,b)"
            )
    mode = {
        (False, False): TagMode.ANY,
        (False, True): TagMode.ALL,
        (True, False): TagMode.NOT_ANY,
        (True, True): TagMode.NOT_ALL,
    }[(negate, every)]
    return TagFilter(mode=mode, tags=tags)
