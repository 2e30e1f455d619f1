"""The supervision dashboard (监管看板) of a city or county: each panel is a chart
and the `Sheet` of figures it draws, both made here from `period_figures` results,
so the chart, the table under it and its Excel export show the same numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote

from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.scoping import institutions_for, regions_for, watches_for
from apps.alerts.models import Status as WatchStatus
from apps.core.sheets import Link, Mark, Sheet
from apps.institutions.models import Institution
from apps.metrics.anomalies import baseline_note, volume_anomalies
from apps.metrics.figures import FiguresReader, InstitutionFigures, Tier
from apps.metrics.periods import Period
from apps.platforms.models import ConnectionStatus, Platform
from apps.rectification.selectors import overdue_tasks
from apps.regions.models import Region

from .breakdown import region_breakdown
from .forms import TIER_UNCONNECTED, TIER_UPSTREAM
from .standing import day_kind_label

MONTHS_SHOWN = 6
LONGEST_INTERRUPTIONS = 15
MOVERS_EACH_WAY = 10
ANOMALIES_SHOWN = 30
# Rows of a panel's table on the page (its export holds every row).
PANEL_ROWS = 50
ORG_PLACEHOLDER = "ORGCODE"


@dataclass
class Panel:
    """One chart and its table. `chart` is what static/js/dashboard.js draws."""

    sheet: Sheet
    chart: dict = field(default_factory=dict)


def _pct(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def dashboard_for(
    user: User, platform: Platform, period: Period, *, region: Region | None = None, query=""
) -> Dashboard:
    """The dashboard `user` sees of `platform` and `period` — of `region`, one of
    their scope's, when given. The page's one construction, and the night's warm-up's
    (apps/web/warm.py): the figures both compute are cached under the same keys."""
    institutions = institutions_for(user)
    if region is not None:
        institutions = institutions.filter(region__path__startswith=region.path)
    parent = region or user.region
    regions = regions_for(user)
    children = list(
        regions.filter(parent=parent) if parent else regions.filter(parent__isnull=True)
    )
    return Dashboard(
        institutions=institutions,
        platform=platform,
        period=period,
        parent=parent,
        children=children,
        show_regions=user.role != User.Role.COUNTY or region is not None,
        query=query,
        silent=watches_for(user)
        .filter(platform=platform, status=WatchStatus.SILENT, institution__in=institutions)
        .select_related("institution__region")
        .order_by("-silent_days", "institution__org_code"),
        overdue=overdue_tasks(user).filter(institution__in=institutions),
    )


class Dashboard:
    def __init__(
        self,
        *,
        institutions: QuerySet[Institution],
        platform: Platform,
        period: Period,
        parent: Region | None,
        children: list[Region],
        show_regions: bool,
        query: str,
        silent=None,
        overdue=None,
    ):
        self.platform = platform
        self.period = period
        self._detail_url: str | None = None
        self.query = query  # platform and period, for links to other pages
        # No panel shows a score: none is computed (a county's scores would compute
        # the whole city's figures for their medians).
        # The period, the one before it (the movers) and the months (the trend) from
        # one reader: the registry read once.
        self.reader = FiguresReader(institutions=institutions, platform=platform)
        self.reader.prefetch(
            min(period.months_to_end(MONTHS_SHOWN)[0].start, period.previous().start), period.end
        )
        self.figures = self.reader.figures(period.start, period.end, with_scores=False)
        self.summary = self.figures.summary
        self.institutions = institutions
        self.parent = parent
        self.children = children
        self.show_regions = show_regions and bool(children)
        self.silent = silent  # Watch rows of silent institutions in view (apps.alerts)
        self.overdue = overdue  # overdue rectification tasks in view

    # Links ----------------------------------------------------------------------
    def _institution_url(self, row: InstitutionFigures) -> str:
        # reverse() once, the code put in its place (a province's panels link
        # thousands of institutions; an organisation code needs no quoting).
        if self._detail_url is None:
            self._detail_url = reverse("institution-detail", args=[ORG_PLACEHOLDER])
        url = self._detail_url.replace(ORG_PLACEHOLDER, quote(row.org_code, safe=""))
        return f"{url}?{self.query}" if self.query else url

    def _list_url(self, **filters) -> str:
        params = QueryDict(self.query, mutable=True)
        for key, value in filters.items():
            if value:
                params[key] = value
        return f"{reverse('institution-list')}?{params.urlencode()}"

    def _name(self, row: InstitutionFigures) -> Link:
        return Link(row.name, self._institution_url(row))

    # Panels ---------------------------------------------------------------------
    def panels(self) -> list[Panel]:
        panels = []
        if self.silent is not None:
            panels.append(self.silent_now())
        if self.overdue is not None:
            panels.append(self.overdue_tasks())
        panels.append(self.anomalies())
        panels += [
            self.connection(),
            self.tiers(),
            self.continuity(),
            self.by_month(),
            self.interruptions(),
        ]
        if self.show_regions:
            panels.append(self.regions())
        panels.append(self.movers())
        for panel in panels:  # a province's panel would list 2,000 rows: the export has them
            panel.sheet.shown = PANEL_ROWS
        return panels

    def silent_now(self) -> Panel:
        """Institutions silent now (alerts), whatever the period in view."""
        rows = []
        for watch in self.silent:
            url = reverse("institution-detail", args=[watch.institution.org_code])
            rows.append(
                [
                    Link(watch.institution.name, f"{url}?{self.query}" if self.query else url),
                    watch.institution.region_label,
                    watch.last_upload_date,
                    watch.silent_days,
                ]
            )
        return Panel(
            Sheet(
                "silent",
                _("Silent now (no records for days)"),
                [_("Institution"), _("Region"), _("Last upload"), _("Days without records")],
                rows,
                numeric=frozenset({3}),
            )
        )

    def anomalies(self) -> Panel:
        """突降/突增: the period's days whose volume is out of line with the
        institution's own baseline (apps.metrics.anomalies), the latest first — a
        hospital that still uploads, but a tenth of its usual."""
        found = volume_anomalies(
            institutions=self.institutions,
            platform=self.platform,
            start=self.period.start,
            end=self.period.end,
            latest=ANOMALIES_SHOWN,
        )
        by_pk = {row.institution.pk: row for row in self.figures.rows}
        days = sorted(
            (a for anomalies in found.values() for a in anomalies if a.institution_id in by_pk),
            key=lambda a: (a.day, abs(a.z)),
            reverse=True,
        )
        rows = [
            [
                self._name(by_pk[a.institution_id]),
                by_pk[a.institution_id].institution.region_label,
                a.day,
                day_kind_label(a),
                Mark(
                    _("Drop") if a.drop else _("Rise"),
                    "badge text-bg-danger" if a.drop else "badge text-bg-warning",
                ),
                a.records,
                a.median,
                a.share,
                a.z,
            ]
            for a in days[:ANOMALIES_SHOWN]
        ]
        return Panel(
            Sheet(
                "anomalies",
                _("Volume drops and rises"),
                [
                    _("Institution"),
                    _("Region"),
                    _("Day"),
                    _("Kind of day"),
                    _("Direction"),
                    _("Records"),
                    _("Usual (median of 28 upload days of the kind)"),
                    _("Share of usual (%)"),
                    _("Modified z-score"),
                ],
                rows,
                numeric=frozenset({5, 6, 7, 8}),
                empty_text=_("No day of the period is out of line with its institution's own."),
                note=baseline_note(self.period.start, self.period.end),
            )
        )

    def overdue_tasks(self) -> Panel:
        rows = [
            [
                Link(task.institution.name, reverse("rectification-detail", args=[task.pk])),
                task.institution.region_label,
                task.problem if len(task.problem) <= 30 else task.problem[:29] + "…",
                task.due_date,
                task.days_overdue(),
                task.get_state_display(),
            ]
            for task in self.overdue
        ]
        return Panel(
            Sheet(
                "overdue",
                _("Overdue rectification tasks"),
                [
                    _("Institution"),
                    _("Region"),
                    _("Problem"),
                    _("Due date"),
                    _("Days overdue"),
                    _("State"),
                ],
                rows,
                numeric=frozenset({4}),
            )
        )

    def connection(self) -> Panel:
        s = self.summary
        statuses = [
            (ConnectionStatus.CONNECTED, s.connected),
            (ConnectionStatus.UPSTREAM, s.upstream),
            (ConnectionStatus.INTEGRATING, s.integrating),
            (ConnectionStatus.NOT_CONNECTED, s.not_connected),
        ]
        rows = [
            [
                Link(str(status.label), self._list_url(status=status.value)),
                count,
                f"{round(count * 100 / s.institutions)}%" if s.institutions else "—",
            ]
            for status, count in statuses
        ]
        if s.not_yet_due:  # the statuses add up to the institutions in scope
            rows.append(
                [
                    _("Not yet due"),
                    s.not_yet_due,
                    f"{round(s.not_yet_due * 100 / s.institutions)}%",
                ]
            )
        sheet = Sheet(
            "connection",
            _("Connection status"),
            [_("Connection status"), _("Institutions"), _("Share")],
            rows,
            numeric=frozenset({1, 2}),
        )
        chart = {
            "kind": "pie",
            "title": _("Connection rate %(rate)s%% (%(joined)s/%(all)s)")
            % {
                "rate": s.connection_rate if s.connection_rate is not None else "—",
                "joined": s.joined,
                "all": s.institutions,
            },
            "categories": [str(status.label) for status, _count in statuses],
            "series": [{"name": _("Institutions"), "data": [c for _s, c in statuses]}],
            "links": [self._list_url(status=status.value) for status, _count in statuses],
        }
        return Panel(sheet, chart)

    def continuity(self) -> Panel:
        """The connected institutions by continuity: good, interrupted, and those that
        uploaded nothing in the period — adding up to the connected (metrics.md)."""
        s = self.summary
        rows = [
            [_("Good"), s.continuity_good],
            [_("Interrupted"), s.continuity_interrupted],
            [_("No data uploaded"), s.continuity_none],
            [_("Connected"), s.connected],
        ]
        sheet = Sheet(
            "continuity",
            _("Data continuity"),
            [_("Continuity"), _("Institutions")],
            rows,
            numeric=frozenset({1}),
        )
        sheet.row_classes = ["", "", "", "report-total"]
        return Panel(sheet)

    def tiers(self) -> Panel:
        s = self.summary
        tiers = [(str(t), str(label), s.tiers[t]) for t, label in Tier.LABELS.items()]
        tiers.append((TIER_UNCONNECTED, _("Not connected"), s.unconnected))
        tiers.append((TIER_UPSTREAM, _("Connected to the provincial platform"), s.upstream))
        rows = [[Link(label, self._list_url(tier=key)), count] for key, label, count in tiers]
        rows.append([_("Severely missing (within tier 3)"), s.severely_missing])
        sheet = Sheet(
            "tiers",
            _("Completeness tiers"),
            [_("Tier"), _("Institutions")],
            rows,
            numeric=frozenset({1}),
        )
        chart = {
            "kind": "bar",
            "categories": [label for _k, label, _c in tiers],
            "series": [{"name": _("Institutions"), "data": [c for _k, _l, c in tiers]}],
            "links": [self._list_url(tier=key) for key, _l, _c in tiers],
        }
        return Panel(sheet, chart)

    def by_month(self) -> Panel:
        months = self.period.months_to_end(MONTHS_SHOWN)
        rows, completeness, records = [], [], []
        for month in months:
            summary = self.reader.summary(month.start, month.end)
            rows.append(
                [
                    month.label,
                    summary.connected,
                    summary.mean_completeness,
                    summary.tiers[Tier.FIRST],
                    summary.records,
                ]
            )
            completeness.append(_pct(summary.mean_completeness))
            records.append(summary.records)
        sheet = Sheet(
            "months",
            _("Completeness and records by month"),
            [
                _("Month"),
                _("Connected"),
                _("Mean completeness (%)"),
                _("Tier 1"),
                _("Records uploaded"),
            ],
            rows,
            numeric=frozenset({1, 2, 3, 4}),
        )
        chart = {
            "kind": "bar-line",
            "categories": [m.label for m in months],
            "series": [
                {"name": _("Records uploaded"), "data": records},
                {"name": _("Mean completeness (%)"), "data": completeness},
            ],
        }
        return Panel(sheet, chart)

    def interruptions(self) -> Panel:
        interrupted = sorted(
            (r for r in self.figures.rows if r.interruption_days),
            key=lambda r: (-r.interruption_days, -(r.longest_gap or 0), r.org_code),
        )
        rows = [
            [
                self._name(r),
                r.institution.region_label,
                r.interruption_days,
                r.longest_gap,
                r.last_upload_date,
            ]
            for r in interrupted
        ]
        sheet = Sheet(
            "interruptions",
            _("Interruption days by institution"),
            [
                _("Institution"),
                _("Region"),
                _("Interruption days"),
                _("Longest gap (days)"),
                _("Last upload"),
            ],
            rows,
            numeric=frozenset({2, 3}),
        )
        top = interrupted[:LONGEST_INTERRUPTIONS][::-1]  # the longest at the top of the chart
        chart = {
            "kind": "hbar",
            "categories": [r.name for r in top],
            "series": [
                {"name": _("Interruption days"), "data": [r.interruption_days for r in top]}
            ],
            "links": [self._institution_url(r) for r in top],
        }
        return Panel(sheet, chart)

    def regions(self) -> Panel:
        groups = region_breakdown(self.figures, self.parent, self.children)
        rows = []
        for group in groups:
            s = group.summary
            label = (
                Link(group.label, self._list_url(region=group.region.code))
                if group.region
                else group.label
            )
            rows.append(
                [
                    label,
                    s.institutions,
                    s.connection_rate,
                    s.mean_completeness,
                    s.tiers[Tier.FIRST],
                    s.tiers[Tier.FOURTH],
                    s.unconnected,
                    s.records,
                ]
            )
        sheet = Sheet(
            "regions",
            _("Counties side by side"),
            [
                _("Region"),
                _("Institutions"),
                _("Connection rate (%)"),
                _("Mean completeness (%)"),
                _("Tier 1"),
                _("Tier 4"),
                _("Not connected"),
                _("Records uploaded"),
            ],
            rows,
            numeric=frozenset(range(1, 8)),
        )
        chart = {
            "kind": "grouped-bar",
            "categories": [g.label for g in groups],
            "series": [
                {
                    "name": _("Connection rate (%)"),
                    "data": [_pct(g.summary.connection_rate) for g in groups],
                },
                {
                    "name": _("Mean completeness (%)"),
                    "data": [_pct(g.summary.mean_completeness) for g in groups],
                },
            ],
            "links": [self._list_url(region=g.region.code) if g.region else "" for g in groups],
        }
        return Panel(sheet, chart)

    def movers(self) -> Panel:
        previous = self.period.previous()
        before = self.reader.figures(previous.start, previous.end, with_scores=False).by_org_code()
        changes = []
        for row in self.figures.rows:
            old = before.get(row.org_code)
            if row.completeness is None or old is None or old.completeness is None:
                continue
            delta = row.completeness - old.completeness
            if delta:
                changes.append((delta, row, old))
        ups = sorted((c for c in changes if c[0] > 0), key=lambda c: (-c[0], c[1].org_code))
        downs = sorted((c for c in changes if c[0] < 0), key=lambda c: (c[0], c[1].org_code))
        chosen = ups[:MOVERS_EACH_WAY] + downs[:MOVERS_EACH_WAY]
        rows = [
            [
                self._name(row),
                row.institution.region_label,
                old.completeness,
                row.completeness,
                f"{delta:+}",
                old.records,
                row.records,
            ]
            for delta, row, old in chosen
        ]
        sheet = Sheet(
            "movers",
            _("Biggest movers since %(previous)s") % {"previous": previous.label},
            [
                _("Institution"),
                _("Region"),
                _("Completeness before (%)"),
                _("Completeness now (%)"),
                _("Change (points)"),
                _("Records before"),
                _("Records now"),
            ],
            rows,
            numeric=frozenset(range(2, 7)),
        )
        shown = chosen[::-1]
        chart = {
            "kind": "hbar-signed",
            "categories": [row.name for _d, row, _o in shown],
            "series": [{"name": _("Change (points)"), "data": [float(d) for d, _r, _o in shown]}],
            "links": [self._institution_url(row) for _d, row, _o in shown],
        }
        return Panel(sheet, chart)
