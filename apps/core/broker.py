"""Handing work to Celery without depending on the broker: a page or a publication
that sends a task must still answer when Redis is unreachable."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def task_send(task, *args) -> bool:
    """`task.delay(*args)`; False (logged) when the broker cannot be reached, so the
    caller decides what happens instead (wait for a requeue, or run it here)."""
    from kombu.exceptions import OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    try:
        task.delay(*args)
    except (OperationalError, RedisConnectionError, RedisTimeoutError, OSError):
        logger.warning("%s%r not sent: the broker is unreachable", task.name, args, exc_info=True)
        return False
    return True
