"""Pulling a platform: one day's statistics, or its institutions, into the
registry and the statistics, with a SyncRun recording what happened."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.alerts import services as alerts
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.core.tabular import FIRST_DAY, LAST_DAY, MAX_COUNT
from apps.indicators.models import Indicator
from apps.indicators.services import IndicatorRow, indicators_replace_day, is_valid_indicator_code
from apps.institutions.models import Institution
from apps.institutions.services import is_valid_org_code
from apps.platforms.models import TOKEN_FOR_THE_ADDRESS, Connection, ConnectionStatus, Platform
from apps.platforms.services import connection_set_status, is_valid_table_code
from apps.quality.models import QualityRule
from apps.quality.services import (
    QualityRow,
    RuleRow,
    is_valid_rule_code,
    parse_dimension,
    quality_replace_day,
    quality_rules_store,
    rule_problems,
)
from apps.uploads.services import UploadRow, uploads_replace_day

from .models import (
    Backfill,
    OrgCodeAlias,
    PulledDay,
    SyncRun,
    UnknownIndicatorValue,
    UnknownQualityValue,
    UnknownUpload,
)
from .source import NoStatistics, PlatformSource, SourceError

logger = logging.getLogger(__name__)


# A night's items repeat a few thousand codes a hundred times each: each is checked once.
_org_ok = functools.lru_cache(maxsize=65_536)(is_valid_org_code)
_table_ok = functools.lru_cache(maxsize=65_536)(is_valid_table_code)


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT


def _date_problem(name: str, value, *, time: bool = False) -> str | None:
    """Why `value`, an item's `name`, is not a day (with `time`, a moment) of the
    years rows may be dated; None if it is one. Another year would be stored as sent
    and break the date arithmetic after it (a heartbeat in 9999 does not survive its
    conversion to UTC, nor a day in December 9999 the month after it)."""
    try:
        moment = (dt.datetime if time else dt.date).fromisoformat(value)
    except (TypeError, ValueError):
        return _("bad %(field)s") % {"field": name}
    if not FIRST_DAY.year <= moment.year <= LAST_DAY.year:
        return _("%(field)s %(value)s is outside the years %(first)d–%(last)d") % {
            "field": name,
            "value": value,
            "first": FIRST_DAY.year,
            "last": LAST_DAY.year,
        }
    return None


def _item_day_problem(item: dict, day: dt.date) -> str | None:
    """A day's items are of the day asked and need not say so; an item that says its
    day (`date`, as the rows of a file or a database view do) must say that one."""
    if "date" not in item:
        return None
    problem = _date_problem("date", item["date"])
    if problem is None and dt.date.fromisoformat(item["date"]) != day:
        problem = _("dated %(date)s, not the day asked (%(day)s)") % {
            "date": item["date"],
            "day": day.isoformat(),
        }
    return problem


def check_upload_item(item, day: dt.date) -> str | None:
    """Why an /upload-stats item of `day` cannot be stored, or None if it can."""
    if not isinstance(item, dict):
        return _("not an object")
    org, table = item.get("org_code"), item.get("table_code")
    if not isinstance(org, str) or not _org_ok(org):
        return _("bad or missing org_code")
    if not isinstance(table, str) or not _table_ok(table):
        return _("bad or missing table_code")
    for name in ("records", "rejected"):
        if name not in item:
            return _("missing %(field)s") % {"field": name}
        if not _count(item[name]):
            return _("%(field)s is not a whole number of 0 or more") % {"field": name}
    return _item_day_problem(item, day)


def check_indicator_item(item, day: dt.date) -> str | None:
    """Why an /indicator-stats item of `day` cannot be stored, or None if it can. A
    well-formed indicator code the catalogue lacks is not a reason: such items wait
    for review."""
    if not isinstance(item, dict):
        return _("not an object")
    org, code = item.get("org_code"), item.get("indicator")
    if not isinstance(org, str) or not _org_ok(org):
        return _("bad or missing org_code")
    if not isinstance(code, str) or not is_valid_indicator_code(code):
        return _("bad or missing indicator")
    if "value" not in item:
        return _("missing %(field)s") % {"field": "value"}
    if not _count(item["value"]):
        return _("%(field)s is not a whole number of 0 or more") % {"field": "value"}
    return _item_day_problem(item, day)


def check_quality_item(item, day: dt.date) -> str | None:
    """Why a /quality-stats item of `day` cannot be stored, or None if it can. A well-formed
    rule code /quality-rules did not list is not a reason: such items wait."""
    if not isinstance(item, dict):
        return _("not an object")
    org, rule = item.get("org_code"), item.get("rule")
    if not isinstance(org, str) or not _org_ok(org):
        return _("bad or missing org_code")
    if not isinstance(rule, str) or not is_valid_rule_code(rule):
        return _("bad or missing rule")
    for name in ("checked", "failed"):
        if name not in item:
            return _("missing %(field)s") % {"field": name}
        if not _count(item[name]):
            return _("%(field)s is not a whole number of 0 or more") % {"field": name}
    if item["failed"] > item["checked"]:
        return _("failed is more than checked")
    return _item_day_problem(item, day)


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


def _source(platform: Platform) -> PlatformSource:
    if not platform.can_be_pulled:
        raise SourceError(_("The platform has no statistics interface URL and token."))
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


def platform_pull_day(
    *,
    platform: Platform,
    day: dt.date,
    trigger: str = SyncRun.Trigger.COMMAND,
    user=None,
    backfill: Backfill | None = None,
) -> SyncRun:
    """Pull one day's upload statistics. The day's figures are replaced as a whole,
    all pages or nothing, and only by a newer `generated_at`; bad items are refused
    with their reason and the rest is stored; unknown institutions go to the review
    queue."""
    return _pull_day(
        platform=platform,
        day=day,
        kind=SyncRun.Kind.UPLOADS,
        trigger=trigger,
        user=user,
        backfill=backfill,
    )


def platform_pull_indicators(
    *,
    platform: Platform,
    day: dt.date,
    trigger: str = SyncRun.Trigger.COMMAND,
    user=None,
    backfill: Backfill | None = None,
) -> SyncRun:
    """Pull one day's business indicators (/indicator-stats) by the same rules as
    the upload statistics; values of unknown institutions or of indicators the
    catalogue lacks wait for review; those waiting for an indicator added since
    are stored."""
    from .review import waiting_values_store

    run = _pull_day(
        platform=platform,
        day=day,
        kind=SyncRun.Kind.INDICATORS,
        trigger=trigger,
        user=user,
        backfill=backfill,
    )
    if run.outcome == SyncRun.Outcome.SUCCESS:
        waiting_values_store(platform=platform)
    return run


def platform_pull_quality(
    *,
    platform: Platform,
    day: dt.date,
    trigger: str = SyncRun.Trigger.COMMAND,
    user=None,
    backfill: Backfill | None = None,
) -> SyncRun:
    """Pull one day's data-quality results (/quality-stats) by the same rules as the
    upload statistics; results of unknown institutions or of rules the platform's
    rule list lacks wait for review."""
    return _pull_day(
        platform=platform,
        day=day,
        kind=SyncRun.Kind.QUALITY,
        trigger=trigger,
        user=user,
        backfill=backfill,
    )


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
    from .review import waiting_quality_store

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
            waiting_quality_store(platform=platform)
    except Exception as exc:
        logger.exception("storing the quality rules of %s failed", platform.code)
        return _finish(run, SyncRun.Outcome.FAILED, f"{type(exc).__name__}: {exc}")
    return _finish(run, SyncRun.Outcome.SUCCESS)


PULLED = {
    SyncRun.Kind.UPLOADS: "upload_stats",
    SyncRun.Kind.INDICATORS: "indicator_stats",
    SyncRun.Kind.QUALITY: "quality_stats",
}


def _pull_day(
    *, platform: Platform, day: dt.date, kind: str, trigger: str, user, backfill
) -> SyncRun:
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
    stored_version = (
        PulledDay.objects.filter(platform=platform, kind=kind, day=day)
        .values_list("generated_at", flat=True)
        .first()
    )
    try:
        source = _source(platform)
        fetched = getattr(source, PULLED[kind])(day, newer_than=stored_version)
    except NoStatistics as exc:
        return _finish(run, SyncRun.Outcome.NO_DATA, str(exc))
    except SourceError as exc:
        return _finish(run, SyncRun.Outcome.FAILED, str(exc))
    run.generated_at, run.pages = fetched.generated_at, fetched.pages
    if fetched.stale:
        return _finish(run, SyncRun.Outcome.SKIPPED)
    store = {
        SyncRun.Kind.UPLOADS: _store_day,
        SyncRun.Kind.INDICATORS: _store_indicator_day,
        SyncRun.Kind.QUALITY: _store_quality_day,
    }[kind]
    try:
        return store(run, platform, day, fetched)
    except Exception as exc:  # a bug or a database outage: the day is rolled back
        logger.exception("storing %s %s %s failed", kind, platform.code, day)
        return _finish(run, SyncRun.Outcome.FAILED, f"{type(exc).__name__}: {exc}")


def _reject(run: SyncRun, page: int, index: int, item, reason: str) -> None:
    run.rejections.append(
        {
            "page": page,
            "item": index,
            "reason": reason,
            "data": item if isinstance(item, dict) else repr(item),
        }
    )


def _valid_items(run: SyncRun, fetched, day: dt.date, known: dict, check, field: str, twice: str):
    """The items of a pull of `day` that can be stored, each (institution, `field`)
    once; the others are refused on `run` with their reason. An alias and the
    registry's code name the same institution."""
    seen: set[tuple] = set()
    for page, index, item in fetched.items:
        reason = check(item, day)
        key = None if reason else (known.get(item["org_code"], item["org_code"]), item[field])
        if reason is None and key in seen:
            reason = twice
        if reason:
            _reject(run, page, index, item, reason)
            continue
        seen.add(key)
        yield item


