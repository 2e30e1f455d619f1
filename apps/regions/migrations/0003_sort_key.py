from django.db import migrations, models


def fill_sort_keys(apps, schema_editor):
    Region = apps.get_model("regions", "Region")
    regions = {r.code: r for r in Region.objects.all()}

    def key(region):
        parent = regions.get(region.parent_id) if region.parent_id else None
        return (key(parent) if parent else "") + f"{region.position:06d}.{region.code}/"

    for region in regions.values():
        region.sort_key = key(region)
    Region.objects.bulk_update(regions.values(), ["sort_key"])


class Migration(migrations.Migration):
    dependencies = [("regions", "0002_region_position")]

    operations = [
        migrations.AddField(
            model_name="region",
            name="sort_key",
            field=models.CharField(
                db_index=True, default="", editable=False, max_length=255, verbose_name="order"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_sort_keys, migrations.RunPython.noop),
        migrations.AlterModelOptions(
            name="region",
            options={
                "ordering": ["sort_key"],
                "verbose_name": "administrative region",
                "verbose_name_plural": "administrative regions",
            },
        ),
    ]
