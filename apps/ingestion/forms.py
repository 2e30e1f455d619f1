"""Forms of the sync pages: a backfill, and resolving an unknown code."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.forms import DateInput, PortalForm
from apps.institutions.models import Institution
from apps.regions.models import Region

MAX_BACKFILL_DAYS = 366


class BackfillForm(PortalForm):
    first_day = forms.DateField(label=_("From"), widget=DateInput())
    last_day = forms.DateField(label=_("To"), widget=DateInput())
    with_institutions = forms.BooleanField(label=_("Connection statuses too"), required=False)

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last:
            if last < first:
                raise forms.ValidationError(_("The last day is before the first."))
            if last >= timezone.localdate():
                raise forms.ValidationError(_("A platform has statistics up to yesterday."))
            if (last - first).days + 1 > MAX_BACKFILL_DAYS:
                raise forms.ValidationError(
                    _("At most %(n)d days at once.") % {"n": MAX_BACKFILL_DAYS}
                )
        return data

    @classmethod
    def initial_range(cls) -> dict:
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        return {"first_day": yesterday - dt.timedelta(days=7), "last_day": yesterday}


SELECT = {"class": "form-select form-select-sm"}


class MapCodeForm(PortalForm):
    institution = forms.ModelChoiceField(
        label=_("Healthcare institution"),
        queryset=Institution.objects.none(),
        to_field_name="org_code",
        widget=forms.Select(attrs=SELECT),
    )

    def __init__(self, *args, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions.select_related("region").order_by(
            "region__sort_key", "name"
        )
        self.fields["institution"].label_from_instance = lambda i: (
            f"{i.region_label} · {i.name}（{i.org_code}）"
        )


class RegisterCodeForm(PortalForm):
    name = forms.CharField(
        label=_("Institution name"),
        max_length=128,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    region = forms.ModelChoiceField(
        label=_("Supervising region"),
        queryset=Region.objects.none(),
        to_field_name="code",
        widget=forms.Select(attrs=SELECT),
    )
    category = forms.ChoiceField(
        label=_("Institution category"),
        choices=Institution.Category.choices,
        widget=forms.Select(attrs=SELECT),
    )
    grade = forms.ChoiceField(
        label=_("Grade"), choices=Institution.Grade.choices, widget=forms.Select(attrs=SELECT)
    )

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions.order_by("sort_key")


class PlatformSettingsForm(PortalForm):
    """The interface settings on a platform's page. The token is write-only: the
    field is always empty, and left empty it keeps the stored token."""

    api_url = forms.URLField(
        label=_("Statistics interface URL"),
        max_length=200,
        required=False,
        assume_scheme="https",
        help_text=_(
            "The base URL of the platform's statistics interface, e.g. https://…/stats/api/v1"
        ),
    )
    api_token = forms.CharField(
        label=_("Interface token"),
        max_length=500,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Left empty, the stored token is kept. It is never shown again."),
    )
    silent_after_days = forms.IntegerField(
        label=_("Silent after days without records"),
        min_value=1,
        max_value=60,
        help_text=_("A connected institution with no records on this many days raises an alert."),
    )


QUERY_LABELS = {
    "uploads": _("Upload statistics"),
    "indicators": _("Business indicators"),
    "quality": _("Data quality results"),
    "quality_rules": _("Data quality rules"),
    "institutions": _("Institutions and connection statuses"),
}
TEXTAREA = {"class": "form-control form-control-sm font-monospace", "rows": 4}
TEXT = {"class": "form-control form-control-sm"}


class SourceForm(PortalForm):
    """Where a platform's pulls read (platform-api.md): the kind and its settings.
    The password and the private key are write-only: always empty here, and left
    empty they keep the stored ones."""

    source = forms.ChoiceField(
        label=_("Source"),
        choices=[
            ("http", _("Statistics interface (HTTP)")),
            ("sql", _("The platform's database (SQL)")),
            ("files", _("A folder of daily files (local or SFTP)")),
        ],
        widget=forms.RadioSelect,
    )
    sql_url = forms.CharField(
        label=_("Database URL"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs=TEXT),
        help_text=_(
            "SQLAlchemy's form without the password: postgresql+psycopg://user@host:5432/name "
            "(also openGauss, KingbaseES), mysql+pymysql://…, oracle+oracledb://…, "
            "mssql+pymssql://…"
        ),
    )
    sql_password = forms.CharField(
        label=_("Password of the read-only account"),
        max_length=500,
        required=False,
        strip=False,
        widget=forms.PasswordInput(
            render_value=False, attrs={**TEXT, "autocomplete": "new-password"}
        ),
        help_text=_("Left empty, the stored password is kept. It is never shown again."),
    )
    sql_timeout = forms.IntegerField(
        label=_("Query timeout (seconds)"),
        min_value=1,
        max_value=3600,
        initial=300,
        widget=forms.NumberInput(attrs=TEXT),
    )
    files_location = forms.CharField(
        label=_("Folder"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs=TEXT),
        help_text=_("A local path (/data/platform/daily) or sftp://user@host:port/path"),
    )
    files_private_key = forms.CharField(
        label=_("SFTP private key"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={**TEXTAREA, "autocomplete": "off"}),
        help_text=_("Left empty, the stored key is kept. It is never shown again."),
    )
    files_host_key = forms.CharField(
        label=_("SFTP host key"),
        required=False,
        widget=forms.TextInput(attrs=TEXT),
        help_text=_(
            "The server's public key (ssh-ed25519 AAAA…); a test shows the key the "
            "server offers, to confirm."
        ),
    )

    test_day = forms.DateField(
        label=_("Day to test"),
        required=False,
        widget=DateInput(),
        help_text=_("The test reads this day's rows (by default the platform's data day)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in QUERY_LABELS.items():
            self.fields[f"query_{kind}"] = forms.CharField(
                label=label,
                required=False,
                widget=forms.Textarea(attrs=TEXTAREA),
            )

    @classmethod
    def of(cls, platform, data=None, test_day=None) -> SourceForm:
        initial = {
            "source": platform.source,
            "sql_url": platform.sql_url,
            "sql_timeout": platform.sql_timeout,
            "files_location": platform.files_location,
            "files_host_key": platform.files_host_key,
            "test_day": test_day,
        }
        initial |= {f"query_{k}": q for k, q in (platform.sql_queries or {}).items()}
        return cls(data, initial=initial)

    def settings(self) -> dict:
        """The cleaned data as the services take it (secrets None when left empty)."""
        data = self.cleaned_data
        return {
            "source": data["source"],
            "sql_url": data["sql_url"].strip(),
            "sql_password": data["sql_password"] or None,
            "sql_queries": {
                kind: data[f"query_{kind}"].strip()
                for kind in QUERY_LABELS
                if data[f"query_{kind}"].strip()
            },
            "sql_timeout": data["sql_timeout"],
            "files_location": data["files_location"].strip(),
            "files_private_key": data["files_private_key"] or None,
            "files_host_key": data["files_host_key"].strip(),
        }
