"""What `octavia-lb plan` prints: one line per change (text) or one JSON document (`--output json`).

Text lines all start with `<namespace>/<name>: `, as `lint`'s do, so they can be grepped per Service:

    default/web: 1. create loadbalancer kube_service_kubernetes_default_web: provider amphora, …
    default/web: 2. update pool pool_0_kube_service_kubernetes_default_web: lb_algorithm A → B
    default/web: 2 changes in 2 writes

The JSON schema is documented in the README (section `octavia-lb plan`); `SCHEMA_VERSION` changes when it
changes incompatibly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TextIO

from octavia_lb.worker.preview.simulate import Change

SCHEMA_VERSION = 1
# verdicts
CHANGES, NO_CHANGES, DENIED, ERROR, UNMANAGED = "changes", "no-changes", "denied", "error", "unmanaged"


@dataclass
class ServicePlan:
    """The plan of one Service. `complete` is False when the list stops early (re-plan after applying it)."""

    service: str
    verdict: str = NO_CHANGES
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    load_balancer: dict[str, str] | None = None
    changes: list[Change] = field(default_factory=list)
    complete: bool = True

    def finish(self) -> ServicePlan:
        if self.verdict in (CHANGES, NO_CHANGES):
            self.verdict = CHANGES if self.changes else NO_CHANGES
        return self

    @property
    def failed(self) -> bool:
        return self.verdict in (DENIED, ERROR)

    def as_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "verdict": self.verdict,
            "message": self.message,
            "warnings": self.warnings,
            "notes": self.notes,
            "load_balancer": self.load_balancer,
            "complete": self.complete,
            "writes": len({c.step for c in self.changes}),
            "changes": [c.as_json() for c in self.changes],
        }


def write_json(plans: list[ServicePlan], mode: str, cluster: str, out: TextIO) -> None:
    document = {
        "schema": SCHEMA_VERSION,
        "mode": mode,
        "cluster": cluster,
        "services": [p.as_json() for p in plans],
        "summary": {
            "services": len(plans),
            "with_changes": sum(p.verdict == CHANGES for p in plans),
            "changes": sum(len(p.changes) for p in plans),
            "denied": sum(p.verdict == DENIED for p in plans),
            "errors": sum(p.verdict == ERROR for p in plans),
        },
    }
    json.dump(document, out, indent=2, sort_keys=False)
    out.write("\n")


def write_text(plans: list[ServicePlan], out: TextIO) -> None:
    for plan in plans:
        for line in text_lines(plan):
            print(f"{plan.service}: {line}", file=out)


def text_lines(plan: ServicePlan) -> list[str]:
    lines = [f"warning: {w}" for w in plan.warnings]
    if plan.verdict == DENIED:
        return [*lines, f"denied: {plan.message}"]
    lines += [f"note: {n}" for n in plan.notes]
    if plan.verdict == ERROR:
        return [*lines, f"error: {plan.message}"]
    if plan.verdict == UNMANAGED:
        return [*lines, f"no changes: {plan.message}"]
    lines += [change_line(c) for c in plan.changes]
    lb = plan.load_balancer or {}
    where = f" (load balancer {lb.get('id') or lb.get('name')})" if lb else ""
    if not plan.changes:
        lines.append(f"no changes{where}")
    else:
        writes = len({c.step for c in plan.changes})
        lines.append(f"{_count(len(plan.changes), 'change')} in {_count(writes, 'write')}{where}")
    if not plan.complete:
        lines.append("incomplete: run plan again once these are applied")
    return lines


def change_line(change: Change) -> str:
    head = f"{change.step}. {change.action} {change.kind} {change.name}"
    if change.action == "update" and change.kind == "members":
        return f"{head}: {_members_text(change.fields['members'])}"
    if change.action == "update":
        parts = [f"{k} {_v(d['old'])} → {_v(d['new'])}" for k, d in change.fields.items()]
    else:
        parts = [f"{k} {_v(v)}" for k, v in change.fields.items() if k != "name"]
    return f"{head}: {', '.join(parts)}" if parts else head


def _members_text(members: dict[str, list[str]]) -> str:
    old, new = members["old"], members["new"]
    added = [f"+{m}" for m in new if m not in old]
    removed = [f"-{m}" for m in old if m not in new]
    return f"{len(old)} → {len(new)} ({', '.join(added + removed) or 'same set'})"


def _v(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return value or '""'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_v(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_v(v)}" for k, v in value.items()) + "}"
    return str(value)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
