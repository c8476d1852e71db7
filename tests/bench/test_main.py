"""`python -m bench --smoke`: every benchmark at its smallest size, and the one table gathering them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.bench.helpers import REPO, numbers, run_bench, tables

HEADER = ["area", "figure", "octavia-lb", "baseline (same run)", "ratio", "target"]
EXPECTED_ROWS = {
    "webhook": 5,  # req/s and latency at 1 and 8 connections, RSS with the cache full
    "time to address": 1,
    "worker scaling": 1,
    "OpenStack calls": 4,  # create, add a port, add a node, delete
    "simulator": 4,  # GET lb, GET list, POST network, POST lb
}


@pytest.mark.timeout(900)
def test_smoke_run_gathers_every_figure_in_one_table():
    out = run_bench("bench", "--smoke", timeout=850)
    summary = tables(out)[-1]
    header, *rows = summary
    assert header == HEADER
    by_area: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        cells = dict(zip(header, row, strict=True))
        by_area.setdefault(cells["area"], []).append(cells)
        assert numbers(cells["ratio"])[0] > 0, f"ratio must be a positive number: {cells}"
        assert numbers(cells["octavia-lb"]), f"no figure in {cells}"
        assert numbers(cells["baseline (same run)"]), f"no baseline in {cells}"
    assert {area: len(found) for area, found in by_area.items()} == EXPECTED_ROWS
    [cache] = [c for c in by_area["webhook"] if c["figure"].startswith("RSS")]
    assert "10000 Services cached" in cache["figure"]
    [single] = by_area["time to address"]
    assert single["figure"].startswith("K = 1,")
    assert "2T+30 = 36 s: met" in single["target"]
    calls = {c["figure"]: int(c["octavia-lb"]) for c in by_area["OpenStack calls"]}
    assert set(calls) == {"create", "add a port", "add a node", "delete"}
    assert all(count > 0 for count in calls.values())
    assert all(numbers(c["octavia-lb"])[0] > 0 for c in by_area["simulator"])


def test_unknown_benchmark_is_refused_naming_the_flag_and_value():
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "webhook,nope"], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 2
    expected = "--only: 'webhook,nope' must be a comma-separated list of webhook, provision, calls, sim"
    assert expected in done.stderr
