"""A real streaming replica in the tests (.ci/run starts a hot standby of the test
server and sets DATABASE_REPLICA_URL)."""

from __future__ import annotations

from django.db import connections

from apps.core.routing import replica_replayed


def one(alias: str, sql: str):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def caught_up(timeout: float = 30) -> None:
    """Wait until the replica has replayed everything the primary has written."""
    replica_replayed(timeout)
