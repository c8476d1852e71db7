"""Builds (or reuses) a kube-apiserver binary from Debian bookworm's `kubernetes` source package.

No registry ships a kube-apiserver, so the tests and the local stack build one once into a cache outside the
repository. Standard library only: CI runs this before the virtualenv exists
(`python3 -m octavia_lb_devkit.controlplane.build`). The phases are: deb-src entry, apt packages, download the
source package, unpack, replace the vendored reflect2 (v1.0.1 segfaults under Go >= 1.18), GOPATH-mode
`make`, install.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

KUBE_VERSION = "1.20.2"
APT_PACKAGES = ("etcd-server", "golang-go", "rsync", "golang-github-modern-go-reflect2-dev", "dpkg-dev")
DEB_SRC_FILE = Path("/etc/apt/sources.list.d/octavia-lb-deb-src.sources")
DEB_SRC_ENTRY = """\
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
REFLECT2_DEBIAN = Path("/usr/share/gocode/src/github.com/modern-go/reflect2")
# Run from the checkout's root: the system Python, before any venv, finds the dev kit through PYTHONPATH.
BUILD_COMMAND = "PYTHONPATH=devkit python3 -m octavia_lb_devkit.controlplane.build"
PROGRESS_EVERY_S = 15.0


class BuildError(RuntimeError):
    """A build phase failed; the message names the missing piece and, where there is one, the log file."""


class KubeApiserverMissing(FileNotFoundError):
    """No usable kube-apiserver binary in the cache."""


