"""Build-free checks of the Dockerfile and .dockerignore (no Docker engine here: nothing is built)."""

from __future__ import annotations

import fnmatch
import re
import tomllib

from tests.manifests.render import REPO

DOCKERFILE = (REPO / "Dockerfile").read_text()
IGNORED = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
           if line.strip() and not line.startswith("#")]


def instructions(name: str) -> list[str]:
    return [line.split(None, 1)[1] for line in DOCKERFILE.splitlines() if line.startswith(f"{name} ")]


def ignored(path: str) -> bool:
    """Docker's rule as far as our patterns need: last match wins, `!` re-includes, `**/` any depth."""
    verdict = False
    for pattern in IGNORED:
        negate, glob = pattern.startswith("!"), pattern.lstrip("!")
        candidates = [path, *(path.split("/", i)[-1] for i in range(1, path.count("/") + 1))]
        parents = ["/".join(path.split("/")[: i + 1]) for i in range(path.count("/"))]
        names = candidates if glob.startswith("**/") else [path, *parents]
        if any(fnmatch.fnmatch(name, glob.removeprefix("**/")) for name in names):
            verdict = not negate
    return verdict


def test_base_image_is_a_pinned_slim_python_311() -> None:
    (default,) = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, re.M)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", default), default
    stages = instructions("FROM")
    assert stages == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE} AS runtime", "runtime AS devkit"]
    assert "latest" not in DOCKERFILE.replace("# ", "")


def test_final_stage_is_non_root_numeric_without_build_tools() -> None:
    runtime = DOCKERFILE.split("AS runtime", 1)[1].split("FROM runtime AS devkit", 1)[0]
    (user,) = re.findall(r"^USER (\S+)$", runtime, re.M)
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) > 0 and gid.isdigit() and int(gid) > 0
    assert "build-essential" not in runtime and "apt-get" not in runtime and "gcc" not in runtime
    assert "--no-index" in runtime  # the runtime stage installs only the wheels built before
    assert instructions("ENTRYPOINT") == ['["octavia-lb"]']
    # the product stage installs the product distribution only; the simulator is the devkit stage's
    assert "pip install --no-cache-dir --no-index --find-links=/wheels octavia-lb \\" in runtime
    assert not [line for line in runtime.splitlines() if "devkit" in line and not line.startswith("#")]
    devkit = DOCKERFILE.split("AS devkit", 1)[1]
    (devkit_user,) = re.findall(r"^USER (\S+)$", devkit.split("USER 0:0", 1)[1], re.M)
    assert devkit_user == user
    assert 'octavia-lb = "octavia_lb.cli:main"' in (REPO / "pyproject.toml").read_text()


def test_copied_sources_exist_and_are_in_the_build_context() -> None:
    sources = [part for line in instructions("COPY") if not line.startswith("--from")
               for part in line.split()[:-1]]
    assert sources == ["pyproject.toml", "octavia_lb", "devkit"]
    for source in sources:
        assert (REPO / source).exists(), source
        assert not ignored(source), f"{source} is excluded by .dockerignore"
    packages = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert packages["include"] == ["octavia_lb", "octavia_lb.*"]  # not octavia_lb_devkit


def test_dockerignore_keeps_local_state_out() -> None:
    for path in (".venv", ".venv/bin/python", ".dev", ".dev/kubeconfig", ".git", ".pytest_cache",
                 ".ruff_cache", ".hypothesis", "octavia_lb/__pycache__/cli.cpython-311.pyc", "tests",
                 "manifests/overlays/static-tls/certs/tls.key"):
        assert ignored(path), path
    for path in ("pyproject.toml", "octavia_lb/cli.py", "octavia_lb/webhook/app.py"):
        assert not ignored(path), path
