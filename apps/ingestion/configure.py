"""A platform's source as its officers keep it: the settings (saved, audited, the
secret never shown back) and the connection test."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.alerts import services as alerts
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.platforms.models import TOKEN_FOR_THE_ADDRESS, ConnectionStatus, Platform

from .file_source import NAME as FILE_NAME
from .models import SyncRun
from .pull import known_codes
from .source import PlatformSource, SourceError


@dataclass(frozen=True)
class ConnectionTest:
    """What `/institutions` answered: ok, or the reason it did not."""

    ok: bool
    message: str
    institutions: int = 0
    known: int = 0
    by_status: dict[str, int] | None = None


class TokenNeeded(Exception):
    """A test or a save that would send the stored token to another address than
    the stored one (or a test without any token)."""


def platform_test_connection(
    *, platform: Platform, api_url: str, api_token: str | None, user
) -> ConnectionTest:
    """Ask the interface at `api_url` for its institutions, once, and say what it
    found: how many, how many the registry knows, by status. Stores nothing but
    the audit row (the address, whether it answered; never the token).

    `api_token` None sends the stored token, which goes only to the stored address:
    for any other, TokenNeeded, and nothing is sent. Whatever went wrong (no
    answer, a refusal, an HTTP error, a malformed answer), the message is the same,
    so that the test cannot tell an officer which internal addresses and ports
    exist; the pulls' own log keeps the details."""
    api_url = api_url.rstrip("/")
    if api_token is None:
        if api_url and platform.api_token and not platform.sends_token_to(api_url):
            raise TokenNeeded(TOKEN_FOR_THE_ADDRESS)
        api_token = platform.api_token
    if not api_url or not api_token:
        raise TokenNeeded(_("Enter the interface URL and token to test the connection."))
    try:
        fetched = PlatformSource(api_url, api_token, retries=0).institutions()
    except SourceError:
        tested = ConnectionTest(False, _("The platform did not answer as expected."))
    else:
        tested = _connection_found(platform, fetched)
    # Not atomic on purpose: no transaction is held open while the platform is asked.
    audit_record(
        action=AuditEvent.Action.PLATFORM_TESTED,
        actor=user,
        obj=platform,
        region=platform.region,
        details={"api_url": api_url, "answered": tested.ok},
    )
    return tested


def _connection_found(platform: Platform, fetched) -> ConnectionTest:
    items = [item for _page, _index, item in fetched.items if isinstance(item, dict)]
    # str(): an item's values may be anything JSON holds, lists included.
    codes = {str(item.get("org_code")) for item in items}
    known = len(codes & set(known_codes(platform)))
    labels = dict(ConnectionStatus.choices)
    by_status: dict[str, int] = {}
    for item in items:
        status = str(item.get("status"))
        label = str(labels.get(status, status))
        by_status[label] = by_status.get(label, 0) + 1
    generated = timezone.localtime(fetched.generated_at).strftime("%Y-%m-%d %H:%M")
    return ConnectionTest(
        True,
        _(
            "The platform answered: %(n)d institutions (%(known)d of them in the registry), "
            "generated at %(when)s."
        )
        % {"n": len(items), "known": known, "when": generated},
        institutions=len(items),
        known=known,
        by_status=by_status,
    )


@transaction.atomic
def platform_settings_save(
    *, platform: Platform, api_url: str, api_token: str | None, silent_after_days: int, user
) -> bool:
    """The interface settings officers keep on the platform's page: URL, token
    (None keeps the stored one: it is never shown back) and the days without
    records that make an institution silent. Audited without the token's value.
    Returns whether anything changed. A new address with the stored token kept
    raises TokenNeeded: the stored token is sent only to the address it came with."""
    changes: dict = {}
    api_url = api_url.rstrip("/")
    if (
        api_token is None
        and api_url
        and platform.api_token
        and not platform.sends_token_to(api_url)
    ):
        raise TokenNeeded(TOKEN_FOR_THE_ADDRESS)
    if api_url != platform.api_url:
        changes["api_url"] = {"old": platform.api_url, "new": api_url}
        platform.api_url = api_url
    if api_token is not None and api_token != platform.api_token:
        changes["api_token"] = _("changed")
        platform.api_token = api_token
    before = alerts.silent_after_days(platform)
    if silent_after_days != before:
        changes["silent_after_days"] = {"old": before, "new": silent_after_days}
        alerts.silent_after_days_set(platform=platform, days=silent_after_days)
    if not changes:
        return False
    platform.save(update_fields=["api_url", "api_token"])
    audit_record(
        action=AuditEvent.Action.REGISTRY_CHANGED,
        actor=user,
        obj=platform,
        region=platform.region,
        details=changes,
    )
    return True


