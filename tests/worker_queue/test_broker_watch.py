"""The broker watch's premise and its detection, on real kombu and a real redis-server.

The premise (kombu 5.7): an ack that fails because Redis is gone leaves the message counted against the
prefetch limit, so the channel never asks for another message, even after Redis is back. The worker-level
recovery (the consumer reconnects) is exercised by tests/faults/test_redis_restart.py.
"""

from __future__ import annotations

import logging

import pytest
from kombu import Connection, Exchange, Queue

from octavia_lb.worker.runtime.broker_watch import lost_acks
from tests.fixtures.redis_server import RestartableRedis

QUEUE = Queue("broker-watch-test", Exchange("broker-watch-test"), routing_key="broker-watch-test")


def _deliver_one(connection: Connection) -> tuple[object, object]:
    """Publish one message and take it on a channel with prefetch 1, unacked; (message, channel)."""
    channel = connection.channel()
    channel.basic_qos(0, 1, False)
    queue = QUEUE(channel)
    queue.declare()
    with connection.Producer() as producer:
        producer.publish({"n": 1}, exchange=QUEUE.exchange, routing_key=QUEUE.routing_key, retry=True)
    message = queue.get(no_ack=False)
    assert message is not None, "the published message was not delivered"
    return message, channel


def test_an_ack_lost_with_redis_stops_the_channel_for_good(restartable_redis: RestartableRedis):
    with Connection(restartable_redis.url, transport_options={"visibility_timeout": 60}) as connection:
        message, channel = _deliver_one(connection)
        assert not channel.qos.can_consume()  # prefetch 1: the unacked message holds the only slot

        restartable_redis.crash()
        message.ack_log_error(logging.getLogger(__name__), connection.connection_errors)
        restartable_redis.start()

        assert not message.acknowledged
        assert not channel.qos.can_consume(), "kombu returned the slot of a lost ack by itself"
        assert lost_acks([message], channel) == [message]


def test_an_ack_that_reached_redis_is_not_lost(restartable_redis: RestartableRedis):
    with Connection(restartable_redis.url) as connection:
        message, channel = _deliver_one(connection)
        message.ack()
        assert channel.qos.can_consume()
        assert lost_acks([message], channel) == []


def test_a_lost_ack_of_an_older_channel_does_not_count(restartable_redis: RestartableRedis):
    with Connection(restartable_redis.url) as connection:
        message, _old = _deliver_one(connection)
        restartable_redis.crash()
        with pytest.raises(connection.connection_errors):
            message.ack()
        restartable_redis.start()
        fresh_channel = connection.channel()  # what the consumer holds after it reconnected
        assert not message.acknowledged
        assert lost_acks([message], fresh_channel) == []