def _newer_than_stored(platform: Platform, kind: str, day: dt.date, generated_at) -> bool:
    """Under the day's lock: whether `generated_at` is newer than what is stored
    (a concurrent pull may have stored a newer version meanwhile)."""
    pulled = (
        PulledDay.objects.select_for_update().filter(platform=platform, kind=kind, day=day).first()
    )
    return pulled is None or pulled.generated_at < generated_at


def _pulled(run: SyncRun, platform: Platform, kind: str, day: dt.date, generated_at) -> None:
    PulledDay.objects.update_or_create(
        platform=platform, kind=kind, day=day, defaults={"generated_at": generated_at, "run": run}
    )


def _store_day(run: SyncRun, platform: Platform, day: dt.date, fetched) -> SyncRun:
    known = known_codes(platform)
    rows: list[UploadRow] = []
    unknown: list[UploadRow] = []
    twice = _("the same institution and table twice")
    for item in _valid_items(run, fetched, day, known, check_upload_item, "table_code", twice):
        row = UploadRow(
            day, item["org_code"], item["table_code"], item["records"], item["rejected"]
        )
        (rows if row.org_code in known else unknown).append(row)
    run.rows_rejected = len(run.rejections)
    run.unknown_codes = len({r.org_code for r in unknown})

    with transaction.atomic():
        if not _newer_than_stored(platform, run.kind, day, fetched.generated_at):
            return _finish(run, SyncRun.Outcome.SKIPPED)
        uploads_replace_day(
            platform=platform,
            day=day,
            rows=rows,
            institution_ids={r.org_code: known[r.org_code] for r in rows},
        )
        UnknownUpload.objects.filter(platform=platform, day=day).delete()
        UnknownUpload.objects.bulk_create(
            UnknownUpload(
                platform=platform,
                day=day,
                org_code=r.org_code,
                table_code=r.table_code,
                records=r.records,
                rejected=r.rejected,
                generated_at=fetched.generated_at,
                run=run,
            )
            for r in unknown
        )
        _pulled(run, platform, run.kind, day, fetched.generated_at)
        run.rows_stored = len(rows)
        return _finish(run, SyncRun.Outcome.SUCCESS)


