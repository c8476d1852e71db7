"""Renders the kustomizations in manifests/ with the real `kubectl kustomize` and indexes the result.

Also holds the static-TLS commands of manifests/README.md, which the tests run as documented.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = REPO / "manifests"
README = MANIFESTS / "README.md"
KUBECTL = "/usr/bin/kubectl"
NAMESPACE = "octavia-lb"
TLS_SECRET = "octavia-lb-webhook-tls"
# Every kustomization a user may deploy (static-tls needs certificates first; see `static_tls_tree`).
OVERLAYS = ("base", "overlays/cert-manager", "overlays/static-tls", "overlays/redis-in-cluster",
            "overlays/example-combined", "overlays/ha-redis")
STATIC_TLS_MARKER = "<!-- static-tls-commands -->"


class RenderError(AssertionError):
    """kubectl kustomize failed; the message carries its stderr."""


@dataclass(frozen=True)
class Rendering:
    """The objects one kustomization renders to."""

    name: str
    objects: tuple[dict[str, Any], ...]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [obj for obj in self.objects if obj["kind"] == kind]

    def one(self, kind: str, name: str) -> dict[str, Any]:
        found = [obj for obj in self.of_kind(kind) if obj["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.name}: expected one {kind}/{name}, found {len(found)}"
        return found[0]

    def names(self, kind: str) -> set[str]:
        return {obj["metadata"]["name"] for obj in self.of_kind(kind)}

    def generated(self, kind: str, prefix: str) -> dict[str, Any]:
        """The object kustomize generated from `prefix` (its name may carry a content-hash suffix)."""
        pattern = re.compile(rf"{re.escape(prefix)}(-[a-z0-9]{{10}})?")
        found = [o for o in self.of_kind(kind) if pattern.fullmatch(o["metadata"]["name"])]
        assert len(found) == 1, f"{self.name}: expected one generated {kind} {prefix}, found {len(found)}"
        return found[0]

    def pod_specs(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for deployment in self.of_kind("Deployment"):
            yield deployment["metadata"]["name"], deployment["spec"]["template"]["spec"]


def kubectl_binary() -> str:
    found = KUBECTL if Path(KUBECTL).is_file() else shutil.which("kubectl")
    if found is None:
        raise AssertionError(f"kubectl not found at {KUBECTL} or on PATH (kubectl >= 1.27 has kustomize v5)")
    return found


def render(directory: Path, name: str) -> Rendering:
    argv = [kubectl_binary(), "kustomize", str(directory)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise RenderError(f"kubectl kustomize {directory} exited {done.returncode}:\n{done.stderr}")
    objects = tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)
    return Rendering(name, objects)


def static_tls_commands() -> str:
    """The shell commands of the README section marked STATIC_TLS_MARKER (the first fenced block after it)."""
    text = README.read_text()
    assert STATIC_TLS_MARKER in text, f"{README}: the marker {STATIC_TLS_MARKER} is missing"
    after = text.split(STATIC_TLS_MARKER, 1)[1]
    match = re.search(r"```(?:bash|sh)\n(.*?)```", after, re.S)
    assert match, f"{README}: no ```bash block after {STATIC_TLS_MARKER}"
    return match.group(1)


def make_static_tls_tree(target: Path) -> Path:
    """A copy of manifests/ whose static-tls overlay has certificates made by the README's commands."""
    tree = target / "manifests"
    shutil.copytree(MANIFESTS, tree, ignore=shutil.ignore_patterns("certs"))
    overlay = tree / "overlays" / "static-tls"
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", static_tls_commands()],
        cwd=overlay, capture_output=True, text=True, timeout=60, check=False,
    )
    if done.returncode != 0:
        output = done.stdout + done.stderr
        raise AssertionError(f"README static-TLS commands exited {done.returncode}:\n{output}")
    return tree
