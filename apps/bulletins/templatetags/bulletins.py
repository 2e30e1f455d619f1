import datetime as dt

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def cn_date(value) -> str:
    """2023-06-30 → 2023年6月30日 (the date style of official documents)."""
    if not value:
        return ""
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return _("%(y)d-%(m)d-%(d)d") % {"y": day.year, "m": day.month, "d": day.day}


@register.filter
def names(institutions) -> str:
    """A list of institutions as the text names them: 甲、乙、丙."""
    return _(", ").join(i["name"] for i in institutions)


@register.filter
def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in (text or "").splitlines() if p.strip()]
