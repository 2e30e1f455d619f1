"""Reads of a campaign: its window, each unit's problem list from the figures (the
metrics modules compute; nothing is computed here twice), the progress, and the
check that closes a task by the following nights' figures."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.scoping import campaigns_for, institutions_for
from apps.institutions.models import Institution
from apps.metrics.anomalies import volume_anomalies
from apps.metrics.figures import counted_through, period_figures
from apps.metrics.quality import quality_values
from apps.platforms.models import CatalogueTable, ConnectionStatus
from apps.quality.models import DailyQuality, Dimension, QualityRule
from apps.rectification.models import TaskEvent, TaskState
from apps.uploads.models import DailyTotal

from .models import Campaign, CampaignTask, ProblemKind

# Drops are proposed from the last days of the window only: older ones are history.
RECENT_DROP_DAYS = 7
# A campaign that has not started is judged on the days just before it.
BASELINE_DAYS = 30


def threshold_text(value: Decimal) -> str:
    """A threshold as officers write it: 98, 97.5 (not 98.00)."""
    return format(value.normalize(), "f")


def campaign_window(campaign: Campaign) -> tuple[dt.date, dt.date]:
    """The days the problems are read from: the campaign's days so far (start to the
    platform's data day, at most its end); before it starts, the 30 days before."""
    last = counted_through(campaign.platform, campaign.end)
    if last < campaign.start:
        return campaign.start - dt.timedelta(days=BASELINE_DAYS), campaign.start - dt.timedelta(
            days=1
        )
    return campaign.start, last


def baseline_window(campaign: Campaign) -> tuple[dt.date, dt.date]:
    """As many days as the window, just before the campaign: the 'before'."""
    start, end = campaign_window(campaign)
    if end < campaign.start:
        return start, end
    days = (end - start).days + 1
    return campaign.start - dt.timedelta(days=days), campaign.start - dt.timedelta(days=1)


@dataclass(frozen=True)
class Problem:
    institution: Institution
    kind: str
    code: str
    label: str  # what is wrong, in Chinese
    value: Decimal | None = None  # the rate (a dimension or a rule)
    threshold: Decimal | None = None

    @property
    def key(self) -> str:
        """What names the problem in a link: a unit has one table problem (whatever
        tables it misses) and one drop problem."""
        if self.kind in (ProblemKind.TABLE, ProblemKind.DROP):
            return self.kind
        return f"{self.kind}:{self.code}"

    @property
    def kind_label(self) -> str:
        return str(ProblemKind(self.kind).label)


def units_in_scope(user: User, campaign: Campaign) -> QuerySet[Institution]:
    return (
        campaign.units.filter(pk__in=institutions_for(user).values("pk"))
        .select_related("region")
        .order_by("region__sort_key", "org_code")
    )


def campaign_problems(
    campaign: Campaign, units: QuerySet[Institution], window: tuple[dt.date, dt.date] | None = None
) -> dict[int, list[Problem]]:
    """Per unit id, what the figures of the window show wrong: each targeted
    dimension below its threshold, each rule of such a dimension below it, each
    catalogue table never sent (connected units), and recent volume drops."""
    start, end = window or campaign_window(campaign)
    thresholds = campaign.thresholds()
    platform = campaign.platform
    quality = quality_values(institutions=units, platform=platform, start=start, end=end)
    figures = period_figures(
        institutions=units, platform=platform, start=start, end=end, with_scores=False
    )
    drops_from = max(start, end - dt.timedelta(days=RECENT_DROP_DAYS - 1))
    drops = volume_anomalies(institutions=units, platform=platform, start=drops_from, end=end)
    rule_names = dict(QualityRule.objects.filter(platform=platform).values_list("code", "name"))
    table_names = dict(
        CatalogueTable.objects.filter(edition__platform=platform).values_list("code", "name")
    )
    dimension_names = dict(Dimension.choices)
    result: dict[int, list[Problem]] = {}
    for row in figures.rows:
        inst = row.institution
        found: list[Problem] = []
        q = quality.get(inst.pk)
        for dimension, threshold in thresholds.items():
            if q is None:
                break
            rate = q.rate(dimension)
            if rate is not None and rate < threshold:
                found.append(
                    Problem(
                        inst,
                        ProblemKind.DIMENSION,
                        dimension,
                        _("%(dimension)s pass rate %(rate)s%% is below %(threshold)s%%")
                        % {
                            "dimension": dimension_names[dimension],
                            "rate": rate,
                            "threshold": threshold_text(threshold),
                        },
                        rate,
                        threshold,
                    )
                )
            for code, counts in sorted(q.rules.items(), key=lambda item: item[1].rate or 0):
                if q.dimension_of.get(code) != dimension or counts.rate is None:
                    continue
                if counts.rate < threshold:
                    found.append(
                        Problem(
                            inst,
                            ProblemKind.RULE,
                            code,
                            _("Rule %(code)s %(name)s: pass rate %(rate)s%%, below %(threshold)s%%")
                            % {
                                "code": code,
                                "name": rule_names.get(code, ""),
                                "rate": counts.rate,
                                "threshold": threshold_text(threshold),
                            },
                            counts.rate,
                            threshold,
                        )
                    )
        if (
            row.connection_status == ConnectionStatus.CONNECTED
            and not row.not_yet_due
            and row.missing_codes
        ):
            # One problem per unit: a tier-3 hospital misses dozens of tables.
            shown = "、".join(
                f"{code} {table_names.get(code, '')}".strip() for code in row.missing_codes[:5]
            )
            if len(row.missing_codes) > 5:
                shown += _(" and %(n)d more") % {"n": len(row.missing_codes) - 5}
            found.append(
                Problem(
                    inst,
                    ProblemKind.TABLE,
                    ",".join(row.missing_codes),
                    _("%(n)d required tables were not sent from %(start)s to %(end)s: %(tables)s")
                    % {
                        "n": len(row.missing_codes),
                        "start": start.isoformat(),
                        "end": end.isoformat(),
                        "tables": shown,
                    },
                )
            )
        falls = [a for a in drops.get(inst.pk, []) if a.drop]
        if falls:
            latest = falls[-1]
            found.append(
                Problem(
                    inst,
                    ProblemKind.DROP,
                    latest.day.isoformat(),
                    _(
                        "Volume drops on %(n)d recent days; on %(day)s %(records)s records, "
                        "%(share)s%% of its usual"
                    )
                    % {
                        "n": len(falls),
                        "day": latest.day.isoformat(),
                        "records": latest.records,
                        "share": latest.share,
                    },
                )
            )
        if found:
            result[inst.pk] = found
    return result


