"""Fixtures local to the webhook tests: the list+watch stand-in for the apiserver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from octavia_lb_devkit.testing.listwatch_standin import ListWatchServer


@pytest.fixture
def listwatch() -> Iterator[ListWatchServer]:
    server = ListWatchServer().start()
    try:
        yield server
    finally:
        server.list_gate.set()
        server.stop()
