"""The build module's reporting: failures name the log file, long steps print progress."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from octavia_lb_devkit.controlplane import build


def test_a_failing_step_names_the_step_exit_code_and_log(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    with pytest.raises(
        build.BuildError, match=rf"building kube-apiserver failed \(exit 3\); see the log: {log}"
    ):
        build._run_logged(
            ["sh", "-c", "echo 'undefined: reflect2.Type'; exit 3"], log, what="building kube-apiserver"
        )
    assert "undefined: reflect2.Type" in log.read_text()


def test_a_missing_tool_is_named(tmp_path: Path) -> None:
    with pytest.raises(
        build.BuildError, match=r"unpacking the source: command 'dpkg-source-missing' not found"
    ):
        build._run_logged(["dpkg-source-missing", "-x"], tmp_path / "log", what="unpacking the source")


def test_long_steps_print_a_still_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(build, "PROGRESS_EVERY_S", 0.2)
    build._run_logged(["sleep", "0.7"], tmp_path / "log", what="building kube-apiserver")
    assert "[build] still building kube-apiserver… 0s" in capsys.readouterr().out


def test_cli_print_path_fails_clearly_without_a_binary(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "octavia_lb_devkit.controlplane.build", "--print-path"],
        env={"OCTAVIA_LB_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 1
    assert f"not found at {tmp_path}/kube-apiserver-1.20.2/kube-apiserver" in done.stderr
    assert "PYTHONPATH=devkit python3 -m octavia_lb_devkit.controlplane.build" in done.stderr


def test_binary_version_is_none_for_something_that_is_not_kube_apiserver(tmp_path: Path) -> None:
    impostor = tmp_path / "kube-apiserver"
    impostor.write_text("#!/bin/sh\necho hello\n")
    impostor.chmod(0o755)
    assert build.binary_version(impostor) is None
    assert build.binary_version(tmp_path / "absent") is None
