"""Retry delays: exponential, jittered within a known band, floored by the error's delay, always capped."""

from __future__ import annotations

import random

import pytest

from octavia_lb.worker.runtime.tasks import retry_delay
from octavia_lb.worker.settings import Settings

SETTINGS = Settings(retry_backoff_base=2, retry_backoff_max=120)


@pytest.mark.parametrize(
    ("retries", "low", "high"), [(0, 1, 2), (1, 2, 4), (2, 4, 8), (5, 32, 64), (6, 60, 120)]
)
def test_exponential_with_equal_jitter(retries: int, low: float, high: float) -> None:
    rng = random.Random(retries)
    delays = [retry_delay(retries, SETTINGS, rng=rng) for _ in range(200)]
    assert all(low <= d <= high for d in delays)
    assert max(delays) - min(delays) > (high - low) / 2  # really jittered


def test_capped_at_backoff_max_and_at_a_fraction_of_the_visibility_timeout() -> None:
    assert max(retry_delay(30, SETTINGS, rng=random.Random(i)) for i in range(50)) <= 120
    tight = Settings(visibility_timeout=100, task_time_limit=40, task_soft_time_limit=30)
    assert retry_delay(30, tight, floor=500) == 20  # 0.2 x 100


def test_error_delay_is_a_floor() -> None:
    assert retry_delay(0, SETTINGS, floor=7.5, rng=random.Random(0)) == 7.5
