import django.db.models.deletion
from django.db import migrations, models

from apps.indicators.years import years_rebuild


def build_years(apps, schema_editor):
    """The year rows of what is stored already, from the roll-up and the references."""
    year_model = apps.get_model("indicators", "IndicatorYear")
    monthly = apps.get_model("indicators", "MonthlyIndicator")
    reference = apps.get_model("indicators", "Reference")
    keys: dict[int, set] = {}
    for platform, inst, month in monthly.objects.values_list(
        "platform_id", "institution_id", "month"
    ).distinct():
        keys.setdefault(platform, set()).add((inst, month.year))
    for platform, inst, start in reference.objects.values_list(
        "platform_id", "institution_id", "start"
    ).distinct():
        keys.setdefault(platform, set()).add((inst, start.year))
    for platform, platform_keys in keys.items():
        years_rebuild(
            year_model=year_model,
            monthly_model=monthly,
            reference_model=reference,
            platform_id=platform,
            keys=platform_keys,
        )


class Migration(migrations.Migration):

    dependencies = [
        ('indicators', '0002_default_catalogue'),
        ('institutions', '0002_registry_order'),
        ('platforms', '0004_declarations'),
    ]

    operations = [
        migrations.CreateModel(
            name='IndicatorYear',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                ('t1', models.BigIntegerField(null=True, verbose_name='sum of month 1')),
                ('t2', models.BigIntegerField(null=True, verbose_name='sum of month 2')),
                ('t3', models.BigIntegerField(null=True, verbose_name='sum of month 3')),
                ('t4', models.BigIntegerField(null=True, verbose_name='sum of month 4')),
                ('t5', models.BigIntegerField(null=True, verbose_name='sum of month 5')),
                ('t6', models.BigIntegerField(null=True, verbose_name='sum of month 6')),
                ('t7', models.BigIntegerField(null=True, verbose_name='sum of month 7')),
                ('t8', models.BigIntegerField(null=True, verbose_name='sum of month 8')),
                ('t9', models.BigIntegerField(null=True, verbose_name='sum of month 9')),
                ('t10', models.BigIntegerField(null=True, verbose_name='sum of month 10')),
                ('t11', models.BigIntegerField(null=True, verbose_name='sum of month 11')),
                ('t12', models.BigIntegerField(null=True, verbose_name='sum of month 12')),
                ('v1', models.BigIntegerField(null=True, verbose_name='latest value of month 1')),
                ('v2', models.BigIntegerField(null=True, verbose_name='latest value of month 2')),
                ('v3', models.BigIntegerField(null=True, verbose_name='latest value of month 3')),
                ('v4', models.BigIntegerField(null=True, verbose_name='latest value of month 4')),
                ('v5', models.BigIntegerField(null=True, verbose_name='latest value of month 5')),
                ('v6', models.BigIntegerField(null=True, verbose_name='latest value of month 6')),
                ('v7', models.BigIntegerField(null=True, verbose_name='latest value of month 7')),
                ('v8', models.BigIntegerField(null=True, verbose_name='latest value of month 8')),
                ('v9', models.BigIntegerField(null=True, verbose_name='latest value of month 9')),
                ('v10', models.BigIntegerField(null=True, verbose_name='latest value of month 10')),
                ('v11', models.BigIntegerField(null=True, verbose_name='latest value of month 11')),
                ('v12', models.BigIntegerField(null=True, verbose_name='latest value of month 12')),
                ('r1', models.BigIntegerField(null=True, verbose_name='reference of month 1')),
                ('r2', models.BigIntegerField(null=True, verbose_name='reference of month 2')),
                ('r3', models.BigIntegerField(null=True, verbose_name='reference of month 3')),
                ('r4', models.BigIntegerField(null=True, verbose_name='reference of month 4')),
                ('r5', models.BigIntegerField(null=True, verbose_name='reference of month 5')),
                ('r6', models.BigIntegerField(null=True, verbose_name='reference of month 6')),
                ('r7', models.BigIntegerField(null=True, verbose_name='reference of month 7')),
                ('r8', models.BigIntegerField(null=True, verbose_name='reference of month 8')),
                ('r9', models.BigIntegerField(null=True, verbose_name='reference of month 9')),
                ('r10', models.BigIntegerField(null=True, verbose_name='reference of month 10')),
                ('r11', models.BigIntegerField(null=True, verbose_name='reference of month 11')),
                ('r12', models.BigIntegerField(null=True, verbose_name='reference of month 12')),
                ('y', models.BigIntegerField(null=True, verbose_name='reference of the year')),
                ('indicator', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='indicators.indicator', verbose_name='indicator')),
                ('institution', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='institutions.institution', verbose_name='institution')),
                ('platform', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='platforms.platform', verbose_name='platform')),
            ],
            options={
                'verbose_name': 'indicator of a year',
                'verbose_name_plural': 'indicators of years',
                'constraints': [models.UniqueConstraint(fields=('platform', 'year', 'institution', 'indicator'), name='indicator_year_unique_key')],
            },
        ),
        migrations.RunPython(build_years, migrations.RunPython.noop),
    ]