@dataclass(frozen=True)
class Check:
    met: bool
    text: str  # what the nights showed, for the task's history


def task_check(link: CampaignTask, today: dt.date | None = None) -> Check | None:
    """Whether the nights after `link.after` (up to the last complete day) meet the
    task's threshold: a dimension's or a rule's pass rate at or above it, or the
    table sent. None when there is no night to judge yet, or nothing was checked in
    them, or the task does not close itself."""
    if not link.closes_itself:
        return None
    start = link.after + dt.timedelta(days=1)
    end = (today or timezone.localdate()) - dt.timedelta(days=1)
    if end < start:
        return None
    task = link.task
    units = Institution.objects.filter(pk=task.institution_id)
    platform = link.campaign.platform
    # The nights judged end with the last one that brought figures of the kind.
    source = DailyTotal if link.kind == ProblemKind.TABLE else DailyQuality
    last = source.objects.filter(
        platform=platform, institution_id=task.institution_id, day__gte=start, day__lte=end
    ).aggregate(last=Max("day"))["last"]
    if last is None:
        return None
    end = last
    span = {"start": start.isoformat(), "end": end.isoformat()}
    if link.kind == ProblemKind.TABLE:
        row = period_figures(
            institutions=units, platform=platform, start=start, end=end, with_scores=False
        ).rows
        wanted = set(link.code.split(","))
        if not row or wanted & set(row[0].missing_codes):
            return None
        return Check(
            True,
            _("From %(start)s to %(end)s every table of the task was sent (%(n)d).")
            % {**span, "n": len(wanted)},
        )
    quality = quality_values(institutions=units, platform=platform, start=start, end=end).get(
        task.institution_id
    )
    if quality is None:
        return None
    if link.kind == ProblemKind.DIMENSION:
        rate = quality.rate(link.code)
    else:
        counts = quality.rules.get(link.code)
        rate = counts.rate if counts else None
    if rate is None:
        return None
    values = {**span, "code": link.code, "rate": rate, "threshold": threshold_text(link.threshold)}
    if rate >= link.threshold:
        return Check(
            True,
            _("From %(start)s to %(end)s %(code)s passed %(rate)s%%, meeting %(threshold)s%%.")
            % values,
        )
    return Check(
        False,
        _("From %(start)s to %(end)s %(code)s passed %(rate)s%%, below %(threshold)s%%.") % values,
    )


@dataclass(frozen=True)
class Progress:
    problems_open: int  # tasks from problems not yet accepted
    problems_closed: int
    closed_by_figures: int
    overdue: int
    by_state: dict[str, int]


def campaign_progress(user: User, campaign: Campaign, today: dt.date | None = None) -> Progress:
    today = today or timezone.localdate()
    links = CampaignTask.objects.filter(
        campaign=campaign, task__institution__in=institutions_for(user)
    ).select_related("task")
    states = Counter(link.task.state for link in links)
    closed = states[TaskState.ACCEPTED]
    return Progress(
        problems_open=sum(states.values()) - closed,
        problems_closed=closed,
        closed_by_figures=TaskEvent.objects.filter(
            task__in=[link.task for link in links], kind=TaskEvent.Kind.CLOSED_BY_FIGURES
        )
        .values("task")
        .distinct()
        .count(),
        overdue=sum(
            1
            for link in links
            if link.task.state != TaskState.ACCEPTED and link.task.due_date < today
        ),
        by_state={state: states[state] for state in TaskState.values},
    )


def campaigns_in_scope(user: User) -> QuerySet[Campaign]:
    return campaigns_for(user).select_related("platform", "region")
