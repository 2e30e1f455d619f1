from django.db import migrations

# A copy (migrations stay frozen): the defaults of metrics.md as of this migration.
DEFAULTS = [
    ("outpatient_visits", "门急诊上传人次", "人次", "flow", "诊疗服务"),
    ("discharges", "出院上传人次", "人次", "flow", "诊疗服务"),
    ("lab_exam_reports", "检验检查上传量", "份", "flow", "诊疗服务"),
    ("ehr_basic", "健康档案（基本信息）", "份", "stock", "健康档案"),
    ("ehr_hypertension", "健康档案（高血压）", "份", "stock", "健康档案"),
    ("ehr_diabetes", "健康档案（糖尿病）", "份", "stock", "健康档案"),
    ("appt_online", "预约挂号：12320在线", "人次", "flow", "预约挂号"),
    ("appt_phone", "预约挂号：电话", "人次", "flow", "预约挂号"),
    ("appt_clinic", "预约挂号：诊间", "人次", "flow", "预约挂号"),
    ("appt_third_party", "预约挂号：第三方", "人次", "flow", "预约挂号"),
    ("tele_consultations", "远程会诊", "例", "flow", "远程医疗"),
    ("tele_ecg", "远程心电", "例", "flow", "远程医疗"),
    ("tele_lab", "远程检验", "例", "flow", "远程医疗"),
    ("tele_imaging", "远程影像", "例", "flow", "远程医疗"),
]


def create(apps, schema_editor):
    Indicator = apps.get_model("indicators", "Indicator")
    for position, (code, name, unit, kind, group) in enumerate(DEFAULTS, start=1):
        Indicator.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "unit": unit,
                "kind": kind,
                "group": group,
                "position": position,
                "builtin": True,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
