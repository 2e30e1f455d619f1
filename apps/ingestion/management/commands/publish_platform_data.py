from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand
from apps.ingestion.simulator import data_from_database
from apps.ingestion.vendor import VENDOR_QUERIES, publish_files, publish_sql
from apps.platforms.management.commands._args import platform_arg


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Publish a platform's stored statistics (e.g. the demo's) as the other kinds of "
        "source do: --sql URL writes a vendor's tables (an upload log, one row per batch) "
        "into that database, --folder PATH a file per kind and day; then point a platform "
        "at them with set_platform_source (the queries: apps/ingestion/vendor.py)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--platform", default="xinyang", help=_("Whose data to publish"))
        parser.add_argument("--sql", default="")
        parser.add_argument("--folder", default="")

    def handle(self, *args, platform, sql, folder, **options):
        if not sql and not folder:
            raise CommandError(_("Give --sql URL, --folder PATH or both."))
        data = data_from_database(platform_arg(platform))
        if sql:
            try:
                publish_sql(data, sql)
            except Exception as exc:  # SQLAlchemy's: a bad URL, a refused connection
                raise CommandError(str(exc).splitlines()[0]) from None
            self.stdout.write(
                _(
                    "%(platform)s published into %(url)s (tables: sjsc_rz, ywzb_rtj, zlkz_jg, zlkz_gz, jg_lt; %(n)d queries in apps/ingestion/vendor.py)."
                )
                % {"platform": platform, "url": sql.split("@")[-1], "n": len(VENDOR_QUERIES)}
            )
        if folder:
            written = publish_files(data, folder)
            self.stdout.write(
                _("%(platform)s published into %(folder)s: %(n)d files.")
                % {"platform": platform, "folder": folder, "n": written}
            )
