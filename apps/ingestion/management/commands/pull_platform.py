import datetime as dt
import sys

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand
from apps.ingestion.backfills import backfill_run, backfill_start
from apps.ingestion.models import SyncRun
from apps.platforms.management.commands._args import date_arg, platform_arg


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Pull a platform's statistics: pull_platform --platform CODE "
        "[--date D | --since D --until D] [--institutions]"
    )

    def add_arguments(self, parser):
        parser.add_argument("--platform", required=True)
        parser.add_argument("--date")
        parser.add_argument("--since")
        parser.add_argument("--until")
        parser.add_argument("--institutions", action="store_true")

    def handle(self, *args, platform, date, since, until, institutions, **options):
        platform_obj = platform_arg(platform)
        if not platform_obj.can_be_pulled:
            raise CommandError(_("The platform has no statistics interface URL and token."))
        if date and (since or until):
            raise CommandError(_("Give --date or --since/--until, not both."))
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        first = date_arg(date or since) if (date or since) else yesterday
        last = date_arg(date or until) if (date or until) else first
        if last < first:
            raise CommandError(_("--until is before --since."))
        backfill = backfill_start(
            platform=platform_obj,
            first_day=first,
            last_day=last,
            with_institutions=institutions,
            trigger=SyncRun.Trigger.COMMAND,
        )
        backfill_run(backfill, on_run=self.report)
        if backfill.days_failed:
            raise CommandError(
                _("%(n)d of %(total)d days failed.")
                % {"n": backfill.days_failed, "total": backfill.days_total}
            )

    def report(self, backfill, run):
        if run.kind == SyncRun.Kind.INSTITUTIONS:
            self.stdout.write(
                _(
                    "Institutions: %(outcome)s, %(changed)d status changes, %(unknown)d unknown codes"
                )
                % {
                    "outcome": run.get_outcome_display(),
                    "changed": run.rows_stored,
                    "unknown": run.unknown_codes,
                }
            )
        else:
            width = 30
            done = int(width * backfill.days_done / backfill.days_total)
            bar = "█" * done + "·" * (width - done)
            line = _(
                "%(day)s %(outcome)s: %(stored)d stored, %(rejected)d rejected, %(unknown)d unknown codes"
            ) % {
                "day": run.day,
                "outcome": run.get_outcome_display(),
                "stored": run.rows_stored,
                "rejected": run.rows_rejected,
                "unknown": run.unknown_codes,
            }
            if run.kind == SyncRun.Kind.INDICATORS:
                line = f"{run.get_kind_display()} {line}"
            self.stdout.write(f"[{bar}] {backfill.days_done}/{backfill.days_total} {line}")
        if run.error:
            self.stderr.write(f"    {run.error}")
        sys.stdout.flush()
