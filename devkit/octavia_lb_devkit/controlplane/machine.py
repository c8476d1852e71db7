"""Makes this machine ready for `make run` or `make test`: Debian packages, then the cached kube-apiserver.

The README promises that its two commands work on a fresh Debian 12 machine, so they call this first.
Standard library only: it runs before the virtualenv exists
(`python3 -m octavia_lb_devkit.controlplane.machine run`).
Idempotent and quick when everything is present (no apt call at all). As root it installs what is missing
with apt-get; otherwise it prints the exact apt-get command and exits non-zero.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from octavia_lb_devkit.controlplane import build

# Run from the checkout's root: the system Python, before any venv, finds the dev kit through PYTHONPATH.
MACHINE_COMMAND = "PYTHONPATH=devkit python3 -m octavia_lb_devkit.controlplane.machine"


@dataclass(frozen=True)
class Need:
    """One thing the machine must have, how to tell it is there, and the Debian package that brings it."""

    what: str
    present: Callable[[], bool]
    package: str
    # docker-compose's recommends pull in the whole Docker engine; the tests only render compose files
    no_recommends: bool = False


def _command(name: str) -> Callable[[], bool]:
    return lambda: shutil.which(name) is not None


def _kubectl() -> bool:
    # some images ship kubectl outside root's PATH
    return shutil.which("kubectl") is not None or os.access("/usr/bin/kubectl", os.X_OK)


def _venv_module() -> bool:
    # Debian's own python3 has `venv` but not `ensurepip` until python3-venv is installed
    return importlib.util.find_spec("ensurepip") is not None


RUN_NEEDS = (
    Need("redis-server", _command("redis-server"), "redis-server"),
    Need("etcd", _command("etcd"), "etcd-server"),
    Need("kubectl", _kubectl, "kubernetes-client"),
    Need("python3 -m venv", _venv_module, "python3-venv"),
)
TEST_NEEDS = (
    *RUN_NEEDS,
    Need("wrk (webhook benchmark)", _command("wrk"), "wrk"),
    Need("docker-compose (compose checks)", _command("docker-compose"), "docker-compose", no_recommends=True),
)
NEEDS = {"run": RUN_NEEDS, "test": TEST_NEEDS}


class MachineNotReady(RuntimeError):
    """Something is missing and cannot be installed from here; the message says exactly what to run."""


def _say(message: str) -> None:
    print(f"[machine] {message}", flush=True)


def missing(needs: Sequence[Need]) -> list[Need]:
    return [need for need in needs if not need.present()]


def apt_command(needs: Sequence[Need]) -> str:
    """The one-line command a person without root would run."""
    plain = [n.package for n in needs if not n.no_recommends]
    bare = [n.package for n in needs if n.no_recommends]
    parts = ["sudo apt-get update"]
    if plain:
        parts.append(f"sudo apt-get install -y {' '.join(plain)}")
    if bare:
        parts.append(f"sudo apt-get install -y --no-install-recommends {' '.join(bare)}")
    return " && ".join(parts)


def install(needs: Sequence[Need]) -> None:
    """apt-get update, then install the packages (those without recommends in a second call)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _say(f"installing Debian packages: {' '.join(n.package for n in needs)}")
    _apt(["apt-get", "update", "-q"], env)
    plain = [n.package for n in needs if not n.no_recommends]
    bare = [n.package for n in needs if n.no_recommends]
    if plain:
        _apt(["apt-get", "install", "-y", "-q", *plain], env)
    if bare:
        _apt(["apt-get", "install", "-y", "-q", "--no-install-recommends", *bare], env)


def _apt(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise MachineNotReady(f"`{' '.join(argv)}` failed (exit {done.returncode}):\n{tail}")


def ensure(purpose: str) -> None:
    """Installs what `purpose` ("run" or "test") needs, then builds or reuses the kube-apiserver."""
    needs = NEEDS[purpose]
    absent = missing(needs)
    if absent:
        if os.geteuid() != 0:
            raise MachineNotReady(
                f"`make {purpose}` needs {', '.join(n.what for n in absent)}, and installing "
                f"{'it' if len(absent) == 1 else 'them'} needs root. Run: {apt_command(absent)}"
            )
        install(absent)
        still = missing(needs)
        if still:
            raise MachineNotReady(
                f"installed {' '.join(n.package for n in absent)} but still missing: "
                f"{', '.join(n.what for n in still)}"
            )
    _say(f"Debian packages for `make {purpose}`: present")
    if build.binary_version(build.binary_path()) is None:
        _say(f"no kube-apiserver cached at {build.binary_path()}: building it once (about 4 minutes)")
    build.build()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=MACHINE_COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("purpose", choices=sorted(NEEDS), help="what the machine is being made ready for")
    args = parser.parse_args(argv)
    try:
        ensure(args.purpose)
    except (MachineNotReady, build.BuildError) as exc:
        print(f"[machine] error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
