"""Simulated time: a clock that tests can move forward, and a heap of due events.

No thread or task per object: asynchronous work (a load balancer build, a floating IP going ACTIVE) is a
callback scheduled at a due time, and `Scheduler.run_due()` runs whatever is due at the start of every
request, so state is always current when a client looks at it.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class Clock:
    """Monotonic seconds plus a manual offset (`advance`) so tests can skip ahead without sleeping."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._wall0 = datetime.now(UTC).replace(tzinfo=None)
        self._mono0 = time.monotonic()

    def now(self) -> float:
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"advance: seconds must be >= 0, got {seconds}")
        self._offset += seconds

    def utcnow(self) -> datetime:
        return self._wall0 + timedelta(seconds=self.now() - self._mono0)

    def octavia_stamp(self) -> str:
        """Octavia's timestamp: naive UTC ISO without a zone suffix."""
        return self.utcnow().strftime("%Y-%m-%dT%H:%M:%S")

    def neutron_stamp(self) -> str:
        return self.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")

    def keystone_stamp(self, later: float = 0.0) -> str:
        return (self.utcnow() + timedelta(seconds=later)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Scheduler:
    """Callbacks due at a clock time, run in due order (ties in scheduling order)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()

    def at(self, delay: float, callback: Callable[[], None]) -> None:
        heapq.heappush(self._heap, (self.clock.now() + delay, next(self._seq), callback))

    def run_due(self) -> int:
        now = self.clock.now()
        ran = 0
        while self._heap and self._heap[0][0] <= now:
            _, _, callback = heapq.heappop(self._heap)
            callback()
            ran += 1
        return ran

    def pending(self) -> int:
        return len(self._heap)

    def clear(self) -> None:
        self._heap.clear()
