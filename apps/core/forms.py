"""What every form of the portal shares: Bootstrap classes on its widgets, dates
as ISO values (what `<input type="date">` takes: a browser drops "2023/04/25" and
a form saved unchanged would lose it), and Django's length messages reworded.

A form renders its fields with `{{ field }}`, so the widget carries `maxlength`,
`required`, the selected option and the ISO date itself."""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.http import Http404
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

ISO_DATE = "%Y-%m-%d"
# The codes of Django's refusals of a choice outside a model choice field's queryset.
FOREIGN_CHOICE = frozenset({"invalid_choice", "invalid_pk_value", "invalid_list"})

# Django's own messages, reworded in our catalogue (LOCALE_PATHS wins over Django's).
LENGTH_MESSAGES = (
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
)


class DateInput(forms.DateInput):
    """A browser's date picker, filled with the ISO date it understands."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=ISO_DATE)


class Select(forms.Select):
    """Django's Select, the same HTML written here instead of through a template
    per option: the filter bar of a page read by many officers renders four of them
    on every request (13 ms of a 38 ms page; tests/web/test_select.py compares)."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group_name, options, _index in widget["optgroups"]:
            html = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((str(o["value"]), flatatt(o["attrs"]), o["label"]) for o in options),
            )
            groups.append(
                format_html('<optgroup label="{}">{}</optgroup>', group_name, html)
                if group_name
                else html
            )
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            SafeString("".join(groups)),
        )


class _ListedChoices(forms.models.ModelChoiceIterator):
    """The choices from the queryset read once as a list. Django's iterator reads
    them through `QuerySet.iterator()`, which on PostgreSQL is a server-side cursor
    (DECLARE, FETCH, CLOSE: three round trips for a dozen regions)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField for a short list (regions of a scope, platforms)."""

    iterator = _ListedChoices


def _css(widget: forms.Widget, small: bool) -> str:
    size = " form-select-sm" if small else ""
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "form-select" + size
    return "form-control" + (" form-control-sm" if small else "")


class PortalForm(forms.Form):
    """A form of the portal: every widget styled (`small` for the compact ones in
    cards and filter bars) and every date field an ISO date picker."""

    small = True

    def full_clean(self) -> None:
        """A choice of objects (a platform, region, institution, bulletin, layout)
        outside the field's queryset — the user's scope — answers 404, as the same
        object named in a URL does: a request naming another region's platform or
        hospital is refused whole, not re-shown as a form with a wrong choice."""
        super().full_clean()
        if not self._errors:
            return
        for name, errors in self._errors.as_data().items():
            field = self.fields.get(name)
            if isinstance(field, forms.ModelChoiceField | forms.ModelMultipleChoiceField) and any(
                error.code in FOREIGN_CHOICE for error in errors
            ):
                raise Http404(_("Page not found."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateField) and not isinstance(field.widget, DateInput):
                widget = DateInput(attrs=field.widget.attrs)
                widget.is_required = field.required
                field.widget = widget
            field.widget.attrs.setdefault("class", _css(field.widget, self.small))
