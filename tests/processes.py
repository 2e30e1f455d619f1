"""For tests that start another process (a Celery worker, the simulator command)
on the test database: only a database server can be shared that way, so they run
in CI's PostgreSQL pass and are skipped on the in-memory SQLite database."""

import socket
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

needs_database_server = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="another process cannot open the in-memory SQLite test database",
)


def database_url() -> str:
    """The URL of the test database, for a child process's DATABASE_URL."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
