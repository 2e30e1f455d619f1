from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from apps.core.commands import TranslatedCommand
from apps.core.results import ImportResult
from apps.demo.services import (
    demo_alerts,
    demo_campaign,
    demo_load,
    demo_rectification_and_onboarding,
    demo_users,
)


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Load the Xinyang demo data (41 hospitals, the statistics of 2023) and the demo "
        "accounts; safe to run again"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--province",
            action="store_true",
            help=gettext_lazy(
                "Load the provincial demo instead: the Jiangsu province platform of 2016, "
                "its 13 city platforms and 12 province hospitals"
            ),
        )
        parser.add_argument(
            "--without-indicators",
            action="store_true",
            help=gettext_lazy(
                "Leave out the business indicators and references (a quicker load, for "
                "the tests that read only the upload statistics)"
            ),
        )

        parser.add_argument(
            "--with-sources",
            action="store_true",
            help=gettext_lazy(
                "Publish the demo platform's data as a vendor's database and a folder of "
                "daily files too, and set them on its page (to try the other sources)"
            ),
        )
        parser.add_argument(
            "--without-quality",
            action="store_true",
            help=gettext_lazy("Leave out the data quality rules and results (a quicker load)"),
        )

    def handle(
        self,
        *args,
        province=False,
        without_indicators=False,
        without_quality=False,
        with_sources=False,
        **options,
    ):
        if province:
            return self.handle_province()
        self.report(
            demo_load(with_indicators=not without_indicators, with_quality=not without_quality)
        )
        self.stdout.write("")
        self.stdout.write(_("Demo accounts (log in at http://127.0.0.1:8000/):"))
        for login in demo_users():
            self.stdout.write(
                _("  %(username)-12s password %(password)s  %(who)s")
                % {"username": login.username, "password": login.password, "who": login.who}
            )
        demo_rectification_and_onboarding()
        if not without_quality:
            demo_campaign()
        demo_alerts()
        if with_sources:
            from apps.demo.services import demo_sources

            database, folder = demo_sources()
            self.stdout.write(
                _(
                    "The demo platform's data, as other sources give it: the database "
                    "%(database)s and the folder %(folder)s (Data sync → the platform → Data source)."
                )
                % {"database": database, "folder": folder}
            )

    def report(self, report: dict) -> None:
        """One line per part of the demo: what its import did."""
        labels = {
            "regions": _("Administrative regions"),
            "institutions": _("Institution registry"),
            "tables": _("Table catalogue"),
            "connections": _("Connection status changes"),
            "uploads": _("Upload statistics"),
            "indicators": _("Business indicators"),
            "references": _("References"),
            "quality_rules": _("Quality rules"),
            "maturity": _("Maturity levels"),
            "quality": _("Quality results"),
        }
        for key, value in report.items():
            if isinstance(value, ImportResult):
                text = value.summary()
            else:
                text = ngettext("%(n)d entry", "%(n)d entries", value) % {"n": value}
            self.stdout.write(_("%(label)s: %(summary)s") % {"label": labels[key], "summary": text})

    def handle_province(self):
        from apps.demo.province import (
            PERIOD_KEY,
            PLATFORM_CODE,
            province_demo_load,
            province_demo_users,
        )

        self.report(province_demo_load())
        self.stdout.write("")
        self.stdout.write(_("Demo accounts (log in at http://127.0.0.1:8000/):"))
        for username, password, name in province_demo_users():
            self.stdout.write(
                _("  %(username)-12s password %(password)s  %(who)s")
                % {"username": username, "password": password, "who": name}
            )
        self.stdout.write(
            _("The newsletter's table: /reports/?platform=%(platform)s&period=%(period)s")
            % {"platform": PLATFORM_CODE, "period": PERIOD_KEY}
        )
