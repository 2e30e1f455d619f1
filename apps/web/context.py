"""What every page needs to know before it asks for figures: the platform and the
period the user is looking at, and the choices the navbar offers."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from apps.accounts.scoping import institutions_for, platforms_for
from apps.metrics.figures import data_span
from apps.metrics.periods import Period, default_period, period_choices
from apps.platforms.models import Platform


def _ordered_platforms(user) -> list[Platform]:
    """City platforms first (the one a commission supervises), then by code."""
    return sorted(platforms_for(user), key=lambda p: (p.level != Platform.Level.CITY, p.code))


def resolve_request(request: HttpRequest) -> tuple[Platform | None, Period | None]:
    """The platform (?platform=CODE) and period (?period=KEY) of a request.

    Defaults: the first city platform by code, and the latest ended quarter with
    data in the user's scope. An unknown platform or a malformed period answers 404.
    (None, None) when no platform exists yet.
    """
    platforms = _ordered_platforms(request.user)
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
        period = Period.parse(key)
        if period is None:
            raise Http404(_("Invalid period."))
    else:
        _first, last = data_span(platform, institutions_for(request.user))
        period = default_period(last)
    return platform, period


@dataclass(frozen=True)
class Navigation:
    """The navbar's selectors."""

    platform: Platform
    period: Period
    platforms: list[Platform]
    periods: list[Period]


def navigation(request: HttpRequest, platform: Platform, period: Period) -> Navigation:
    """Quarters and months from the first to the last day with data in the user's scope."""
    first, last = data_span(platform, institutions_for(request.user))
    periods = period_choices(first, last)
    if period not in periods:
        periods = [period, *periods]
    return Navigation(platform, period, _ordered_platforms(request.user), periods)