def _store_keyed_day(
    run: SyncRun,
    platform: Platform,
    day: dt.date,
    fetched,
    *,
    check,
    field: str,
    twice: str,
    row_of,
    catalogue: dict[str, int],
    replace,
    waiting_model,
    waiting_fields,
) -> SyncRun:
    """Store a pulled day of items keyed by institution and `field` (an indicator,
    a quality rule): the storable rows replace the day through `replace`; those of
    unknown institutions or of codes `catalogue` lacks wait in `waiting_model`."""
    known = known_codes(platform)
    rows, waiting = [], []
    for item in _valid_items(run, fetched, day, known, check, field, twice):
        row = row_of(item)
        ready = row.org_code in known and getattr(row, field) in catalogue
        (rows if ready else waiting).append(row)
    run.rows_rejected = len(run.rejections)
    run.unknown_codes = len({r.org_code for r in waiting if r.org_code not in known}) + len(
        {getattr(r, field) for r in waiting if getattr(r, field) not in catalogue}
    )

    with transaction.atomic():
        if not _newer_than_stored(platform, run.kind, day, fetched.generated_at):
            return _finish(run, SyncRun.Outcome.SKIPPED)
        replace(rows, {r.org_code: known[r.org_code] for r in rows})
        waiting_model.objects.filter(platform=platform, day=day).delete()
        waiting_model.objects.bulk_create(
            waiting_model(
                platform=platform,
                day=day,
                org_code=r.org_code,
                generated_at=fetched.generated_at,
                run=run,
                **{name: getattr(r, name) for name in waiting_fields},
            )
            for r in waiting
        )
        _pulled(run, platform, run.kind, day, fetched.generated_at)
        run.rows_stored = len(rows)
        return _finish(run, SyncRun.Outcome.SUCCESS)


