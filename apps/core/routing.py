"""Beyond one machine (docs/scaling.md), both off by default:

- `route_task`: with HIPWATCH_QUEUE_PER_PLATFORM on, every pull of a platform goes
  to the queue `pull-<platform id>`, so that a slow or broken platform holds only its
  own workers (`celery -A config worker -Q pull-7`); the rest stays on `celery`.
- `ReplicaRouter`: with DATABASE_REPLICA_URL set, the reads of pages go to a
  PostgreSQL streaming replica, the writes (and the reads inside a transaction, which
  must see their own writes) to the primary.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

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


class ReplicaRouter:
    """Reads to the `replica` alias, writes to `default` (one database in truth)."""

    def db_for_read(self, model, **hints):
        if transaction.get_connection("default").in_atomic_block:
            return "default"
        return "replica"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
