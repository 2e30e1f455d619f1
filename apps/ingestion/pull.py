"""Pulling a platform: one day's measures of each kind, its quality rules or its
institutions, with a SyncRun recording what happened. One path serves every kind
of daily measure (apps.ingestion.kinds): the source's items checked, bad ones
refused with their reason, the day replaced whole and only by a newer read,
rows of unknown institutions or codes kept for review."""

from __future__ import annotations

import datetime as dt
import functools
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.tabular import FIRST_DAY, LAST_DAY
from apps.institutions.models import Institution
from apps.institutions.services import is_valid_org_code
from apps.measures.kinds import date_problem, rows_of_items
from apps.measures.pipeline import measure_replace_day
from apps.platforms.models import Connection, ConnectionStatus, Platform
from apps.platforms.services import connection_set_status
from apps.quality.services import RuleRow, parse_dimension, quality_rules_store, rule_problems

from .file_source import FileSource
from .kinds import BY_SYNC_KIND, Pulled
from .models import Backfill, OrgCodeAlias, PulledDay, SyncRun
from .source import NoStatistics, NotOffered, PlatformSource, SourceError
from .sql_source import SqlSource

logger = logging.getLogger(__name__)


def _source(platform: Platform):
    """The platform's source as its officers set it: the HTTP interface, its
    database or its folder, each answering the same questions (`measure_day`,
    `quality_rules`, `institutions`) with the same Fetched and SourceError."""
    if not platform.can_be_pulled:
        if platform.source == Platform.Source.HTTP:
            raise SourceError(_("The platform has no statistics interface URL and token."))
        raise SourceError(_("The platform's source is not set up."))
    if platform.source == Platform.Source.SQL:
        return SqlSource(
            platform.sql_url,
            platform.sql_password,
            platform.sql_queries,
            timeout=platform.sql_timeout,
        )
    if platform.source == Platform.Source.FILES:
        return FileSource(
            platform.files_location,
            private_key=platform.files_private_key,
            host_key=platform.files_host_key,
        )
    return PlatformSource(platform.api_url, platform.api_token)


def _finish(run: SyncRun, outcome: str, error: str = "") -> SyncRun:
    run.outcome, run.error, run.finished_at = outcome, error, timezone.now()
    run.save()
    return run


def known_codes(platform: Platform) -> dict[str, int]:
    """Institution id by the code a platform may send: the registry's codes and
    the aliases officers set for this platform."""
    known = dict(Institution.objects.values_list("org_code", "pk"))
    known.update(
        OrgCodeAlias.objects.filter(platform=platform).values_list("org_code", "institution_id")
    )
    return known


def sync_runs_mark_interrupted(*, platform: Platform, kind: str, day: dt.date | None) -> int:
    """Mark failed the runs of this platform, kind and day still "running" after
    `run_stale_after`: their worker was killed or its machine restarted, so they will
    never finish, and the sync log must not show them running for ever."""
    cutoff = timezone.now() - dt.timedelta(seconds=settings.HIPWATCH_PULL["run_stale_after"])
    return SyncRun.objects.filter(
        platform=platform,
        kind=kind,
        day=day,
        outcome=SyncRun.Outcome.RUNNING,
        started_at__lt=cutoff,
    ).update(
        outcome=SyncRun.Outcome.FAILED,
        finished_at=timezone.now(),
        error=_("Interrupted: the worker stopped before the pull finished."),
    )


def platform_pull_measure(
    *,
    platform: Platform,
    day: dt.date,
    kind: str,
    trigger: str = SyncRun.Trigger.COMMAND,
    user=None,
    backfill: Backfill | None = None,
) -> SyncRun:
    """Pull one day of one kind of daily measure (`kind`: the sync log's). The day
    is replaced as a whole, every row of it or none, and only by a newer read
    (`generated_at`); bad items are refused with their reason and the rest is
    stored; rows of unknown institutions or codes wait for review."""
    pulled = BY_SYNC_KIND[kind]
    sync_runs_mark_interrupted(platform=platform, kind=kind, day=day)
    run = SyncRun.objects.create(
        platform=platform,
        kind=kind,
        day=day,
        trigger=trigger,
        started_by=user,
        backfill=backfill,
    )
    if not FIRST_DAY <= day <= LAST_DAY:
        return _finish(
            run,
            SyncRun.Outcome.FAILED,
            _("The day %(day)s is outside the years %(first)d–%(last)d.")
            % {"day": day.isoformat(), "first": FIRST_DAY.year, "last": LAST_DAY.year},
        )
    stored_version, stored_hash = (
        PulledDay.objects.filter(platform=platform, kind=kind, day=day)
        .values_list("generated_at", "content_hash")
        .first()
    ) or (None, "")
    try:
        fetched = _source(platform).measure_day(pulled.measure, day, newer_than=stored_version)
    except (NoStatistics, NotOffered) as exc:
        return _finish(run, SyncRun.Outcome.NO_DATA, str(exc))
    except SourceError as exc:
        return _finish(run, SyncRun.Outcome.FAILED, str(exc))
    run.generated_at, run.pages = fetched.generated_at, fetched.pages
    if fetched.stale or (fetched.content_hash and fetched.content_hash == stored_hash):
        return _finish(run, SyncRun.Outcome.SKIPPED)
    try:
        _store_day(pulled, run, platform, day, fetched)
    except Exception as exc:  # a bug or a database outage: the day is rolled back
        logger.exception("storing %s %s %s failed", kind, platform.code, day)
        return _finish(run, SyncRun.Outcome.FAILED, f"{type(exc).__name__}: {exc}")
    if run.outcome == SyncRun.Outcome.SUCCESS and pulled.recheck_waiting:
        from .review import waiting_store

        waiting_store(pulled, platform=platform)
    return run


