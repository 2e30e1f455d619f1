"""The platform's statistics interface (platform-api.md) over HTTP.

Retries are urllib3's: on 429, 503, other 5xx and dropped connections, honouring
`Retry-After` (capped), otherwise exponential backoff (capped), and a bounded total.
The token travels in the Authorization header only; no message here contains it.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import hashlib
from dataclasses import dataclass, field

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


class SourceError(Exception):
    """The platform could not be read; the message says why (in Chinese)."""


class NoStatistics(SourceError):
    """404: the platform has no statistics for that day."""


class NotOffered(SourceError):
    """The kind of source cannot answer this question (a folder has no
    connection statuses): nothing to pull, nothing failed."""


# Connections kept open from one read to the next (`sources_held`): key → an
# object with `close()`. None outside the scope: each read opens and closes its own.
_held: contextvars.ContextVar[dict | None] = contextvars.ContextVar("held_sources", default=None)


@contextlib.contextmanager
def sources_held():
    """Within it, a source's connection (a database connection, an SFTP session)
    is kept open from one read to the next and closed at the end: a night or a
    backfill reads its days over one connection instead of one per day and kind.
    A held connection found dead is replaced at once (not counted as a retry)."""
    if _held.get() is not None:
        yield
        return
    held: dict = {}
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        for connection in held.values():
            with contextlib.suppress(Exception):
                connection.close()


def held_key(*parts: str) -> str:
    """A key naming a connection by its settings (secrets hashed, never kept)."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def held_take(key: str):
    """The connection held under `key`, now the caller's (None if none is held)."""
    held = _held.get()
    return held.pop(key, None) if held is not None else None


def held_return(key: str, connection) -> None:
    """Give a connection back after a read: held for the next one inside the
    scope, closed outside it."""
    held = _held.get()
    if held is None or key in held:
        connection.close()
    else:
        held[key] = connection


class CappedRetry(Retry):
    """A Retry-After longer than the cap waits only the cap: a night's pulls must end."""

    def get_retry_after(self, response):
        seconds = super().get_retry_after(response)
        if seconds is None:
            return None
        return min(seconds, settings.HIPWATCH_PULL["retry_after_max"])


@dataclass
class Fetched:
    generated_at: dt.datetime
    items: list[tuple[int, int, object]] = field(default_factory=list)  # (page, index, item)
    pages: int = 0
    stale: bool = False  # not newer than what is stored: the other pages were not read
    # Items the source itself could not read (a file's malformed row): (page,
    # index, what is known of it, the reason), refused like the others.
    refused: list[tuple[int, int, object, str]] = field(default_factory=list)
    # A file's content hash: the same file read again is not a newer version.
    content_hash: str = ""


def _parse_time(text) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else None


class PlatformSource:
    def __init__(self, base_url: str, token: str, *, retries: int | None = None):
        """`retries` (default: the pull's setting) 0 asks once: an officer testing the
        connection wants the answer now, not after the night's back-off."""
        conf = settings.HIPWATCH_PULL
        retries = conf["retries"] if retries is None else retries
        retry = CappedRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=conf["backoff"],
            backoff_max=conf["backoff_max"],
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.base_url = base_url.rstrip("/")
        self.timeout = (conf["connect_timeout"], conf["read_timeout"])

    def _get(self, path: str, params: dict) -> dict:
        url = f"{self.base_url}{path}"
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SourceError(
                _("The platform did not answer %(path)s: %(error)s")
                % {"path": path, "error": type(exc).__name__}
            ) from None
        if response.status_code == 404:
            raise NoStatistics(_("The platform has no statistics for this day (404)."))
        if response.status_code == 401:
            raise SourceError(_("The platform refused the token (401)."))
        if response.status_code != 200:
            raise SourceError(
                _("The platform answered %(path)s with HTTP %(status)d.")
                % {"path": path, "status": response.status_code}
            )
        try:
            body = response.json()
        except ValueError:
            raise SourceError(
                _("The platform's answer to %(path)s is not JSON.") % {"path": path}
            ) from None
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise SourceError(
                _("The platform's answer to %(path)s has no item list.") % {"path": path}
            )
        if not isinstance(body.get("pages"), int) or body["pages"] < 0:
            raise SourceError(
                _("The platform's answer to %(path)s has no page count.") % {"path": path}
            )
        if _parse_time(body.get("generated_at")) is None:
            raise SourceError(
                _("The platform's answer to %(path)s has no valid generated_at.") % {"path": path}
            )
        return body

    def _all_pages(self, path: str, params: dict, newer_than=None) -> Fetched:
        """Every page of one `generated_at`. If the platform republishes while we
        page, start again (a bounded number of times): pages of two versions must
        not be mixed. With `newer_than`, a version that is not newer stops after
        its first page (`Fetched.stale`): nothing to store, nothing more to read."""
        for _attempt in range(3):
            first = self._get(path, {**params, "page": 1})
            fetched = Fetched(_parse_time(first["generated_at"]), pages=max(first["pages"], 1))
            if newer_than is not None and fetched.generated_at <= newer_than:
                fetched.stale = True
                return fetched
            fetched.items += [(1, i, item) for i, item in enumerate(first["items"])]
            consistent = True
            for page in range(2, first["pages"] + 1):
                body = self._get(path, {**params, "page": page})
                if _parse_time(body["generated_at"]) != fetched.generated_at:
                    consistent = False
                    break
                fetched.items += [(page, i, item) for i, item in enumerate(body["items"])]
            if consistent:
                return fetched
        raise SourceError(_("The platform kept republishing while it was being read."))

    # The interface's path for each kind of daily measure (apps.measures).
    PATHS = {
        "uploads": "/upload-stats",
        "indicators": "/indicator-stats",
        "quality": "/quality-stats",
    }

    def measure_day(self, measure, day: dt.date, newer_than: dt.datetime | None = None) -> Fetched:
        """Every item of one day of one kind of measure (apps.measures)."""
        return self._all_pages(self.PATHS[measure.name], {"date": day.isoformat()}, newer_than)

    def quality_rules(self) -> Fetched:
        return self._all_pages("/quality-rules", {})

    def institutions(self) -> Fetched:
        return self._all_pages("/institutions", {})
