"""The real `octavia-lb dev` command run as a subprocess in a temporary state folder.

`dev_stack` brings one stack up for the module that asks for it and always runs `dev down` afterwards;
`octavia_lb_dev` runs any `octavia-lb dev ...` command; `dev_kubectl` runs the real kubectl against a stack.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.cluster import kubectl_binary

DevRunner = Callable[..., subprocess.CompletedProcess[str]]
UP_TIMEOUT_S = 240  # a cold kube-apiserver build is not expected here: the cache must exist


def run_dev(state: Path, *words: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "octavia_lb", "dev", *words, "--state-dir", str(state)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=UP_TIMEOUT_S, check=False, env=env)


@dataclass(frozen=True)
class DevStack:
    state: Path
    up_output: str

    def kubectl(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        argv = [kubectl_binary(), "--kubeconfig", str(self.state / "kubeconfig"), *args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
        return done


def bring_up(state: Path) -> DevStack:
    done = run_dev(state, "up")
    if done.returncode != 0:
        run_dev(state, "down")
        pytest.fail(
            f"octavia-lb dev up exited {done.returncode}:\n{done.stdout}\n{done.stderr}", pytrace=False
        )
    return DevStack(state, done.stdout)


@pytest.fixture(scope="module")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    stack = bring_up(tmp_path_factory.mktemp("dev"))
    try:
        yield stack
    finally:
        down = run_dev(stack.state, "down")
        assert down.returncode == 0, down.stdout + down.stderr
