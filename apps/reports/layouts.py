"""The report layouts the portal ships: the province newsletter's table (Jiangsu
seed) and the city newsletter's collection table (Nanjing seed). Migration 0002
created them with its own frozen copy; `report_layouts_ship` restores them."""

from .models import ReportLayout

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


def report_layouts_ship() -> int:
    """Create the shipped layouts that are missing. Returns how many were created."""
    created = 0
    for layout in LAYOUTS:
        _layout, new = ReportLayout.objects.get_or_create(
            region=None, name=layout["name"], builtin=True, defaults=layout
        )
        created += new
    return created
