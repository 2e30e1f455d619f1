"""The things issue 10 found wrong, each pinned: upstream institutions exempt with
their date, the audit log in Chinese, the admin in Chinese, Django's length message
reworded, custom periods, the audit filter saying which field is wrong."""

import datetime as dt

from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.audit.presentation import details_text
from tests.conftest import connect


def test_an_upstream_institution_is_exempt_with_its_date(client, quarter, users):
    client.force_login(users.alice)
    html = client.get(
        reverse("institution-detail", args=["41152200002"]), {"period": "2023Q2"}
    ).content.decode()
    assert 'id="exempt"' in html and "免于考核" in html
    assert "2023-01-01" in html  # 联通日期 from the status history, not "—"
    assert 'id="fix-first"' not in html and 'id="missing-tables"' not in html
    assert "缺失 " not in html


def test_the_audit_log_reads_in_chinese(client, quarter, users):
    connect(quarter.gs_people, quarter.platform, since=dt.date(2023, 2, 1), status="upstream")
    event = AuditEvent.objects.filter(action=AuditEvent.Action.CONNECTION_STATUS_CHANGED).first()
    text = details_text(event.details)
    assert "联通状态：未联通 → 已联通省平台" in text and "生效日期：2023-02-01" in text
    assert "status" not in text and "upstream" not in text
    imported = details_text({"import": "uploads xinyang", "file": "/tmp/x/六月.csv", "created": 3})
    assert imported == "导入内容：上传统计 xinyang；文件：六月.csv；新增：3"
    client.force_login(users.alice)
    assert "已联通省平台" in client.get(reverse("audit-list")).content.decode()


def test_the_audit_filter_says_which_field_is_wrong(client, users):
    client.force_login(users.alice)
    html = client.get(
        reverse("audit-list"), {"start": "2023-13-45", "end": "2023-01-01"}
    ).content.decode()
    assert "输入一个有效的日期" in html and "日期无效" not in html
    html = client.get(
        reverse("audit-list"), {"start": "2023-06-01", "end": "2023-01-01"}
    ).content.decode()
    assert "截止日期早于起始日期" in html or "早于" in html


def test_the_admin_is_chinese_and_so_is_sign_in_protection(client, users):
    client.force_login(users.admin)
    html = client.get("/admin/").content.decode()
    assert "健康信息平台互联互通监管门户" in html and "Django" not in html
    assert "登录防护" in html and "登录尝试" in html and "Access attempts" not in html


def test_djangos_length_message_reads_plainly(client, officer, demo):
    from tests.conftest import make_bulletin

    draft = make_bulletin(officer, demo)
    client.force_login(officer)
    url = reverse("bulletin-edit", args=[draft.pk])
    html = client.post(url, {"number": "文" * 70}).content.decode()
    assert "最多 64 个字，现有 70 个字。" in html and "确保该变量" not in html


def test_any_range_of_days_is_a_period(client, quarter, users):
    client.force_login(users.alice)
    response = client.get(reverse("institution-list"), {"period": "2023-04-05~2023-04-20"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "2023-04-05至2023-04-20" in html
    central = next(r for r in response.context["table"].rows if r.record.org_code == "41150000001")
    assert central.record.upload_days == 16
