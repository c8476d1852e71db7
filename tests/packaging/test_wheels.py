"""The product's wheel holds the product only; the dev kit's wheel holds the simulator and harness.

Both are built from the checkout with pip, as the Dockerfile builds them.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def built_wheel(source: Path, out: Path) -> list[str]:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(source)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (wheel,) = out.glob("*.whl")
    return zipfile.ZipFile(wheel).namelist()


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return built_wheel(REPO, tmp_path_factory.mktemp("product"))


@pytest.fixture(scope="module")
def devkit(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return built_wheel(REPO / "devkit", tmp_path_factory.mktemp("devkit"))


def test_product_wheel_is_common_webhook_worker_and_cli(product: list[str]) -> None:
    code = [name for name in product if name.endswith(".py")]
    assert {name.split("/")[0] for name in code} == {"octavia_lb"}
    top = {"__init__.py", "__main__.py", "cli.py", "common", "webhook", "worker"}
    assert {name.split("/")[1] for name in code} == top
    test_support = ("samples.py", "listwatch_standin", "certs.py")
    for forbidden in ("sim/", "controlplane/", "/dev/", "localrun", *test_support):
        assert not [name for name in code if forbidden in name], forbidden
    assert "octavia_lb/worker/reconcile/run.py" in code and "octavia_lb/webhook/admission.py" in code


def test_devkit_wheel_holds_the_simulator_harness_and_its_commands(devkit: list[str]) -> None:
    code = [name for name in devkit if name.endswith(".py")]
    assert {name.split("/")[0] for name in code} == {"octavia_lb_devkit"}
    sim = ("sim/octavia/store.py", "sim/neutron/store.py", "sim/keystone/api.py", "sim/barbican/api.py")
    for expected in (*sim, "controlplane/cluster.py", "dev/up.py", "testing/certs.py", "commands.py"):
        assert f"octavia_lb_devkit/{expected}" in code, expected
    (entry_points,) = [name for name in devkit if name.endswith("entry_points.txt")]
    assert entry_points.startswith("octavia_lb_devkit-")