def _store_indicator_day(run: SyncRun, platform: Platform, day: dt.date, fetched) -> SyncRun:
    catalogue = dict(Indicator.objects.values_list("code", "pk"))
    return _store_keyed_day(
        run,
        platform,
        day,
        fetched,
        check=check_indicator_item,
        field="indicator",
        twice=_("the same institution and indicator twice"),
        row_of=lambda i: IndicatorRow(day, i["org_code"], i["indicator"], i["value"]),
        catalogue=catalogue,
        replace=lambda rows, ids: indicators_replace_day(
            platform=platform, day=day, rows=rows, institution_ids=ids, indicator_ids=catalogue
        ),
        waiting_model=UnknownIndicatorValue,
        waiting_fields=("indicator", "value"),
    )


def _store_quality_day(run: SyncRun, platform: Platform, day: dt.date, fetched) -> SyncRun:
    rules = dict(QualityRule.objects.filter(platform=platform).values_list("code", "pk"))
    return _store_keyed_day(
        run,
        platform,
        day,
        fetched,
        check=check_quality_item,
        field="rule",
        twice=_("the same institution and rule twice"),
        row_of=lambda i: QualityRow(day, i["org_code"], i["rule"], i["checked"], i["failed"]),
        catalogue=rules,
        replace=lambda rows, ids: quality_replace_day(
            platform=platform, day=day, rows=rows, institution_ids=ids, rule_ids=rules
        ),
        waiting_model=UnknownQualityValue,
        waiting_fields=("rule", "checked", "failed"),
    )


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
        problem = _date_problem(name, value, time=name == "front_server_last_seen")
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


def backfill_start(
    *,
    platform: Platform,
    first_day: dt.date,
    last_day: dt.date,
    with_institutions: bool = False,
    trigger: str = SyncRun.Trigger.PAGE,
    user=None,
) -> Backfill:
    """Record a backfill and hand it to a worker (after the transaction commits).
    Once sent, `backfill.handed_over` tells whether the broker took it."""
    if last_day < first_day:
        raise ValueError("last_day before first_day")
    backfill = Backfill.objects.create(
        platform=platform,
        first_day=first_day,
        last_day=last_day,
        with_institutions=with_institutions,
        trigger=trigger,
        days_total=(last_day - first_day).days + 1,
        started_by=user,
    )
    _audit_backfill(backfill, user, "started")
    if trigger == SyncRun.Trigger.PAGE:
        backfill.handed_over = None

        def send() -> None:
            backfill.handed_over = backfill_send(backfill=backfill)

        transaction.on_commit(send)
    return backfill


def _audit_backfill(backfill: Backfill, user, what: str) -> None:
    audit_record(
        action=AuditEvent.Action.PULL_REQUESTED,
        actor=user,
        obj=backfill.platform,
        region=backfill.platform.region,
        details={
            "backfill": backfill.pk,
            what: True,
            "first_day": backfill.first_day,
            "last_day": backfill.last_day,
            "with_institutions": backfill.with_institutions,
        },
    )


