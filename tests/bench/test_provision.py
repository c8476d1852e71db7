"""bench.provision end to end on its smallest configuration, its clean-up on Ctrl-C/SIGTERM, bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.bench.helpers import REPO, alive, announced_pids, numbers, run_bench, tables

COLUMNS = [
    "K", "workers × concurrency", "T s (configured / observed)", "p50 s", "max s", "max/T", "serial K·T s",
    "serial/max", "2T+30 s", "target",
]  # fmt: skip


def test_smallest_run_prints_one_sane_row():
    out = run_bench(
        "bench.provision", "--services", "2", "--workers", "1", "--concurrency", "1", "--build-seconds", "2",
        timeout=240,
    )  # fmt: skip
    [table] = tables(out)
    header, *rows = table
    assert header == COLUMNS
    [row] = rows
    cells = dict(zip(header, row, strict=True))
    assert cells["K"] == "2" and cells["workers × concurrency"] == "1 × 1"
    configured, observed = numbers(cells["T s (configured / observed)"])
    assert configured == 2
    assert 1.0 <= observed <= 6.0, "the simulator was told to build in 2 s; sampling adds about a second"
    p50, slowest = numbers(cells["p50 s"])[0], numbers(cells["max s"])[0]
    assert 0 < p50 <= slowest, "an address cannot come before the build starts"
    assert slowest >= 2, "no address before the load balancer is built"
    # max is printed to 0.1 s and max/T to 0.01, each rounded from the unrounded time: allow both roundings
    assert numbers(cells["max/T"])[0] == pytest.approx(slowest / 2, abs=0.05 / 2 + 0.005)
    assert numbers(cells["serial K·T s"]) == [4]
    assert numbers(cells["2T+30 s"]) == [34]
    assert cells["target"] == "pass"
    for name, pid in announced_pids(out).items():
        assert not alive(pid), f"{name} (pid {pid}) outlived the benchmark"


def _group_members(pgid: int) -> list[int]:
    members = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat = (proc / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[2]) == pgid and alive(int(proc.name)):
                members.append(int(proc.name))
    return members


INTERRUPTED_RUN = ("--services", "1", "--workers", "2", "--build-seconds", "600")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupted_run_stops_every_process_it_started(sig):
    bench = subprocess.Popen(
        [sys.executable, "-m", "bench.provision", *INTERRUPTED_RUN],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    seen = ""
    try:
        assert bench.stdout is not None
        deadline = time.monotonic() + 120
        while "started dispatcher-" not in seen and time.monotonic() < deadline:
            line = bench.stdout.readline()
            if not line:
                break
            seen += line
        assert "started dispatcher-" in seen, f"the pipeline never started:\n{seen}"
        time.sleep(2)  # Services being created / watched: a run in progress
        bench.send_signal(sig)
        seen += bench.communicate(timeout=90)[0]
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait()
    pids = announced_pids(seen)
    assert {"redis", "etcd", "kube-apiserver"} <= set(pids), seen
    assert sum(name.startswith("worker-") for name in pids) == 2
    for name, pid in pids.items():
        assert not alive(pid), f"{name} (pid {pid}) still runs after the benchmark was interrupted"
        assert _group_members(pid) == [], f"{name}'s children (group {pid}) still run"


def test_bad_sizes_are_refused_with_field_and_value():
    done = subprocess.run(
        [sys.executable, "-m", "bench.provision", "--services", "0"], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "services: 0 must be a whole number of at least 1" in done.stderr
    assert "started " not in done.stdout, "nothing may start for a refused configuration"
