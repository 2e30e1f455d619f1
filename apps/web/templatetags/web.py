"""Query-string helpers: selectors and links keep the rest of the current query."""

import datetime as dt
from decimal import Decimal

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def hidden_query(context, *exclude):
    """Hidden inputs for every current GET parameter except `exclude` (and the page)."""
    request = context["request"]
    skip = {*exclude, "page"}
    items = [(k, v) for k, values in request.GET.lists() if k not in skip for v in values]
    return format_html_join("", '<input type="hidden" name="{}" value="{}">', items)


@register.simple_tag(takes_context=True)
def query_with(context, **params):
    """The current query string with `params` replaced (None removes), page dropped."""
    query = context["request"].GET.copy()
    query.pop("page", None)
    for key, value in params.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return format_html("?{}", encoded) if encoded else "?"


@register.simple_tag(takes_context=True)
def nav_query(context):
    """Only the platform and period of the current query, for links to other pages."""
    query = context["request"].GET.copy()
    for key in list(query):
        if key not in ("platform", "period"):
            query.pop(key)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else ""


@register.filter
def grouped(value):
    """12345 → 12,345 and 107980.5 → 107,980.5 (the separator the bulletins use),
    as the list's columns."""
    return (
        f"{value:,}" if isinstance(value, int | Decimal) and not isinstance(value, bool) else value
    )


@register.filter
def width_class(percent) -> str:
    """The class that draws a bar `percent` wide (`pct-0` … `pct-100`, static/css): the
    Content-Security-Policy refuses style attributes, so no width is written inline."""
    try:
        number = round(float(percent))
    except (TypeError, ValueError):
        return "pct-0"
    return f"pct-{min(max(number, 0), 100)}"


@register.simple_tag(takes_context=True)
def export_link(context, key, label=None, css="btn btn-sm btn-link p-0 export-link"):
    """A link that downloads the page's table `key` (a Sheet's key, or `all`) as
    Excel: the current query with `export=key`, page dropped."""
    query = context["request"].GET.copy()
    query.pop("page", None)
    query["export"] = key
    return format_html(
        '<a class="{}" href="?{}">{}</a>', css, query.urlencode(), label or _("Export to Excel")
    )


@register.filter
def figure(value):
    """A table cell as the portal writes figures: 12,345 and 2023-06-30."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return grouped(value)


@register.filter
def watches_ingestion(user) -> bool:
    """Whether the user sees the sync pages (the navbar's link)."""
    from apps.accounts.scoping import watches_ingestion as watches

    return watches(user)


@register.filter
def may_import(user) -> bool:
    """Whether the user imports files from the browser (the navbar's link)."""
    from apps.accounts.scoping import may_import as imports

    return imports(user)


@register.filter
def help_header(header):
    """A column header that names a figure links to its definition on the help page."""
    from django.urls import reverse

    from apps.metrics.help import header_anchor

    anchor = header_anchor(header)
    if not anchor:
        return header
    return format_html(
        '<a class="help-link" href="{}#{}" title="{}">{}</a>',
        reverse("help"),
        anchor,
        _("How is this counted?"),
        header,
    )


@register.filter
def help_mark(header):
    """Beside a sortable header (a link already): a small mark linking to the
    figure's definition; nothing for a header that names no figure."""
    from django.urls import reverse

    from apps.metrics.help import header_anchor

    anchor = header_anchor(header)
    if not anchor:
        return ""
    return format_html(
        '<a class="help-mark" href="{}#{}" title="{}" aria-label="{}">?</a>',
        reverse("help"),
        anchor,
        _("How is this counted?"),
        _("How is this counted?"),
    )


@register.filter
def manages_users(user) -> bool:
    """Whether the user runs the accounts below them (the navbar's link)."""
    from apps.accounts.scoping import manages_users as manages

    return manages(user)
