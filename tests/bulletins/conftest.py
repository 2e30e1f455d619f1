import datetime as dt
import io

import pytest
from django.core.management import call_command

from apps.accounts.models import User
from apps.bulletins.services import bulletin_create
from apps.platforms.models import Platform
from apps.regions.models import Region


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())
    return Platform.objects.get(code="xinyang")


@pytest.fixture
def officer(demo):
    return User.objects.get(username="city")


@pytest.fixture
def county(demo):
    return User.objects.get(username="huangchuan")


@pytest.fixture
def hospital(demo):
    return User.objects.get(username="xyzx")


def make_bulletin(user, platform, number="信卫信息函〔2023〕4号", **extra):
    fields = {
        "title": "信阳市卫生健康委员会关于2023年度第二季度全民健康信息平台互联互通工作的通报",
        "issuing_body": "信阳市卫生健康委员会",
        "recipients": "各县区卫生健康委，市直各医疗机构",
        "issue_date": dt.date(2023, 7, 1),
        "opening": "今年以来，全市各级医疗机构按照年度工作计划安排推进互联互通。",
        "requirements": "（一）加快接入进度。\n（二）加强维护管理。",
        "contacts": "联系人：科技信息科",
    }
    fields.update(extra)
    return bulletin_create(
        user=user,
        platform=platform,
        region=Region.objects.get(code="411500"),
        period_start=dt.date(2023, 4, 1),
        period_end=dt.date(2023, 6, 30),
        period_label="2023年第二季度",
        number=number,
        **fields,
    )


@pytest.fixture
def draft(officer, demo):
    return make_bulletin(officer, demo)
