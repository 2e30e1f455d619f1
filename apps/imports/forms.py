from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.forms import PortalForm
from apps.institutions.models import Institution
from apps.platforms.models import TableEdition

from .kinds import ImportKind


class ImportForm(PortalForm):
    """The file, and what else the kind needs: the platform, and for a catalogue
    its edition, valid-from day and categories."""

    small = False
    file = forms.FileField(label=_("File (CSV or XLSX)"))
    platform = forms.ModelChoiceField(
        label=_("Information platform"), queryset=None, to_field_name="code"
    )
    edition = forms.CharField(
        label=_("Edition name"),
        max_length=TableEdition._meta.get_field("name").max_length,
        help_text=_("Importing an edition of the same name again replaces its tables."),
    )
    phase = forms.CharField(
        label=_("Phase"),
        max_length=32,
        help_text=_("The name of the platform's build-out phase as the onboarding page names it."),
    )
    valid_from = forms.DateField(label=_("In force from"))
    categories = forms.MultipleChoiceField(
        label=_("Institution categories it applies to"),
        choices=Institution.Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every institution."),
    )

    def __init__(self, *args, kind: ImportKind, platforms, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind.needs_platform:
            self.fields["platform"].queryset = platforms
            if platforms.count() == 1:
                self.fields["platform"].initial = platforms.first()
        else:
            del self.fields["platform"]
        if not kind.edition:
            del self.fields["edition"]
        elif kind.key != "tables":
            self.fields["edition"].help_text = _(
                "The name of the catalogue edition the declared tables belong to."
            )
        if not kind.phase:
            del self.fields["phase"]
        if kind.key != "tables":
            for name in ("valid_from", "categories"):
                del self.fields[name]
        else:
            self.fields["valid_from"].initial = timezone.localdate()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.HIPWATCH_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; at most %(limit)s can be imported at once.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        return upload

    def options(self) -> dict:
        data = self.cleaned_data
        if self.kind.phase:
            return {"phase": data["phase"].strip()}
        if self.kind.key != "tables":
            return {"edition": data["edition"].strip()} if self.kind.edition else {}
        return {
            "edition": data["edition"].strip(),
            "valid_from": data["valid_from"].isoformat(),
            "categories": sorted(data["categories"]),
        }