class SourceRefused(Exception):
    """Source settings that cannot be saved, each problem named."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def source_problems(
    *,
    source: str,
    sql_url: str = "",
    sql_queries: dict[str, str] | None = None,
    sql_timeout: int = 300,
    files_location: str = "",
) -> list[str]:
    """What is wrong with a platform's source settings; [] if nothing."""
    from .file_source import location_problem
    from .sql_source import QUERY_KINDS, query_problem, url_problem

    problems = []
    if source == Platform.Source.SQL:
        problem = url_problem(sql_url) if sql_url else _("Enter the database URL.")
        if problem:
            problems.append(problem)
        queries = {k: q for k, q in (sql_queries or {}).items() if q.strip()}
        if not queries:
            problems.append(_("Enter at least one query (uploads, indicators, quality …)."))
        for kind, query in queries.items():
            if kind not in QUERY_KINDS:
                problems.append(_("Unknown kind of query: %(kind)s.") % {"kind": kind})
            elif problem := query_problem(kind, query):
                problems.append(f"{kind}: {problem}")
        if not 1 <= sql_timeout <= 3600:
            problems.append(_("The timeout is between 1 and 3600 seconds."))
    elif source == Platform.Source.FILES:
        problem = location_problem(files_location) if files_location else _("Enter the folder.")
        if problem:
            problems.append(problem)
    elif source != Platform.Source.HTTP:
        problems.append(_("Unknown kind of source: %(kind)s.") % {"kind": source})
    return problems


@transaction.atomic
def platform_source_save(
    *,
    platform: Platform,
    source: str,
    user,
    sql_url: str = "",
    sql_password: str | None = None,
    sql_queries: dict[str, str] | None = None,
    sql_timeout: int = 300,
    files_location: str = "",
    files_private_key: str | None = None,
    files_host_key: str | None = None,
) -> bool:
    """Choose and set where a platform's pulls read (platform-api.md): `http`, `sql`
    or `files`. Secrets (the database password, the SFTP private key) are
    write-only: None keeps the stored one, and none is ever audited or shown. The
    settings of the kinds not chosen are kept. Refused (SourceRefused) with every
    problem named; audited when anything changed. Returns whether it did."""
    problems = source_problems(
        source=source,
        sql_url=sql_url,
        sql_queries=sql_queries,
        sql_timeout=sql_timeout,
        files_location=files_location,
    )
    if problems:
        raise SourceRefused(problems)
    changes: dict = {}
    fields = {"source": source}
    if source == Platform.Source.SQL:
        fields |= {
            "sql_url": sql_url.strip(),
            "sql_queries": {k: q.strip() for k, q in (sql_queries or {}).items() if q.strip()},
            "sql_timeout": sql_timeout,
        }
    elif source == Platform.Source.FILES:
        location = files_location.strip()
        if location != platform.files_location and files_host_key is None:
            files_host_key = ""  # another server: its host key is confirmed anew
        fields["files_location"] = location
        if files_host_key is not None:
            fields["files_host_key"] = files_host_key.strip()
    for name, value in fields.items():
        if getattr(platform, name) != value:
            changes[name] = {"old": getattr(platform, name), "new": value}
            setattr(platform, name, value)
    for name, secret in (("sql_password", sql_password), ("files_private_key", files_private_key)):
        if secret is not None and secret != getattr(platform, name):
            changes[name] = _("changed")
            setattr(platform, name, secret)
    if not changes:
        return False
    platform.save()
    audit_record(
        action=AuditEvent.Action.REGISTRY_CHANGED,
        actor=user,
        obj=platform,
        region=platform.region,
        details=changes,
    )
    return True


# ---------------------------------------------------------------------------
# Testing a database or a folder
# ---------------------------------------------------------------------------

PREVIEW_ROWS = 10


@dataclass
class KindRead:
    """What one kind's query or file gave: how many rows, the first ones as the
    portal reads them, each with its problem ("" when it would be stored)."""

    kind: str
    label: str
    rows: int = 0
    columns: list[str] | None = None
    preview: list[tuple[list, str]] | None = None
    error: str = ""
    file: str = ""


@dataclass
class SourceTest:
    ok: bool
    message: str
    reads: list[KindRead]
    strangers: list[str] | None = None
    offered_host_key: str = ""
    fingerprint: str = ""


class SecretNeeded(Exception):
    """A test that would send the stored password or key elsewhere than where it
    was stored for."""


def _reads_of(fetched, label: str, kind: str, check) -> KindRead:
    items = [item for _page, _index, item in fetched.items]
    columns = list(items[0]) if items and isinstance(items[0], dict) else []
    preview = [
        ([item.get(c) for c in columns] if isinstance(item, dict) else [item], check(item) or "")
        for item in items[:PREVIEW_ROWS]
    ]
    preview += [
        ([], f"{_('Row %(row)d: ') % {'row': index}}{reason}")
        for _page, index, _item, reason in fetched.refused[:PREVIEW_ROWS]
    ]
    return KindRead(kind, label, len(items) + len(fetched.refused), columns, preview)


