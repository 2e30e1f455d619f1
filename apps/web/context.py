"""What every page needs to know before it asks for figures: the platform and the
period the user is looking at, and the choices the navbar offers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from apps.accounts.scoping import ordered_platforms
from apps.core.errors import InvalidParameter
from apps.ingestion.health import night_problems
from apps.metrics.figures import counted_through, data_span
from apps.metrics.periods import (
    Period,
    PeriodGroup,
    PeriodInvalid,
    default_period,
    period_groups,
    through_label,
)
from apps.platforms.models import Platform


def request_platforms(request: HttpRequest) -> list[Platform]:
    """The user's platforms, their default first (`ordered_platforms`); read once
    per request (the platform's choice, the navigation and the night's problems all
    need them)."""
    if not hasattr(request, "_hipwatch_platforms"):
        request._hipwatch_platforms = ordered_platforms(request.user)
    return request._hipwatch_platforms


def platform_span(request: HttpRequest, platform: Platform):
    """The first and last day with statistics on the platform, read once per request
    (the default period, the menu and the no-data check all ask)."""
    spans = request.__dict__.setdefault("_hipwatch_spans", {})
    if platform.pk not in spans:
        spans[platform.pk] = data_span(platform)
    return spans[platform.pk]


def parse_period(key: str) -> Period:
    """The period of a `?period=` key; a key the portal cannot show answers 400
    with the reason."""
    try:
        return Period.parse(key)
    except PeriodInvalid as exc:
        raise InvalidParameter(str(exc)) from None


def resolve_request(request: HttpRequest) -> tuple[Platform | None, Period | None]:
    """The platform (?platform=CODE) and period (?period=KEY) of a request.

    Defaults: the platform of the user's own level (`ordered_platforms`), and the
    latest ended quarter with data on the platform. A platform the user does not
    see answers 404, a malformed period
    or a year outside 2000–2099 answers 400 with the reason. (None, None) when no
    platform exists yet.
    """
    platforms = request_platforms(request)
    if not platforms:
        return None, None
    code = request.GET.get("platform")
    if code:
        platform = next((p for p in platforms if p.code == code), None)
        if platform is None:
            raise Http404(_("Unknown platform."))
    else:
        platform = platforms[0]
    key = request.GET.get("period")
    if key:
        period = parse_period(key)
    else:
        _first, last = platform_span(request, platform)
        period = default_period(last)
    return platform, period


@dataclass(frozen=True)
class Navigation:
    """The navbar's selectors."""

    platform: Platform
    period: Period
    platforms: list[Platform]
    groups: list[PeriodGroup]
    # The last day the period's figures count (the platform's data day, metrics.md).
    through: dt.date | None = None

    @property
    def period_label(self) -> str:
        """The period as every page heads its figures: 2016年第二季度（截至2016年4月30日）."""
        return through_label(self.period.label, self.period.end, self.through)

    @property
    def periods(self) -> list[Period]:
        return [p for group in self.groups for p in group.periods]

    @property
    def custom(self) -> bool:
        """Whether the period in view is a range the menu does not list."""
        return self.period not in self.periods


def navigation(request: HttpRequest, platform: Platform, period: Period) -> Navigation:
    """Every quarter, half-year, year and month with data on the platform (a
    county's or a hospital's missing months are what its users need to see)."""
    first, last = platform_span(request, platform)
    through = counted_through(platform, period.end) if period.overlaps(first, last) else None
    return Navigation(
        platform, period, request_platforms(request), period_groups(first, last), through
    )


def period_has_data(request: HttpRequest, platform: Platform, period: Period) -> bool:
    """Whether the platform holds statistics for any day of the period."""
    return period.overlaps(*platform_span(request, platform))


def no_data_page(request: HttpRequest, platform: Platform, period: Period) -> HttpResponse | None:
    """A page saying the period holds no statistics yet (with the latest period
    that does), or None when it holds some: a period after the platform's last
    statistics must not rank every hospital in the fourth tier. (Inside the
    platform's span, an institution without uploads does belong there.)"""
    if period_has_data(request, platform, period):
        return None
    first, last = platform_span(request, platform)
    return render(
        request,
        "web/no_data.html",
        {
            "nav": navigation(request, platform, period),
            "period": period,
            "platform": platform,
            "first": first,
            "last": last,
            "latest": default_period(last) if last else None,
            # Last night's failure matters most when nothing has arrived.
            "problems": night_problems(request_platforms(request)),
        },
    )
