"""The two layouts the portal ships: the province newsletter's table (Jiangsu seed)
and the city newsletter's collection table (Nanjing seed)."""

from django.db import migrations

LAYOUTS = [
    {
        "name": "省平台数据上传情况（江苏简报样式）",
        "title": "数据上传省平台情况",
        "columns": [
            "records",
            "upload_days",
            "outpatient_visits.value",
            "outpatient_visits.rate",
            "discharges.value",
            "discharges.rate",
            "ehr_basic.rate",
            "ehr_hypertension.rate",
            "ehr_diabetes.rate",
        ],
        "order": "records",
    },
    {
        "name": "平台数据采集情况（南京简报样式）",
        "title": "卫生信息平台数据采集情况",
        "columns": [
            "declared_required",
            "tables_uploaded",
            "records",
            "upload_days",
            "outpatient_visits.value",
            "discharges.value",
            "ehr_basic.value",
            "ehr_hypertension.value",
            "ehr_diabetes.value",
        ],
        "order": "records",
    },
]


def ship(apps, schema_editor):
    ReportLayout = apps.get_model("reports", "ReportLayout")
    for layout in LAYOUTS:
        ReportLayout.objects.update_or_create(
            region=None, name=layout["name"], defaults={**layout, "builtin": True}
        )


def unship(apps, schema_editor):
    apps.get_model("reports", "ReportLayout").objects.filter(builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(ship, unship)]
