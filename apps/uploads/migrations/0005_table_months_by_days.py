"""The monthly table roll-up holds bitmaps of days instead of sums of records: the
days each table was reported and those with records (what MonthlyTotal and the
partial months of a period read of it). A revised night that changes counts, not
whether a table had records, then leaves it alone. Rebuilt from the daily rows, and MonthlyTotal from it and the
daily totals. Without the covering index the figures
no longer read, and with room left on its pages (PostgreSQL), its updates are HOT."""

from django.db import migrations, models

from apps.core.partitions import FILLFACTOR
from apps.uploads.rollups import monthly_totals_rebuild, table_months_rebuild


def rebuild(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            # Before the rows: a table with pending foreign-key checks cannot be altered.
            cursor.execute(
                f"ALTER TABLE uploads_monthlytabletotal SET (fillfactor = {FILLFACTOR})"
            )
        table_months_rebuild(cursor)
        monthly_totals_rebuild(cursor)


class Migration(migrations.Migration):
    dependencies = [("uploads", "0004_monthly_total")]

    operations = [
        migrations.RemoveIndex(model_name="monthlytabletotal", name="monthly_total_covering"),
        migrations.AddIndex(
            model_name="monthlytabletotal",
            index=models.Index(
                fields=["platform", "month", "institution", "table_code"],
                name="monthly_table_total_month",
            ),
        ),
        migrations.RemoveField(model_name="monthlytabletotal", name="records"),
        migrations.RemoveField(model_name="monthlytabletotal", name="rejected"),
        migrations.AddField(
            model_name="monthlytabletotal",
            name="report_days",
            field=models.BigIntegerField(default=0, verbose_name="days reported (bitmap)"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="monthlytabletotal",
            name="upload_days",
            field=models.BigIntegerField(default=0, verbose_name="days with records (bitmap)"),
            preserve_default=False,
        ),
        migrations.RunPython(rebuild, migrations.RunPython.noop),
    ]