# The nightly pull's three kinds (tasks, commands and tests call them by name).
platform_pull_day = functools.partial(platform_pull_measure, kind=SyncRun.Kind.UPLOADS)
platform_pull_indicators = functools.partial(platform_pull_measure, kind=SyncRun.Kind.INDICATORS)
platform_pull_quality = functools.partial(platform_pull_measure, kind=SyncRun.Kind.QUALITY)


def check_quality_rule_item(item) -> tuple[str | None, RuleRow | None]:
    """A /quality-rules item as a rule, or the reason it cannot be one."""
    if not isinstance(item, dict):
        return _("not an object"), None
    code, name = item.get("code"), item.get("name")
    table = item.get("table_code") or ""
    description = item.get("description") or ""
    dimension = item.get("dimension")
    if not all(isinstance(v, str) for v in (code, name, table, description, dimension)):
        return _("code, name and dimension must be text"), None
    problems = rule_problems(code, name, parse_dimension(dimension), table, dimension)
    if problems:
        return " ".join(problems), None
    return None, RuleRow(code, name.strip(), parse_dimension(dimension), table, description)


def platform_pull_quality_rules(
    *,
    platform: Platform,
    trigger: str = SyncRun.Trigger.COMMAND,
    user=None,
    backfill: Backfill | None = None,
) -> SyncRun:
    """Bring the platform's rules up to date from /quality-rules (new ones added,
    changed ones updated, the others kept), then store the results that waited for
    a rule now listed. Malformed rules are refused with their reason."""
    from .review import waiting_store

    sync_runs_mark_interrupted(platform=platform, kind=SyncRun.Kind.QUALITY_RULES, day=None)
    run = SyncRun.objects.create(
        platform=platform,
        kind=SyncRun.Kind.QUALITY_RULES,
        trigger=trigger,
        started_by=user,
        backfill=backfill,
    )
    try:
        fetched = _source(platform).quality_rules()
    except NotOffered as exc:
        return _finish(run, SyncRun.Outcome.NO_DATA, str(exc))
    except NoStatistics:  # a platform without the quality interface
        return _finish(run, SyncRun.Outcome.NO_DATA, _("The platform has no quality rules (404)."))
    except SourceError as exc:
        return _finish(run, SyncRun.Outcome.FAILED, str(exc))
    run.generated_at, run.pages = fetched.generated_at, fetched.pages
    rules: dict[str, RuleRow] = {}
    for page, index, item in fetched.items:
        reason, rule = check_quality_rule_item(item)
        if reason is None and rule.code in rules:
            reason = _("the same rule twice")
        if reason:
            _reject(run, page, index, item, reason)
            continue
        rules[rule.code] = rule
    run.rows_rejected = len(run.rejections)
    try:
        with transaction.atomic():
            result = quality_rules_store(platform=platform, rows=list(rules.values()))
            run.rows_stored = result.created + result.updated
            waiting_store(BY_SYNC_KIND[SyncRun.Kind.QUALITY], platform=platform)
    except Exception as exc:
        logger.exception("storing the quality rules of %s failed", platform.code)
        return _finish(run, SyncRun.Outcome.FAILED, f"{type(exc).__name__}: {exc}")
    return _finish(run, SyncRun.Outcome.SUCCESS)


def _reject(run: SyncRun, page: int, index: int, item, reason: str) -> None:
    run.rejections.append(
        {
            "page": page,
            "item": index,
            "reason": reason,
            "data": item if isinstance(item, dict) else repr(item),
        }
    )


def _newer_than_stored(platform: Platform, kind: str, day: dt.date, generated_at) -> bool:
    """Under the day's lock: whether `generated_at` is newer than what is stored
    (a concurrent pull may have stored a newer version meanwhile)."""
    pulled = (
        PulledDay.objects.select_for_update().filter(platform=platform, kind=kind, day=day).first()
    )
    return pulled is None or pulled.generated_at < generated_at


