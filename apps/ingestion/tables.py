"""The sync pages' tables as `Sheet`s: each is rendered and exported from the
same object (`?export=KEY`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from apps.core.sheets import Link, Mark, Sheet

from .models import SyncRun
from .review import WaitingCode, WaitingIndicator

OUTCOME_CLASSES = {
    SyncRun.Outcome.SUCCESS: "text-bg-success",
    SyncRun.Outcome.SKIPPED: "text-bg-secondary",
    SyncRun.Outcome.NO_DATA: "text-bg-warning",
    SyncRun.Outcome.FAILED: "text-bg-danger",
    SyncRun.Outcome.RUNNING: "text-bg-info",
}


def _run_counts() -> list[str]:
    return [_("Pages"), _("Rows stored"), _("Rows rejected"), _("Unknown codes")]


def _at(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str | None:
    return timezone.localtime(value).strftime(fmt) if value else None


def _outcome(run: SyncRun) -> Link:
    return Link(
        run.get_outcome_display(),
        reverse("sync-run", args=[run.pk]),
        f"badge {OUTCOME_CLASSES.get(run.outcome, 'text-bg-light')} text-decoration-none",
    )


def _error(text: str, length: int = 120) -> Mark | None:
    if not text:
        return None
    return Mark(Truncator(text).chars(length), "text-danger small", title=text)


def _who(user) -> str:
    return user.label if user is not None else ""


def _run_cells(run: SyncRun) -> list:
    """Outcome, the four counts, started, finished and error: what both run tables show."""
    return [
        _outcome(run),
        run.pages,
        run.rows_stored,
        run.rows_rejected,
        run.unknown_codes,
        _at(run.started_at),
        _at(run.finished_at),
        _error(run.error),
    ]


def nights_sheet(
    platform, nights: Iterable[tuple[dt.date, SyncRun | None, SyncRun | None]]
) -> Sheet:
    """A platform's last nights: for each day, the latest pull of its upload
    statistics and what it did, then the latest pull of its business indicators."""
    sheet = Sheet(
        f"nights-{platform.code}",
        platform.name,
        [
            _("Day"),
            _("Outcome"),
            *_run_counts(),
            _("Started"),
            _("Finished"),
            _("Error"),
            _("Business indicators"),
            _("Indicator values stored"),
        ],
        numeric=frozenset({2, 3, 4, 5, 10}),
    )
    for day, run, indicators in nights:
        tail = [_outcome(indicators), indicators.rows_stored] if indicators else [None, None]
        if run is None:
            sheet.rows.append(
                [day, Mark(_("Not pulled"), "text-body-secondary")] + [None] * 7 + tail
            )
            continue
        sheet.rows.append([day, *_run_cells(run), *tail])
    return sheet


def failed_runs_sheet(runs: Iterable[SyncRun]) -> Sheet:
    sheet = Sheet(
        "failed-runs",
        _("Latest failed pulls"),
        [_("Platform"), _("Day"), _("Started"), _("Error")],
    )
    for run in runs:
        sheet.rows.append(
            [
                run.platform.name,
                Link(run.day or run.get_kind_display(), reverse("sync-run", args=[run.pk])),
                _at(run.started_at, "%Y-%m-%d %H:%M"),
                _error(run.error, 200),
            ]
        )
    return sheet


def runs_sheet(runs: Iterable[SyncRun]) -> Sheet:
    sheet = Sheet(
        "runs",
        _("Runs"),
        [
            _("Kind"),
            _("Day"),
            _("Trigger"),
            _("Outcome"),
            *_run_counts(),
            _("Started"),
            _("Finished"),
            _("Error"),
        ],
        numeric=frozenset({4, 5, 6, 7}),
        empty_text=_("Nothing pulled yet."),
    )
    for run in runs:
        trigger = run.get_trigger_display()
        if run.started_by:
            trigger = f"{trigger} · {_who(run.started_by)}"
        sheet.rows.append([run.get_kind_display(), run.day, trigger, *_run_cells(run)])
    return sheet


def rejections_sheet(run: SyncRun) -> Sheet:
    """The items a pull refused, with the reason and the item as it was sent."""
    sheet = Sheet(
        "rejections",
        _("Rejected items"),
        [_("Page"), _("Item"), _("Reason"), _("As sent")],
        numeric=frozenset({0, 1}),
    )
    for r in run.rejections:
        item = r.get("item")
        sheet.rows.append(
            [
                r.get("page") or None,
                item + 1 if isinstance(item, int) else None,
                r.get("reason", ""),
                Mark(_as_sent(r.get("data")), "font-monospace small"),
            ]
        )
    return sheet


def _as_sent(data) -> str:
    if isinstance(data, str):
        return data
    return json.dumps(data, ensure_ascii=False)


def review_queue_sheet(lines: Iterable[tuple[object, WaitingCode]]) -> Sheet:
    sheet = Sheet(
        "review-queue",
        _("Unknown institution codes"),
        [
            _("Platform"),
            _("Code sent by the platform"),
            _("Days"),
            _("Tables"),
            _("Records uploaded"),
            _("Indicator values"),
            _("Quality results"),
            _("First day"),
            _("Last day"),
        ],
        numeric=frozenset({2, 3, 4, 5, 6}),
        empty_text=_("No unknown codes are waiting."),
    )
    for platform, w in lines:
        sheet.rows.append(
            [
                platform.name,
                Link(w.org_code, reverse("review-code", args=[platform.code, w.org_code])),
                w.days,
                w.tables,
                w.records,
                w.values,
                w.results,
                w.first_day,
                w.last_day,
            ]
        )
    return sheet


def unknown_indicators_sheet(lines: Iterable[tuple[object, WaitingIndicator]]) -> Sheet:
    sheet = Sheet(
        "unknown-indicators",
        _("Unknown indicators"),
        [
            _("Platform"),
            _("Indicator code"),
            _("Values"),
            _("Institutions"),
            _("Days"),
            _("First day"),
            _("Last day"),
        ],
        numeric=frozenset({2, 3, 4}),
        empty_text=_("No unknown indicators are waiting."),
    )
    for platform, w in lines:
        sheet.rows.append(
            [
                platform.name,
                Link(
                    w.indicator, reverse("review-indicator", args=[w.indicator]), "font-monospace"
                ),
                w.rows,
                w.institutions,
                w.days,
                w.first_day,
                w.last_day,
            ]
        )
    return sheet


def unknown_rules_sheet(lines) -> Sheet:
    sheet = Sheet(
        "unknown-rules",
        _("Unlisted quality rules"),
        [
            _("Platform"),
            _("Rule code"),
            _("Results"),
            _("Institutions"),
            _("Days"),
            _("First day"),
            _("Last day"),
        ],
        numeric=frozenset({2, 3, 4}),
        empty_text=_("No results of unlisted rules are waiting."),
    )
    for platform, w in lines:
        sheet.rows.append(
            [
                platform.name,
                Mark(w.rule, "font-monospace"),
                w.rows,
                w.institutions,
                w.days,
                w.first_day,
                w.last_day,
            ]
        )
    return sheet


def waiting_values_sheet(values, *, key: str = "waiting-values") -> Sheet:
    """Indicator values waiting for review, as the platform sent them."""
    sheet = Sheet(
        key,
        _("Waiting indicator values"),
        [_("Platform"), _("Day"), _("Code sent by the platform"), _("Indicator code"), _("Value")],
        numeric=frozenset({4}),
    )
    for v in values:
        sheet.rows.append(
            [
                v.platform.name,
                v.day,
                Mark(v.org_code, "font-monospace"),
                Mark(v.indicator, "font-monospace"),
                v.value,
            ]
        )
    return sheet


def waiting_rows_sheet(rows) -> Sheet:
    """The rows waiting under one unknown code."""
    sheet = Sheet(
        "waiting-rows",
        _("Waiting rows"),
        [_("Day"), _("Table code"), _("Records uploaded"), _("Records rejected")],
        numeric=frozenset({2, 3}),
    )
    for r in rows:
        sheet.rows.append([r.day, Mark(r.table_code, "font-monospace"), r.records, r.rejected])
    return sheet
