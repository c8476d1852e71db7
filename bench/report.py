"""The one Markdown table of `python -m bench`: every figure next to the baseline measured in the same run.

Each section turns one benchmark's result object into rows; `render` lays them out. A ratio is always
"ours / baseline", so its meaning follows the row's unit (≥ 1 is better for rates, ≤ 1 for times and counts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.calls import OCCM
from bench.provision import RunResult
from bench.scaling import Figures as ScalingFigures
from bench.webhook import WebhookResults

SIM_TARGET_RPS = 500
WEBHOOK_P99_TARGET_MS = 5.0
CACHE_TARGET_MB = 60.0


@dataclass(frozen=True)
class Row:
    """One line of the table; `ratio` is value / baseline, None when there is no numeric baseline."""

    section: str
    figure: str
    value: str
    baseline: str
    ratio: float | None
    target: str


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def webhook_rows(result: WebhookResults) -> list[Row]:
    rows = []
    for conns in (1, 8):
        ours, raw = result.throughput[("webhook", conns)], result.throughput[("raw", conns)]
        target = f">= 70 % of bare: {_verdict(ours.rps >= 0.7 * raw.rps)}" if conns == 8 else ""
        rows.append(
            Row("webhook", f"req/s, {conns} conn", f"{ours.rps:.0f}", f"{raw.rps:.0f} bare TLS",
                ours.rps / raw.rps, target)
        )  # fmt: skip
        p99_target = f"<= {WEBHOOK_P99_TARGET_MS:g} ms: {_verdict(ours.p99_ms <= WEBHOOK_P99_TARGET_MS)}"
        rows.append(
            Row(
                "webhook",
                f"p50 / p99 ms, {conns} conn (ratio of p99)",
                f"{ours.p50_ms:.2f} / {ours.p99_ms:.2f}",
                f"{raw.p50_ms:.2f} / {raw.p99_ms:.2f} bare TLS",
                ours.p99_ms / raw.p99_ms,
                p99_target if conns == 8 else "",
            )
        )
    grown = result.full_rss_mb - result.empty_rss_mb
    rows.append(
        Row("webhook", f"RSS MB, {result.cached_services:.0f} Services cached", f"{result.full_rss_mb:.1f}",
            f"{result.empty_rss_mb:.1f} empty cache", result.full_rss_mb / result.empty_rss_mb,
            f"growth {grown:.1f} MB <= {CACHE_TARGET_MB:g}: {_verdict(grown <= CACHE_TARGET_MB)}")
    )  # fmt: skip
    return rows


def _workers(count: int) -> str:
    return f"{count} worker{'s' if count != 1 else ''}"


def _address_row(section: str, figure: str, result: RunResult) -> Row:
    c = result.config
    observed = f", observed {result.observed_build:.1f}" if result.observed_build is not None else ""
    return Row(
        section,
        figure,
        f"p50 {result.p50:.1f} s, max {result.slowest:.1f} s",
        f"T = {c.build_seconds:g} s{observed}; serial K·T = {result.serial_seconds:g} s",
        result.max_over_t,
        f"max <= 2T+30 = {c.budget:g} s: {_verdict(result.passed)}; "
        f"{result.serial_ratio:.1f}x faster than serial",
    )


def scaling_rows(figures: ScalingFigures) -> list[Row]:
    plan = figures.plan
    shape = f"{_workers(plan.workers)} × {plan.concurrency}"
    rows = [
        _address_row("time to address", f"K = {r.config.services}, {shape}", r) for r in figures.by_size()
    ]
    by_workers = figures.by_workers()
    return rows + [_scaling_row(result, by_workers[0]) for result in by_workers]


def _scaling_row(result: RunResult, base: RunResult) -> Row:
    c = result.config
    beyond = result.slowest - c.build_seconds
    return Row(
        "worker scaling",
        f"K = {c.services}, {_workers(c.workers)} × {c.concurrency}",
        f"max {result.slowest:.1f} s (p50 {result.p50:.1f} s; max − T {beyond:.1f} s)",
        f"max {base.slowest:.1f} s with {_workers(base.config.workers)}",
        result.slowest / base.slowest,
        f"max/T = {result.max_over_t:.2f}; 2T+30: {_verdict(result.passed)}",
    )


def calls_rows(rows: Sequence[tuple[str, int, int, int]]) -> list[Row]:
    return [
        Row("OpenStack calls", change, str(ours), f"{OCCM[change]} OCCM (lower bound)", ours / OCCM[change],
            f"fewer than OCCM: {_verdict(ours < OCCM[change])}")
        for change, ours, _keystone, _runs in rows
    ]  # fmt: skip


def sim_rows(rates: Sequence[tuple[str, float, float]]) -> list[Row]:
    return [
        Row("simulator", f"req/s, {name}", f"{rate:.0f}", f"{bare:.0f} bare Starlette", rate / bare,
            f">= {SIM_TARGET_RPS}: {_verdict(rate >= SIM_TARGET_RPS)}")
        for name, rate, bare in rates
    ]  # fmt: skip


HEADER = ("area", "figure", "octavia-lb", "baseline (same run)", "ratio", "target")


def render(rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows:
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else "n/a"
        cells = (row.section, row.figure, row.value, row.baseline, ratio, row.target)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
