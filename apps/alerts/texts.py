"""The words of the alerts, in the portal's language (Chinese through the catalogue)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Flip, Status, Watch


def _last(day: dt.date | None) -> str:
    return day.isoformat() if day else _("never")


def _link(org_code: str, platform_code: str) -> str:
    base = settings.HIPWATCH_ALERTS["site_url"].rstrip("/")
    path = reverse("institution-detail", args=[org_code])
    return f"{base}{path}?platform={platform_code}"


def flip_subject(flip: Flip) -> str:
    if flip.dropped:
        return _("[Interconnection supervision] %(institution)s uploaded far less than usual") % {
            "institution": flip.institution.name
        }
    if flip.old_status == Status.DROP and not flip.went_silent:
        return _("[Interconnection supervision] %(institution)s uploads its usual volume again") % {
            "institution": flip.institution.name
        }
    if flip.went_silent:
        return _(
            "[Interconnection supervision] %(institution)s has uploaded no data for %(days)d days"
        ) % {"institution": flip.institution.name, "days": flip.silent_days}
    return _("[Interconnection supervision] %(institution)s is uploading data again") % {
        "institution": flip.institution.name
    }


def flip_body(flip: Flip) -> str:
    inst = flip.institution
    values = {
        "institution": inst.name,
        "org_code": inst.org_code,
        "region": inst.region_label,
        "platform": flip.platform.name,
        "days": flip.silent_days,
        "last": _last(flip.last_upload_date),
    }
    if flip.dropped:
        text = _(
            "%(institution)s (%(org_code)s, %(region)s) uploaded %(records)s records to "
            "%(platform)s on %(day)s, %(share)s%% of its usual %(usual)s: check its "
            "interfaces before the gap grows."
        ) % {
            **values,
            "records": flip.records,
            "usual": flip.usual,
            "share": flip.share,
            "day": (flip.day - dt.timedelta(days=1)).isoformat(),
        }
    elif flip.old_status == Status.DROP and not flip.went_silent:
        text = (
            _(
                "%(institution)s (%(org_code)s, %(region)s) uploads its usual volume to "
                "%(platform)s again. Last upload: %(last)s."
            )
            % values
        )
    elif flip.went_silent:
        text = (
            _(
                "%(institution)s (%(org_code)s, %(region)s) has uploaded no records to "
                "%(platform)s for %(days)d days. Last upload: %(last)s."
            )
            % values
        )
    else:
        text = (
            _(
                "%(institution)s (%(org_code)s, %(region)s) is uploading records to "
                "%(platform)s again. Last upload: %(last)s."
            )
            % values
        )
    details = _("Details: %(url)s") % {"url": _link(inst.org_code, flip.platform.code)}
    return f"{text}\n{details}"


def robot_text(flip: Flip) -> str:
    return f"{flip_subject(flip)}\n{flip_body(flip)}"


def digest_subject(day: dt.date, count: int) -> str:
    return _(
        "[Interconnection supervision] Daily digest %(day)s: %(count)d silent institutions"
    ) % {"day": day.isoformat(), "count": count}


def digest_body(day: dt.date, watches: Sequence[Watch]) -> str:
    lines = [
        _("Institutions in your scope with no records on the last days, as of %(day)s:")
        % {"day": day.isoformat()},
        "",
    ]
    for watch in watches:
        inst = watch.institution
        lines.append(
            _(
                "%(institution)s (%(org_code)s), %(region)s, %(platform)s: last upload "
                "%(last)s, %(days)d days without records"
            )
            % {
                "institution": inst.name,
                "org_code": inst.org_code,
                "region": inst.region_label,
                "platform": watch.platform.name,
                "last": _last(watch.last_upload_date),
                "days": watch.silent_days,
            }
        )
    base = settings.HIPWATCH_ALERTS["site_url"].rstrip("/")
    lines += ["", _("The list in the portal: %(url)s") % {"url": base + reverse("alerts-silent")}]
    return "\n".join(lines)
