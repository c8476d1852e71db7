"""The summary table's rows from result objects: verdicts, ratios and the rendering of a failed run."""

from __future__ import annotations

import math

import pytest

from bench import report
from bench.provision import RunConfig, RunResult
from bench.scaling import Figures, Plan

PLAN = Plan(
    build_seconds=10.0, concurrency=4, sizes=(1, 3), workers=2, worker_counts=(1, 2), scaling_services=3
)


def _result(services: int, workers: int, times: tuple[float, ...]) -> RunResult:
    return RunResult(RunConfig(services, workers, 4, 10.0), times, 10.2, "load average: 1.00")


@pytest.mark.parametrize(
    ("times", "slowest", "passed"),
    [
        ((12.0, 14.0, 50.0), 50.0, True),  # exactly 2T+30
        ((12.0, 14.0, 50.5), 50.5, False),
        ((12.0, 14.0), math.inf, False),  # one Service never got an address
    ],
    ids=["at-the-bound", "over-the-bound", "one-missing"],
)
def test_run_result_verdict(times, slowest, passed):
    result = _result(3, 2, times)
    assert result.slowest == slowest
    assert result.passed is passed
    assert result.serial_seconds == 30


def test_scaling_rows_compare_with_the_one_worker_run():
    runs = (_result(1, 2, (11.0,)), _result(3, 2, (12.0, 13.0, 16.0)), _result(3, 1, (12.0, 15.0, 20.0)))
    by_config = {r.config: r for r in runs}
    rows = report.scaling_rows(Figures(PLAN, by_config, "before", "after"))
    assert [(r.section, r.figure) for r in rows] == [
        ("time to address", "K = 1, 2 workers × 4"),
        ("time to address", "K = 3, 2 workers × 4"),
        ("worker scaling", "K = 3, 1 worker × 4"),
        ("worker scaling", "K = 3, 2 workers × 4"),
    ]
    assert rows[1].ratio == pytest.approx(1.6)  # max / T
    assert "1.9x faster than serial" in rows[1].target  # 30 s / 16 s
    assert rows[3].ratio == pytest.approx(16 / 20)
    assert "max − T 6.0 s" in rows[3].value


def test_calls_rows_judge_against_occm():
    rows = report.calls_rows([("create", 6, 1, 3), ("delete", 9, 0, 2)])
    assert [(r.value, r.ratio, r.target) for r in rows] == [
        ("6", pytest.approx(6 / 9), "fewer than OCCM: met"),
        ("9", 1.0, "fewer than OCCM: MISSED"),
    ]


def test_render_keeps_a_failed_run_visible():
    rows = report.scaling_rows(
        Figures(Plan(10.0, 4, (3,), 1, (1,), 3), {RunConfig(3, 1, 4, 10.0): _result(3, 1, (12.0,))}, "b", "a")
    )
    text = report.render(rows)
    lines = text.splitlines()
    assert lines[0] == "| area | figure | octavia-lb | baseline (same run) | ratio | target |"
    assert len(lines) == 2 + 2
    assert "max inf s" in lines[2] and "| inf |" in lines[2] and "MISSED" in lines[2]