def backfill_send(*, backfill: Backfill) -> bool:
    """Hand a queued backfill to a worker. With the broker unreachable the backfill
    stays queued, False is returned, and `backfills_requeue_stalled` sends it later:
    a Redis outage must not break the page that started it."""
    from apps.core.broker import task_send

    from .tasks import run_backfill

    return task_send(run_backfill, backfill.pk)


def backfills_requeue_stalled() -> int:
    """Send again the backfills still queued `requeue_after` seconds after they were
    started (the broker was down when the page sent them). A backfill sent twice runs
    once: `run_backfill` claims it with a conditional UPDATE. Returns how many were sent."""
    cutoff = timezone.now() - dt.timedelta(seconds=settings.HIPWATCH_PULL["requeue_after"])
    stalled = Backfill.objects.filter(
        state=Backfill.State.QUEUED, trigger=SyncRun.Trigger.PAGE, created_at__lt=cutoff
    ).order_by("created_at", "id")
    return sum(backfill_send(backfill=b) for b in stalled)


def backfills_mark_interrupted(now: dt.datetime | None = None) -> int:
    """Mark interrupted the running backfills that made no progress for
    `backfill_stalled_after` seconds: their worker was killed (a task is not
    redelivered once started, so nobody else would finish it). Returns how many."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.HIPWATCH_PULL["backfill_stalled_after"])
    stalled = Backfill.objects.filter(state=Backfill.State.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )
    count = stalled.update(state=Backfill.State.INTERRUPTED, finished_at=now)
    if count:
        logger.warning("%d backfills lost their worker: marked interrupted", count)
    return count


@transaction.atomic
def backfill_restart(*, backfill: Backfill, user=None) -> Backfill:
    """Queue a failed or interrupted backfill again and hand it to a worker: an
    interrupted one resumes at its first day not pulled, a failed one pulls every
    day again (the pulls are idempotent). Only those two states can restart."""
    backfill = Backfill.objects.select_for_update().get(pk=backfill.pk)
    if not backfill.restartable:
        raise ValueError("only a failed or interrupted backfill restarts")
    if backfill.state == Backfill.State.FAILED:
        backfill.days_done = backfill.days_failed = 0
    backfill.state = Backfill.State.QUEUED
    backfill.finished_at = backfill.heartbeat_at = None
    backfill.save(
        update_fields=["state", "finished_at", "heartbeat_at", "days_done", "days_failed"]
    )
    _audit_backfill(backfill, user, "restarted")
    backfill.handed_over = None

    def send() -> None:
        backfill.handed_over = backfill_send(backfill=backfill)

    transaction.on_commit(send)
    return backfill


def backfill_run(backfill: Backfill, on_run=None) -> Backfill:
    """Pull every day of a backfill in order (the quality rules first), its upload
    statistics, its indicators and its quality results, recording the progress after
    each day (a restarted one from its first day not pulled); `on_run(backfill, run)`
    is told of every run (the command's progress bar)."""
    backfill.state = Backfill.State.RUNNING
    backfill.heartbeat_at = timezone.now()
    backfill.save(update_fields=["state", "heartbeat_at"])
    kwargs = {
        "platform": backfill.platform,
        "trigger": backfill.trigger,
        "user": backfill.started_by,
        "backfill": backfill,
    }
    first = [platform_pull_quality_rules(**kwargs)]
    if backfill.with_institutions:
        first.insert(0, platform_pull_institutions(**kwargs))
    if on_run:
        for run in first:
            on_run(backfill, run)
    for n in range(backfill.days_done, backfill.days_total):
        day = backfill.first_day + dt.timedelta(days=n)
        runs = [
            platform_pull_day(day=day, **kwargs),
            platform_pull_indicators(day=day, **kwargs),
            platform_pull_quality(day=day, **kwargs),
        ]
        backfill.days_done += 1
        backfill.days_failed += any(run.outcome == SyncRun.Outcome.FAILED for run in runs)
        backfill.heartbeat_at = timezone.now()
        backfill.save(update_fields=["days_done", "days_failed", "heartbeat_at"])
        if on_run:
            for run in runs:
                on_run(backfill, run)
    backfill.state = Backfill.State.FAILED if backfill.days_failed else Backfill.State.DONE
    backfill.finished_at = timezone.now()
    backfill.save(update_fields=["state", "finished_at"])
    return backfill


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
