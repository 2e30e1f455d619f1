"""The per-institution monthly roll-up (built from what is stored in 0005)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('institutions', '0002_registry_order'),
        ('platforms', '0004_declarations'),
        ('uploads', '0003_partition_by_month'),
    ]

    operations = [
        migrations.CreateModel(
            name='MonthlyTotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField(verbose_name='month (its first day)')),
                ('records', models.BigIntegerField(verbose_name='records uploaded')),
                ('rejected', models.BigIntegerField(verbose_name='records rejected')),
                ('upload_days', models.BigIntegerField(verbose_name='days with records (bitmap)')),
                ('last_upload', models.DateField(null=True, verbose_name='last day with records')),
                ('tables', models.TextField(blank=True, default='', verbose_name='tables with records')),
                ('silent_tables', models.TextField(blank=True, default='', verbose_name='tables without records')),
                ('institution', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='institutions.institution', verbose_name='institution')),
                ('platform', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='platforms.platform', verbose_name='platform')),
            ],
            options={
                'verbose_name': 'monthly upload total',
                'verbose_name_plural': 'monthly upload totals',
                'indexes': [models.Index(fields=['platform', 'month'], name='monthly_total_platform_month')],
                'constraints': [models.UniqueConstraint(fields=('platform', 'institution', 'month'), name='monthly_total_unique_key')],
            },
        ),
    ]