def cache_dir() -> Path:
    """The cache root: $OCTAVIA_LB_CACHE_DIR, else ~/.cache/octavia-lb."""
    configured = os.environ.get("OCTAVIA_LB_CACHE_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "octavia-lb"


def binary_path() -> Path:
    return cache_dir() / f"kube-apiserver-{KUBE_VERSION}" / "kube-apiserver"


def binary_version(path: Path) -> str | None:
    """`kube-apiserver --version` output, or None when the file is missing or does not run."""
    if not (path.is_file() and os.access(path, os.X_OK)):
        return None
    try:
        done = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 and "Kubernetes" in done.stdout else None


def find_kube_apiserver() -> Path:
    """The cached kube-apiserver; raises KubeApiserverMissing saying how to build it."""
    path = binary_path()
    if path.is_file() and os.access(path, os.X_OK):
        return path
    raise KubeApiserverMissing(
        f"kube-apiserver {KUBE_VERSION} not found at {path}; build it once "
        f"(about 4 minutes, needs root for apt) with: {BUILD_COMMAND}"
    )


def _say(message: str) -> None:
    print(f"[build] {message}", flush=True)


def _is_root() -> bool:
    return os.geteuid() == 0


def _run_logged(
    argv: Sequence[str], log: Path, *, cwd: Path | None = None, env: dict[str, str] | None = None, what: str
) -> None:
    """Runs argv with output appended to log, printing a 'still …' line periodically; raises BuildError."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(argv)}\n")
        out.flush()
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        except FileNotFoundError as exc:
            raise BuildError(f"{what}: command {argv[0]!r} not found ({exc})") from exc
        stop = threading.Event()
        ticker = threading.Thread(target=_tick, args=(what, started, stop), daemon=True)
        ticker.start()
        try:
            code = proc.wait()
        finally:
            stop.set()
            ticker.join()
    if code != 0:
        raise BuildError(f"{what} failed (exit {code}); see the log: {log}")


def _tick(what: str, started: float, stop: threading.Event) -> None:
    while not stop.wait(PROGRESS_EVERY_S):
        _say(f"still {what}… {time.monotonic() - started:.0f}s")


def _has_deb_src() -> bool:
    """True when some apt source already offers deb-src for bookworm main."""
    paths = [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]
    for path in paths:
        if not path.is_file() or path.suffix not in (".list", ".sources", ""):
            continue
        text = path.read_text(errors="replace")
        for stanza in text.split("\n\n"):
            if (
                path.suffix == ".sources"
                and "deb-src" in stanza
                and "bookworm" in stanza
                and "main" in stanza
            ):
                return True
        for line in text.splitlines():
            if line.startswith("deb-src ") and " bookworm " in line and "main" in line:
                return True
    return False


def ensure_deb_src() -> bool:
    """Adds a deb-src entry for bookworm main when none exists; returns True when one was added."""
    if _has_deb_src():
        _say("deb-src entry for bookworm main: present")
        return False
    if not _is_root():
        raise BuildError(
            f"no deb-src entry for bookworm main in /etc/apt, and adding {DEB_SRC_FILE} needs root; "
            f"run as root or add one by hand:\n{DEB_SRC_ENTRY}"
        )
    DEB_SRC_FILE.write_text(DEB_SRC_ENTRY)
    _say(f"deb-src entry for bookworm main: added {DEB_SRC_FILE}")
    return True


def _missing_packages() -> list[str]:
    missing = []
    for name in APT_PACKAGES:
        done = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True, check=False
        )
        if "install ok installed" not in done.stdout:
            missing.append(name)
    return missing


def ensure_packages(log: Path, *, update: bool) -> None:
    """Installs the missing apt packages (and refreshes apt's indexes when asked)."""
    missing = _missing_packages()
    if not missing and not update:
        _say(f"apt packages: present ({' '.join(APT_PACKAGES)})")
        return
    if not _is_root():
        raise BuildError(
            f"apt packages missing: {' '.join(missing) or '(none)'}; installing them needs root. "
            f"Run as root, or: sudo apt-get update && sudo apt-get install -y {' '.join(APT_PACKAGES)}"
        )
    _say("apt-get update")
    try:
        _run_logged(["apt-get", "update"], log, what="updating apt indexes")
    except BuildError as exc:
        raise BuildError(f"the Debian apt registry is unreachable or broken: {exc}") from exc
    if missing:
        _say(f"apt-get install {' '.join(missing)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        _run_logged(
            ["apt-get", "install", "-y", *missing], log, env=env, what=f"installing {' '.join(missing)}"
        )


def download_source(work: Path, log: Path) -> Path:
    """`apt-get source --download-only kubernetes` into work/download; returns the .dsc file."""
    download = work / "download"
    download.mkdir(parents=True, exist_ok=True)
    existing = sorted(download.glob("kubernetes_*.dsc"))
    if existing:
        _say(f"source package: reusing {existing[-1]}")
        return existing[-1]
    _say("downloading Debian source package kubernetes (≈34 MB)")
    try:
        _run_logged(
            ["apt-get", "source", "--download-only", "kubernetes"],
            log,
            cwd=download,
            what="downloading the kubernetes source package",
        )
    except BuildError as exc:
        raise BuildError(
            f"could not download the kubernetes source package from the Debian registry "
            f"(network, or no deb-src index: run apt-get update): {exc}"
        ) from exc
    found = sorted(download.glob("kubernetes_*.dsc"))
    if not found:
        raise BuildError(f"apt-get source left no kubernetes_*.dsc in {download}; see {log}")
    return found[-1]


def unpack(dsc: Path, work: Path, log: Path) -> Path:
    """Unpacks the source package into a fresh work/src and returns it."""
    src = work / "src"
    if src.exists():
        shutil.rmtree(src)
    _say(f"unpacking {dsc.name}")
    _run_logged(["dpkg-source", "--no-check", "-x", str(dsc), str(src)], log, what="unpacking the source")
    return src


def replace_reflect2(src: Path) -> None:
    """Swaps vendored reflect2 v1.0.1 (segfaults under Go >= 1.18) for Debian's fixed copy."""
    if not (REFLECT2_DEBIAN / "reflect2.go").is_file():
        raise BuildError(
            f"Debian's reflect2 is missing at {REFLECT2_DEBIAN}; install golang-github-modern-go-reflect2-dev"
        )
    vendored = src / "vendor" / "github.com" / "modern-go" / "reflect2"
    if not vendored.is_dir():
        raise BuildError(f"unexpected source layout: {vendored} does not exist")
    shutil.rmtree(vendored)
    shutil.copytree(
        REFLECT2_DEBIAN,
        vendored,
        symlinks=False,
        ignore=shutil.ignore_patterns("*_test.go", "go.mod", "go.sum"),
    )
    _say("vendored reflect2 replaced with Debian's copy")


def compile_apiserver(src: Path, log: Path) -> Path:
    """GOPATH-mode `make WHAT=cmd/kube-apiserver`; returns the built binary."""
    if shutil.which("go") is None:
        raise BuildError("the Go toolchain is missing; install golang-go")
    gopath = src / ".go"
    link = gopath / "src" / "k8s.io" / "kubernetes"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(src)
    env = {
        **os.environ,
        "GOPATH": str(gopath),
        "GO111MODULE": "off",
        "CGO_ENABLED": "0",
        "GOPROXY": "off",
        "GOFLAGS": "",
        # No .git in a source package: give the version stamp explicitly so --version says v1.20.2.
        "KUBE_GIT_VERSION": f"v{KUBE_VERSION}",
        "KUBE_GIT_TREE_STATE": "clean",
    }
    _say("compiling cmd/kube-apiserver (cold ≈4 min on 2 cores)")
    _run_logged(["make", "WHAT=cmd/kube-apiserver"], log, cwd=link, env=env, what="building kube-apiserver")
    built = src / "_output" / "bin" / "kube-apiserver"
    if not built.is_file():
        raise BuildError(f"make finished but {built} is missing; see {log}")
    return built


def install(built: Path, target: Path) -> None:
    """Copies the binary into the cache atomically so a half-written file is never reused."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    shutil.copy2(built, partial)
    partial.chmod(0o755)
    partial.replace(target)


def build(*, force: bool = False, keep_source: bool = False) -> Path:
    """Ensures a working cached kube-apiserver and returns its path."""
    target = binary_path()
    version = None if force else binary_version(target)
    if version is not None:
        _say(f"reusing {target} ({version})")
        return target
    work = cache_dir() / "build"
    log = work / "build.log"
    work.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    _say(f"building kube-apiserver {KUBE_VERSION} in {work} (log: {log})")
    started = time.monotonic()
    added = ensure_deb_src()
    ensure_packages(log, update=added or not _has_source_index())
    src = unpack(download_source(work, log), work, log)
    replace_reflect2(src)
    install(compile_apiserver(src, log), target)
    version = binary_version(target)
    if version is None:
        raise BuildError(f"the built {target} does not run `--version`; see {log}")
    if not keep_source:
        shutil.rmtree(src, ignore_errors=True)
    _say(f"built {target} ({version}) in {time.monotonic() - started:.0f}s")
    return target


def _has_source_index() -> bool:
    done = subprocess.run(["apt-cache", "showsrc", "kubernetes"], capture_output=True, text=True, check=False)
    return done.returncode == 0 and "Package: kubernetes" in done.stdout


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=BUILD_COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when a working binary is cached")
    parser.add_argument(
        "--keep-source",
        action="store_true",
        # kubernetes' make pins GOCACHE under _output/, so only a kept tree makes a --force rebuild warm
        help="keep the unpacked source tree (and Go's build cache in it) after building",
    )
    parser.add_argument(
        "--print-path", action="store_true", help="only print the cached binary's path (or fail)"
    )
    args = parser.parse_args(argv)
    try:
        if args.print_path:
            print(find_kube_apiserver())
            return 0
        print(build(force=args.force, keep_source=args.keep_source))
    except (BuildError, KubeApiserverMissing) as exc:
        print(f"[build] error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
