"""Fixtures of the queue tests: the real Celery app built from the test's queue settings (`app`) and a Redis
client on the test's database (`r`)."""

from __future__ import annotations

import pytest
import redis

from octavia_lb.worker.runtime.celery_app import OctaviaCelery, create_app
from octavia_lb.worker.settings import from_env_and_args
from tests.fixtures.worker import QueueEnv


@pytest.fixture
def app(queue_env: QueueEnv) -> OctaviaCelery:
    return create_app(from_env_and_args(env=queue_env.env))


@pytest.fixture
def r(queue_env: QueueEnv) -> redis.Redis:
    return queue_env.client()
