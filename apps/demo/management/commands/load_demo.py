from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from apps.core.commands import TranslatedCommand
from apps.core.results import ImportResult
from apps.demo.services import (
    demo_alerts,
    demo_load,
    demo_rectification_and_onboarding,
    demo_users,
)


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Load the Xinyang demo data (41 hospitals, the statistics of 2023) and the demo "
        "accounts; safe to run again"
    )

    def handle(self, *args, **options):
        labels = {
            "regions": _("Administrative regions"),
            "institutions": _("Institution registry"),
            "tables": _("Table catalogue"),
            "connections": _("Connection status changes"),
            "uploads": _("Upload statistics"),
            "indicators": _("Business indicators"),
            "references": _("References"),
        }
        for key, value in demo_load().items():
            if isinstance(value, ImportResult):
                text = value.summary()
            else:
                text = ngettext("%(n)d entry", "%(n)d entries", value) % {"n": value}
            self.stdout.write(_("%(label)s: %(summary)s") % {"label": labels[key], "summary": text})
        self.stdout.write("")
        self.stdout.write(_("Demo accounts (log in at http://127.0.0.1:8000/):"))
        for login in demo_users():
            self.stdout.write(
                _("  %(username)-12s password %(password)s  %(who)s")
                % {"username": login.username, "password": login.password, "who": login.who}
            )
        demo_rectification_and_onboarding()
        demo_alerts()
