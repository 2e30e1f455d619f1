"""A platform's database as its source (platform-api.md, "Sources other than this
interface"): SQLAlchemy Core, one URL and a read-only account, one SELECT per kind
written by the officer against the vendor's own tables, bound to `:start` and
`:end` (days, both included). Each read runs in a read-only transaction under a
statement timeout; a refused connection, a dropped one or a query over its
timeout is retried with backoff, as the HTTP interface's transient faults are.
The read time stands for `generated_at`."""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import re
import sqlite3
import time
from pathlib import Path

import sqlalchemy as sa
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from .source import Fetched, NotOffered, SourceError, held_key, held_return, held_take

logger = logging.getLogger(__name__)

# The kinds a platform's database may answer, and the columns each query returns
# (the files' columns, platform-api.md).
QUERY_KINDS = ("uploads", "indicators", "quality", "quality_rules", "institutions")
# The drivers a URL may name: those installed with hipwatch (PostgreSQL and the
# databases speaking its protocol, MySQL and MariaDB) and those a deployment adds.
DRIVERS = {
    "postgresql+psycopg": "PostgreSQL / openGauss / KingbaseES",
    "mysql+pymysql": "MySQL / MariaDB",
    "oracle+oracledb": "Oracle",
    "mssql+pymssql": "SQL Server",
}
_STATEMENT = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)


class QueryRefused(SourceError):
    """The officer's query or URL cannot be run as it is (not one SELECT, a driver
    hipwatch does not speak, missing its parameters)."""


def url_problem(url: str) -> str | None:
    """Why `url` cannot name a platform's database, or None. A password in the URL
    is refused: it is entered apart, write-only, and stored encrypted."""
    try:
        parsed = make_url(url)
    except Exception:
        return _("Not a database URL (e.g. postgresql+psycopg://user@host:5432/name).")
    if parsed.drivername == "sqlite":
        # The demo's vendor database only (load_demo --with-sources), read-only.
        demo = Path(settings.HIPWATCH_DEMO_SOURCES_DIR).resolve()
        database = Path(parsed.database or "").resolve()
        if parsed.database and database.is_relative_to(demo):
            return None
        return _("A SQLite database can only be the demo's, under %(dir)s.") % {"dir": demo}
    if parsed.drivername not in DRIVERS:
        return _("Unsupported driver %(driver)s: use one of %(drivers)s.") % {
            "driver": parsed.drivername,
            "drivers": ", ".join(DRIVERS),
        }
    if parsed.password:
        return _("Leave the password out of the URL: enter it in its own field.")
    return None


def query_problem(kind: str, query: str) -> str | None:
    """Why `query` cannot be a kind's query, or None: one SELECT (or WITH … SELECT),
    no second statement, and for a daily kind both `:start` and `:end`."""
    text = query.strip().rstrip(";").strip()
    if not _STATEMENT.match(text):
        return _("The query must be one SELECT statement.")
    if ";" in text:
        return _("The query must be one statement: remove the semicolons inside it.")
    if kind in ("uploads", "indicators", "quality") and not (
        re.search(r":start\b", text) and re.search(r":end\b", text)
    ):
        return _("The query must use the parameters :start and :end (the days to read).")
    return None


def _timed_out(exc: Exception) -> bool:
    """Whether the server cancelled the statement at its timeout (PostgreSQL's
    QueryCanceled, MariaDB's 1969, MySQL's 3024)."""
    orig = getattr(exc, "orig", None)
    code = orig.args[0] if orig is not None and orig.args else None
    return type(orig).__name__ == "QueryCanceled" or code in (1969, 3024)


