"""Restarting the broker consumer when an acknowledgement is lost with the Redis connection.

kombu counts a delivered message against the prefetch limit until its ack reaches Redis. When the connection
drops under an ack, Celery logs "Couldn't ack" and moves on, but the count never comes down: with prefetch 1
the channel stops asking Redis for messages, its paused BRPOP socket is no longer polled, so the consumer
never notices the dead connection either, and the worker idles for good while the queue fills (seen in the
Redis restart fault test with kombu 5.7). Celery recovers from a connection error raised inside its event
loop by building a new connection and channel, so we record every failed ack or reject and raise one from a
timer on that loop.

What the lost ack costs: Redis still holds the message as unacked and delivers it again after the visibility
timeout (tasks are idempotent); a Redis that lost its data lost the message too, and the dispatcher's resync
enqueues the Service again.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from celery import bootsteps
from celery.worker.request import Request
from kombu.message import Message

log = logging.getLogger(__name__)

CHECK_INTERVAL = 1.0  # seconds; a stuck consumer costs about two of these
# Messages whose ack or reject was asked for since the last check. Celery defers the ack itself to the
# event loop's next turn, so the outcome is read one check later. Only the worker's main process, on its
# event loop thread, touches this.
_requested: list[Message] = []


class BrokerConnectionStale(redis.exceptions.ConnectionError):
    """Raised on the consumer's event loop; Celery treats it as a lost connection and reconnects."""


class AckTrackingRequest(Request):  # type: ignore[misc]  # celery ships no type hints: Request is Any
    """Celery's Request, remembering each message it asked to ack or reject."""

    def acknowledge(self) -> None:
        if not self.acknowledged:
            _requested.append(self.message)
        super().acknowledge()

    def reject(self, requeue: bool = False) -> None:
        if not self.acknowledged:
            _requested.append(self.message)
        super().reject(requeue=requeue)


def lost_acks(previous: list[Message], channel: object) -> list[Message]:
    """The messages of this channel whose ack or reject, requested a check ago, never reached Redis.

    Messages of an older channel do not count: their prefetch count went with that channel.
    """
    return [m for m in previous if m.channel is channel and not m.acknowledged]


class BrokerWatch(bootsteps.StartStopStep):  # type: ignore[misc]  # celery ships no type hints
    """A consumer step: a timer on the event loop that turns a lost ack into a consumer restart.

    Celery clears the loop's timers when the consumer restarts and starts its steps again, so the timer
    is added on every start.
    """

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self._entry: Any = None
        self._previous: list[Message] = []

    def start(self, parent: Any) -> None:
        self._previous = []
        _requested.clear()
        self._entry = parent.timer.call_repeatedly(CHECK_INTERVAL, self._check, (parent,))

    def stop(self, parent: Any) -> None:
        if self._entry is not None:
            self._entry.cancel()
            self._entry = None

    shutdown = stop

    def _check(self, consumer: Any) -> None:
        channel = getattr(consumer.task_consumer, "channel", None)
        lost = lost_acks(self._previous, channel)
        self._previous = _requested[:]
        _requested.clear()
        if lost:
            log.warning(
                "%d acknowledgement(s) did not reach Redis (task %s ...); reconnecting the broker consumer",
                len(lost),
                lost[0].headers.get("id", "?"),
            )
            raise BrokerConnectionStale("an acknowledgement was lost with the Redis connection")