def _store_day(pulled: Pulled, run: SyncRun, platform: Platform, day: dt.date, fetched) -> SyncRun:
    """Store a pulled day of `pulled`'s kind: the storable rows replace the day;
    those of unknown institutions or of codes the kind's catalogue lacks wait in
    its review queue, replacing what waited for the day."""
    measure = pulled.measure
    known = known_codes(platform)
    catalogue = measure.catalogue(platform) if measure.catalogue else None
    rows, waiting = [], []
    reject = functools.partial(_reject, run)
    for page, index, item, reason in fetched.refused:
        reject(page, index, item, reason)
    for row in rows_of_items(measure, fetched.items, day, known, reject):
        ready = row.org_code in known and (catalogue is None or measure.code_of(row) in catalogue)
        (rows if ready else waiting).append(row)
    run.rows_rejected = len(run.rejections)
    run.unknown_codes = len({r.org_code for r in waiting if r.org_code not in known})
    if catalogue is not None:
        run.unknown_codes += len(
            {measure.code_of(r) for r in waiting if measure.code_of(r) not in catalogue}
        )

    with transaction.atomic():
        if not _newer_than_stored(platform, run.kind, day, fetched.generated_at):
            return _finish(run, SyncRun.Outcome.SKIPPED)
        measure_replace_day(
            measure,
            platform=platform,
            day=day,
            rows=rows,
            institution_ids={r.org_code: known[r.org_code] for r in rows},
            code_ids=catalogue,
        )
        pulled.waiting.objects.filter(platform=platform, day=day).delete()
        pulled.waiting.objects.bulk_create(
            pulled.waiting(
                platform=platform,
                day=day,
                org_code=r.org_code,
                generated_at=fetched.generated_at,
                run=run,
                **{measure.code: measure.code_of(r)},
                **dict(zip(measure.value_names, measure.values_of(r), strict=True)),
            )
            for r in waiting
        )
        PulledDay.objects.update_or_create(
            platform=platform,
            kind=run.kind,
            day=day,
            defaults={
                "generated_at": fetched.generated_at,
                "content_hash": fetched.content_hash,
                "run": run,
            },
        )
        run.rows_stored = len(rows)
        return _finish(run, SyncRun.Outcome.SUCCESS)


def check_institution_item(item) -> str | None:
    if not isinstance(item, dict):
        return _("not an object")
    if not isinstance(item.get("org_code"), str) or not is_valid_org_code(item["org_code"]):
        return _("bad or missing org_code")
    if item.get("status") not in ConnectionStatus.values:
        return _("unknown status")
    for name in ("connected_since", "front_server_last_seen"):
        value = item.get(name)
        if value is None:
            continue
        problem = date_problem(name, value, time=name == "front_server_last_seen")
        if problem:
            return problem
    return None


def platform_pull_institutions(
    *,
    platform: Platform,
    trigger: str = SyncRun.Trigger.COMMAND,
    user=None,
    backfill: Backfill | None = None,
) -> SyncRun:
    """Update connection statuses and heartbeats from /institutions; a status
    enters the history only when it changed."""
    sync_runs_mark_interrupted(platform=platform, kind=SyncRun.Kind.INSTITUTIONS, day=None)
    run = SyncRun.objects.create(
        platform=platform,
        kind=SyncRun.Kind.INSTITUTIONS,
        trigger=trigger,
        started_by=user,
        backfill=backfill,
    )
    try:
        fetched = _source(platform).institutions()
    except NotOffered as exc:  # a source without connection statuses (a folder)
        return _finish(run, SyncRun.Outcome.NO_DATA, str(exc))
    except SourceError as exc:
        return _finish(run, SyncRun.Outcome.FAILED, str(exc))
    run.generated_at, run.pages = fetched.generated_at, fetched.pages
    by_pk = {i.pk: i for i in Institution.objects.all()}
    institutions = {code: by_pk[pk] for code, pk in known_codes(platform).items()}
    last_change = {
        c.institution_id: c
        for c in Connection.objects.filter(platform=platform).prefetch_related("changes")
    }
    unknown = set()
    changed = 0
    with transaction.atomic():
        for page, index, item in fetched.items:
            reason = check_institution_item(item)
            if reason:
                _reject(run, page, index, item, reason)
                continue
            institution = institutions.get(item["org_code"])
            if institution is None:
                unknown.add(item["org_code"])
                continue
            since = fetched.generated_at.astimezone(timezone.get_current_timezone()).date()
            reported = item.get("connected_since")
            connection = last_change.get(institution.pk)
            latest = (
                max((c.effective_date for c in connection.changes.all()), default=None)
                if connection
                else None
            )
            if item["status"] == ConnectionStatus.CONNECTED and reported:
                reported_day = dt.date.fromisoformat(reported)
                if latest is None or reported_day > latest:
                    since = reported_day
            heartbeat = item.get("front_server_last_seen")
            if connection_set_status(
                institution=institution,
                platform=platform,
                status=item["status"],
                since=since,
                source=_("pull %(run)d") % {"run": run.pk},
                front_server_last_seen=dt.datetime.fromisoformat(heartbeat) if heartbeat else None,
            ):
                changed += 1
        run.rows_stored = changed
        run.rows_rejected = len(run.rejections)
        run.unknown_codes = len(unknown)
        if unknown:
            run.rejections += [
                {"reason": _("unknown institution"), "data": {"org_code": code}}
                for code in sorted(unknown)
            ]
        return _finish(run, SyncRun.Outcome.SUCCESS)
