"""The product's CLI alone: without the dev kit, `sim` and `dev` say where they come from.

Run with `python -S` and only the checkout on sys.path, so no installed distribution (and so no
entry point of the dev kit) is visible: what a user of the product's wheel sees.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PRODUCT_ONLY = (
    f"import sys; sys.path.insert(0, {str(REPO)!r}); from octavia_lb.cli import main; sys.exit(main())"
)


def product_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-S", "-c", PRODUCT_ONLY, *argv],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_sim_without_the_devkit_names_the_install_and_exits_2() -> None:
    done = product_cli("sim", "openstack", "--port", "8774")
    assert done.returncode == 2, done.stderr
    assert "`sim` comes with the dev kit, which is not installed" in done.stderr
    assert "pip install -e ./devkit" in done.stderr


def test_help_lists_the_product_commands_and_marks_the_devkit_ones() -> None:
    done = product_cli("--help")
    assert done.returncode == 0, done.stderr
    for command in ("lint", "plan", "webhook", "dispatcher", "worker"):
        assert f"    {command}" in done.stdout, command
    assert "run a simulator (needs the dev kit)" in done.stdout


def test_with_the_devkit_installed_sim_is_the_real_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "octavia_lb", "sim", "openstack", "--help"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "--max-api-version" in done.stdout and "needs the dev kit" not in done.stdout