def platform_source_test(
    *,
    platform: Platform,
    source: str,
    user,
    sql_url: str = "",
    sql_password: str | None = None,
    sql_queries: dict[str, str] | None = None,
    sql_timeout: int = 300,
    files_location: str = "",
    files_private_key: str | None = None,
    files_host_key: str = "",
    day=None,
) -> SourceTest:
    """Read what the pulls would read for `day` (default: yesterday) with these
    settings — each query run, or each kind's latest file read — and show the
    first rows as the portal reads them, with their problems. Writes nothing but
    the audit row (where, whether it answered; never a secret). A stored secret
    goes only where it was stored for: elsewhere, SecretNeeded."""
    from apps.measures.kinds import item_problem

    from .file_source import FileSource, fingerprint
    from .kinds import PULLED
    from .pull import check_institution_item, check_quality_rule_item
    from .sql_source import SqlSource

    day = day or timezone.localdate() - dt.timedelta(days=1)
    problems = source_problems(
        source=source,
        sql_url=sql_url,
        sql_queries=sql_queries,
        sql_timeout=sql_timeout,
        files_location=files_location,
    )
    if problems:
        raise SourceRefused(problems)
    reads: list[KindRead] = []
    result = SourceTest(True, "", reads)
    if source == Platform.Source.SQL:
        if sql_password is None:
            if platform.sql_password and sql_url.strip() != platform.sql_url:
                raise SecretNeeded(
                    _(
                        "Type the password for this database: the stored one is only sent to the stored URL."
                    )
                )
            sql_password = platform.sql_password
        reader = SqlSource(
            sql_url.strip(), sql_password, sql_queries or {}, timeout=sql_timeout, retries=0
        )
        where = sql_url.strip()
        asks = [
            (
                p.measure.name,
                str(SyncRun.Kind(p.sync_kind).label),
                lambda r, p=p: r.measure_day(p.measure, day),
                lambda item, p=p: item_problem(p.measure, item, day),
            )
            for p in PULLED
        ] + [
            (
                "quality_rules",
                _("Data quality rules"),
                lambda r: r.quality_rules(),
                lambda item: check_quality_rule_item(item)[0],
            ),
            (
                "institutions",
                _("Institutions and connection statuses"),
                lambda r: r.institutions(),
                check_institution_item,
            ),
        ]
        asks = [a for a in asks if (sql_queries or {}).get(a[0], "").strip()]
    else:
        if files_private_key is None:
            if platform.files_private_key and files_location.strip() != platform.files_location:
                raise SecretNeeded(
                    _(
                        "Paste the private key for this folder: the stored one is only used for the stored folder."
                    )
                )
            files_private_key = platform.files_private_key
        reader = FileSource(
            files_location.strip(),
            private_key=files_private_key,
            host_key=files_host_key,
            retries=0,
        )
        where = files_location.strip()
        asks = []
    try:
        if source == Platform.Source.FILES:
            entries = reader.listing()
            result.offered_host_key = reader.offered_host_key
            names = sorted(e.name for e in entries)
            result.strangers = [n for n in names if not FILE_NAME.match(n.removesuffix(".ok"))]
            for p in PULLED:
                latest = max(
                    (n for n in names if n.startswith(p.measure.name + "-") and FILE_NAME.match(n)),
                    default=None,
                )
                if latest is None:
                    reads.append(
                        KindRead(
                            p.measure.name,
                            str(SyncRun.Kind(p.sync_kind).label),
                            error=_("No file yet."),
                        )
                    )
                    continue
                on = dt.date.fromisoformat(FILE_NAME.match(latest)[2])
                try:
                    fetched = reader.measure_day(p.measure, on)
                except SourceError as exc:
                    reads.append(
                        KindRead(
                            p.measure.name,
                            str(SyncRun.Kind(p.sync_kind).label),
                            error=str(exc),
                            file=latest,
                        )
                    )
                    continue
                read = _reads_of(
                    fetched,
                    str(SyncRun.Kind(p.sync_kind).label),
                    p.measure.name,
                    lambda item, p=p, on=on: item_problem(p.measure, item, on),
                )
                read.file = latest
                reads.append(read)
        for kind, label, ask, check in asks:
            try:
                reads.append(_reads_of(ask(reader), label, kind, check))
            except SourceError as exc:
                reads.append(KindRead(kind, label, error=str(exc)))
    except SourceError as exc:
        result.ok, result.message = False, str(exc)
    else:
        failed = [r for r in reads if r.error and r.error != _("No file yet.")]
        result.ok = not failed
        result.message = (
            _("Read: %(kinds)s.")
            % {"kinds": "、".join(f"{r.label} {r.rows}" for r in reads if not r.error)}
            if result.ok
            else _("%(n)d of the reads failed: see below.") % {"n": len(failed)}
        )
    if result.offered_host_key and not files_host_key:
        result.fingerprint = fingerprint(result.offered_host_key)
    audit_record(
        action=AuditEvent.Action.PLATFORM_TESTED,
        actor=user,
        obj=platform,
        region=platform.region,
        details={"source": source, "where": where, "answered": result.ok},
    )
    return result
