"""Renders every kustomization once per session (kubectl kustomize takes ~0.2 s each)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.manifests.render import MANIFESTS, OVERLAYS, Rendering, make_static_tls_tree, render


@pytest.fixture(scope="session")
def static_tls_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_static_tls_tree(tmp_path_factory.mktemp("static-tls"))


@pytest.fixture(scope="session")
def renderings(static_tls_tree: Path) -> dict[str, Rendering]:
    rendered = {}
    for name in OVERLAYS:
        root = static_tls_tree if name == "overlays/static-tls" else MANIFESTS
        rendered[name] = render(root / name, name)
    return rendered
