"""Beyond one machine (docs/scaling.md), both off by default:

- `route_task`: with HIPWATCH_QUEUE_PER_PLATFORM on, every pull of a platform goes
  to the queue `pull-<platform id>`, so that a slow or broken platform holds only its
  own workers (`celery -A config worker -Q pull-7`); the rest stays on `celery`.
- `ReplicaRouter`: with DATABASE_REPLICA_URL set, the reads of pages go to a
  PostgreSQL streaming replica, the writes (and the reads inside a transaction, which
  must see their own writes) to the primary.
"""

from __future__ import annotations

import contextlib
import logging
import time
from contextvars import ContextVar

from django.conf import settings
from django.db import DatabaseError, connections, transaction

PULL_TASKS = {
    "apps.ingestion.tasks.pull_platform_day",
    "apps.ingestion.tasks.pull_platform_night",
}


def route_task(name, args, kwargs, options, task=None, **kw):
    """Celery's router: the queue of a pull, by its platform (the first argument)."""
    if not settings.HIPWATCH_QUEUE_PER_PLATFORM or name not in PULL_TASKS:
        return None
    platform_id = args[0] if args else kwargs.get("platform_id")
    return {"queue": f"pull-{platform_id}"} if platform_id is not None else None


# Where the current request reads: "replica" or "default"; None outside a request
# (workers, commands: they read the primary). Set by ReplicaMiddleware.
_reads: ContextVar[str | None] = ContextVar("hipwatch_reads", default=None)
PIN = "replica_pin_lsn"
logger = logging.getLogger(__name__)


class ReplicaRouter:
    """Writes to `default`; a request's reads where ReplicaMiddleware sent it (the
    replica unless its user must see their own write, or the replica is down or
    behind); any read inside a transaction on `default`, and every read outside a
    request, to `default`."""

    def db_for_read(self, model, **hints):
        target = _reads.get()
        if target is None or transaction.get_connection("default").in_atomic_block:
            return "default"
        return target

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


def _lsn(text: str | None) -> int:
    """A WAL position ('16/B374D848') as a number."""
    if not text:
        return 0
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def _replica_state() -> tuple[int, float] | None:
    """(the replica's replayed WAL position, its lag in seconds behind the primary),
    or None when it cannot be asked."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            primary = _lsn(cursor.fetchone()[0])
        with connections["replica"].cursor() as cursor:
            cursor.execute(
                "SELECT pg_last_wal_replay_lsn()::text, "
                "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())"
            )
            replayed, seconds = cursor.fetchone()
    except Exception as exc:  # down, refusing, misconfigured: never a 500 for it
        logger.warning("the replica cannot be read, pages read the primary: %s", exc)
        with contextlib.suppress(Exception):
            connections["replica"].close()
        return None
    replayed = _lsn(replayed)
    return replayed, 0.0 if replayed >= primary else float(seconds or 0)


def reads_for(request) -> str:
    """Where a reading request reads: the primary while its user's last write is not
    yet replayed on the replica (read-your-writes), or when the replica is down or
    lags past HIPWATCH_REPLICA_MAX_LAG seconds (one log line); the replica
    otherwise."""
    state = _replica_state()
    if state is None:
        return "default"
    replayed, lag = state
    session = getattr(request, "session", None)
    pin = session.get(PIN) if session is not None and settings.HIPWATCH_REPLICA_PINNING else None
    if pin:
        if replayed < _lsn(pin):
            return "default"
        del session[PIN]  # replayed past the user's last write: the replica again
    if lag > settings.HIPWATCH_REPLICA_MAX_LAG:
        logger.warning("the replica lags %.0f s behind: pages read the primary", lag)
        return "default"
    return "replica"


class ReplicaMiddleware:
    """With a replica configured: a request that may write (not GET/HEAD) reads and
    writes the primary, and leaves its user pinned to the primary until the replica
    has replayed past the primary's WAL position after it (kept in the session). A
    reading request reads where `reads_for` says, all of it in one repeatable-read
    transaction on the replica, so a page never mixes two states of the data. The
    data version the caches key on is then read from the database the page reads
    (apps/core/versioning.py): a figure cached under a version was computed from it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.enabled = "replica" in settings.DATABASES

    def __call__(self, request):
        if not self.enabled or transaction.get_connection("default").in_atomic_block:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            token = _reads.set("default")
            try:
                response = self.get_response(request)
            finally:
                _reads.reset(token)
            self._pin(request)
            return response
        target = reads_for(request)
        token = _reads.set(target)
        try:
            if target == "replica":
                with transaction.atomic(using="replica"):
                    return self.get_response(request)
            return self.get_response(request)
        finally:
            _reads.reset(token)

    @staticmethod
    def _pin(request) -> None:
        session = getattr(request, "session", None)
        if session is None or not settings.HIPWATCH_REPLICA_PINNING:
            return
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_current_wal_lsn()::text")
                session[PIN] = cursor.fetchone()[0]
        except DatabaseError:
            logger.warning("the primary's WAL position could not be read", exc_info=True)


def scalar(alias: str, sql: str):
    """The one value `sql` answers on the database `alias`."""
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def replica_replayed(timeout: float = 30) -> None:
    """Wait until the replica has replayed everything the primary has written so
    far (the tests and benchmarks that read it after writing); TimeoutError past
    `timeout` seconds."""
    target = scalar("default", "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + timeout
    while scalar("replica", f"SELECT pg_wal_lsn_diff('{target}', pg_last_wal_replay_lsn())") > 0:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the replica has not replayed the primary in {timeout} s")
        time.sleep(0.005)
