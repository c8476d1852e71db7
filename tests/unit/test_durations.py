"""Go durations as cloud.conf uses them: parsed like time.ParseDuration, truncated to whole seconds."""

import pytest

from octavia_lb.common.durations import (
    DurationError,
    format_seconds,
    parse_duration_ns,
    parse_duration_seconds,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("5s", 5, id="seconds"),
        pytest.param("60s", 60, id="sixty-seconds"),
        pytest.param("1m30s", 90, id="minutes-and-seconds"),
        pytest.param("1h", 3600, id="hour"),
        pytest.param("1500ms", 1, id="milliseconds-truncated"),
        pytest.param("1.9s", 1, id="fraction-truncated"),
        pytest.param(".5m", 30, id="leading-dot"),
        pytest.param("0", 0, id="bare-zero"),
        pytest.param("-2s", -2, id="negative"),
        pytest.param("+3s", 3, id="plus-sign"),
        pytest.param("2000000us", 2, id="microseconds"),
        pytest.param("3000000000ns", 3, id="nanoseconds"),
    ],
)
def test_parse_duration_seconds(text: str, seconds: int) -> None:
    assert parse_duration_seconds(text) == seconds


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("5", id="bare-number"),
        pytest.param("", id="empty"),
        pytest.param("5 s", id="space"),
        pytest.param("5sec", id="unknown-unit"),
        pytest.param("s", id="unit-only"),
        pytest.param("1d", id="days"),
        pytest.param("9999999999h", id="overflow"),
    ],
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(DurationError, match="invalid duration"):
        parse_duration_ns(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (5, "5s"), (60, "1m0s"), (3630, "1h0m30s"), (-5, "-5s")],
    ids=["zero", "seconds", "minute", "hour", "negative"],
)
def test_format_seconds_round_trips(seconds: int, text: str) -> None:
    assert format_seconds(seconds) == text
    assert parse_duration_seconds(text) == seconds