def _plain(value):
    """A database value as the pipeline checks it: days as ISO text, whole
    decimals (MySQL's SUM) as integers, bytes decoded."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


class _Connection:
    """A connection and its engine, closed together."""

    def __init__(self, engine: sa.Engine, connection: sa.Connection):
        self.engine, self.connection = engine, connection

    def close(self) -> None:
        try:
            self.connection.close()
        finally:
            self.engine.dispose()


class SqlSource:
    """A platform's database, read with the officer's queries (`queries`: kind →
    SELECT), as a `PlatformSource` reads the HTTP interface: the same Fetched
    answers, the same SourceError and NoStatistics."""

    def __init__(
        self,
        url: str,
        password: str,
        queries: dict[str, str],
        *,
        timeout: int = 300,
        retries: int | None = None,
    ):
        conf = settings.HIPWATCH_PULL
        self.retries = conf["retries"] if retries is None else retries
        self.backoff, self.backoff_max = conf["backoff"], conf["backoff_max"]
        self.timeout = timeout
        self.queries = queries
        problem = url_problem(url)
        if problem:
            raise QueryRefused(problem)
        self.url = make_url(url).set(password=password or None)

    # What the database is asked, and how.

    def _engine(self) -> sa.Engine:
        backend = self.url.get_backend_name()
        connect_args: dict = {}
        if backend == "postgresql":
            connect_args = {
                "connect_timeout": int(settings.HIPWATCH_PULL["connect_timeout"]),
                # The whole session read-only and bounded: each statement is
                # cancelled by the server after the timeout.
                "options": f"-c default_transaction_read_only=on "
                f"-c statement_timeout={self.timeout * 1000}",
            }
        elif backend == "mysql":
            connect_args = {
                "connect_timeout": int(settings.HIPWATCH_PULL["connect_timeout"]),
                "read_timeout": self.timeout + 30,
                "charset": "utf8mb4",
            }
        elif backend == "mssql":
            connect_args = {"login_timeout": 10, "timeout": self.timeout}
        elif backend == "sqlite":
            path = Path(self.url.database).resolve()
            return sa.create_engine(
                "sqlite://",
                poolclass=NullPool,
                creator=lambda: sqlite3.connect(f"file:{path}?mode=ro", uri=True),
            )
        return sa.create_engine(self.url, poolclass=NullPool, connect_args=connect_args)

    def _prepare(self, connection: sa.Connection) -> None:
        """The session read-only and each statement bounded, on the servers that
        take it per session (PostgreSQL takes it at connection)."""
        backend = self.url.get_backend_name()
        if backend == "mysql":
            connection.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
            if connection.dialect.is_mariadb:
                connection.exec_driver_sql(f"SET SESSION max_statement_time = {self.timeout}")
            else:
                connection.exec_driver_sql(
                    f"SET SESSION max_execution_time = {self.timeout * 1000}"
                )
        elif backend == "oracle":
            connection.connection.driver_connection.call_timeout = self.timeout * 1000
        connection.rollback()

    def _connect(self) -> _Connection:
        engine = self._engine()
        try:
            connection = engine.connect()
            self._prepare(connection)
        except Exception:
            engine.dispose()
            raise
        return _Connection(engine, connection)

    def _read(self, connection: sa.Connection, query: str, params: dict):
        """One read in its own read-only transaction."""
        if self.url.get_backend_name() == "oracle":
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")  # per transaction
        result = connection.execute(sa.text(query), params)
        columns = [str(c).lower() for c in result.keys()]
        rows = [tuple(_plain(v) for v in row) for row in result]
        connection.rollback()
        return columns, rows

    def _once(self, query: str, params: dict) -> tuple[list[str], list[tuple]]:
        """The query on the connection held open by `sources_held` (one found
        dead is replaced at once) or on a new one."""
        key = held_key("sql", self.url.render_as_string(hide_password=False), str(self.timeout))
        held = held_take(key)
        if held is not None:
            try:
                answer = self._read(held.connection, query, params)
            except sa.exc.OperationalError as exc:
                held.close()
                if _timed_out(exc):
                    raise
            except Exception:
                held.close()
                raise
            else:
                held_return(key, held)
                return answer
        fresh = self._connect()
        try:
            answer = self._read(fresh.connection, query, params)
        except Exception:
            fresh.close()
            raise
        held_return(key, fresh)
        return answer

    def run(self, kind: str, params: dict) -> tuple[list[str], list[tuple]]:
        """The kind's query with `params`, retried on a transient fault (the
        connection refused or dropped, the statement cancelled at its timeout)."""
        query = self.queries.get(kind, "").strip()
        if not query:
            raise NotOffered(_("No query is set for %(kind)s.") % {"kind": kind})
        problem = query_problem(kind, query)
        if problem:
            raise QueryRefused(problem)
        query = query.rstrip(";")
        for attempt in range(self.retries + 1):
            try:
                return self._once(query, params)
            except sa.exc.OperationalError as exc:
                # Refused, dropped, timed out: transient. The message names the
                # driver's error class only (no host, user or statement).
                first_line = str(exc.orig or exc).splitlines()[0][:300]
                logger.warning("query %s failed (attempt %d): %s", kind, attempt + 1, first_line)
                if attempt == self.retries:
                    if _timed_out(exc):
                        raise SourceError(
                            _("The %(kind)s query ran past its timeout (%(seconds)d s).")
                            % {"kind": kind, "seconds": self.timeout}
                        ) from None
                    reason = type(exc.orig or exc).__name__
                    raise SourceError(
                        _("The platform's database did not answer the %(kind)s query: %(error)s")
                        % {"kind": kind, "error": reason}
                    ) from None
                time.sleep(min(self.backoff * 2**attempt, self.backoff_max))
            except sa.exc.DBAPIError as exc:
                # A wrong column or table, a permission refused: not transient.
                logger.warning("query %s refused: %s", kind, str(exc.orig).splitlines()[0][:300])
                raise SourceError(
                    _("The platform's database refused the %(kind)s query: %(error)s")
                    % {"kind": kind, "error": str(exc.orig).splitlines()[0][:300]}
                ) from None
            except sa.exc.SQLAlchemyError as exc:
                raise SourceError(
                    _("The platform's database refused the %(kind)s query: %(error)s")
                    % {"kind": kind, "error": str(exc).splitlines()[0][:300]}
                ) from None
        raise AssertionError("unreachable")

    def _fetched(self, kind: str, params: dict, columns: dict | None) -> Fetched:
        read_at = timezone.now()
        names, rows = self.run(kind, params)
        if columns is not None:
            missing = [c for c in columns if c not in names]
            unknown = [c for c in names if c not in columns]
            if missing or unknown:
                raise SourceError(
                    _(
                        "The %(kind)s query must return the columns %(wanted)s "
                        "(missing: %(missing)s; unknown: %(unknown)s)."
                    )
                    % {
                        "kind": kind,
                        "wanted": ", ".join(columns),
                        "missing": ", ".join(missing) or "—",
                        "unknown": ", ".join(unknown) or "—",
                    }
                )
        items = [(1, i, dict(zip(names, row, strict=True))) for i, row in enumerate(rows, 1)]
        return Fetched(read_at, items=items, pages=1)

    # The answers a pull asks for, as PlatformSource gives them.

    def measure_day(self, measure, day: dt.date, newer_than: dt.datetime | None = None) -> Fetched:
        """One day of a kind of measure (apps.measures): its query bound to that
        day, returning exactly the kind's columns."""
        return self._fetched(measure.name, {"start": day, "end": day}, measure.columns)

    def quality_rules(self) -> Fetched:
        return self._fetched("quality_rules", {}, None)

    def institutions(self) -> Fetched:
        return self._fetched("institutions", {}, None)
