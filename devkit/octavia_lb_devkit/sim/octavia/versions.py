"""Octavia API versions: the root version document and the feature gates of an older cloud."""

from __future__ import annotations

from dataclasses import dataclass

LATEST_MINOR = 30
_UPDATED = "2016-12-11T00:00:00Z"


@dataclass(frozen=True, order=True)
class ApiVersion:
    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> ApiVersion:
        raw = text.strip().lstrip("v")
        major, _, minor = raw.partition(".")
        if not (major.isdigit() and minor.isdigit()):
            raise ValueError(f"max-api-version: {text!r} is not a version like 2.11")
        version = cls(int(major), int(minor))
        if version.major != 2 or not 0 <= version.minor <= LATEST_MINOR:
            raise ValueError(f"max-api-version: {text!r} must be between 2.0 and 2.{LATEST_MINOR}")
        return version

    def supports(self, since: str) -> bool:
        return self >= ApiVersion.parse(since)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


LATEST = ApiVersion(2, LATEST_MINOR)


def version_document(root_url: str, maximum: ApiVersion) -> dict[str, object]:
    """`GET /load-balancer/`: one entry per version up to `maximum`, the last one CURRENT."""
    entries = []
    for minor in range(maximum.minor + 1):
        status = "CURRENT" if minor == maximum.minor else "SUPPORTED"
        entries.append(
            {
                "id": f"v2.{minor}",
                "status": status,
                "updated": _UPDATED,
                "links": [{"href": f"{root_url}/v2", "rel": "self"}],
            }
        )
    return {"versions": entries}
