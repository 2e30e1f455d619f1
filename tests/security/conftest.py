"""A small province for the security tests: the shared city (two counties and the
市直 hospital) on its platform, plus a second city, 南阳市, outside alice's scope,
on a platform of its own. Every kind of object the portal shows exists on both
sides of each user's scope boundary."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.alerts.models import Notification
from apps.alerts.services import alerts_evaluate, alerts_process_flips
from apps.bulletins.services import bulletin_create, bulletin_publish
from apps.campaigns.models import Campaign, Inspection
from apps.campaigns.services import campaign_save
from apps.imports.services import import_job_check, import_job_create
from apps.ingestion.models import SyncRun, UnknownIndicatorValue, UnknownUpload
from apps.maturity.services import assessment_save
from apps.onboarding.services import plan_create, step_set_date
from apps.quality.services import quality_import, quality_rules_import
from apps.rectification.services import task_answer, task_open
from tests.conftest import connect, every_day, upload
from tests.factories import (
    EditionFactory,
    InstitutionFactory,
    PlatformFactory,
    RegionFactory,
    UserFactory,
)

Q2 = (dt.date(2023, 4, 1), dt.date(2023, 6, 30))


def bulletin(user, platform, number, region, **extra):
    fields = {
        "title": f"{region.name}关于2023年第二季度全民健康信息平台互联互通工作的通报",
        "issuing_body": f"{region.name}卫生健康委员会",
        "recipients": "各医疗机构",
        "issue_date": dt.date(2023, 7, 1),
        "opening": "今年以来，各医疗机构推进互联互通。",
        "requirements": "（一）加快接入进度。",
        "contacts": "联系人：信息科",
        **extra,
    }
    return bulletin_create(
        user=user,
        platform=platform,
        region=region,
        period_start=Q2[0],
        period_end=Q2[1],
        period_label="2023年第二季度",
        number=number,
        **fields,
    )


def _task(officer, staff, institution, problem):
    task = task_open(
        user=officer,
        institution=institution,
        problem=problem,
        requirement="补传缺失的数据表",
        due_date=dt.date(2023, 7, 31),
    )
    task_answer(
        user=staff,
        task=task,
        text="已补传",
        files=[SimpleUploadedFile("answer.txt", "已补传缺失的表。".encode(), "text/plain")],
    )
    task.refresh_from_db()
    return task


@pytest.fixture
def world(city, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    w = SimpleNamespace(**vars(city), **vars(users))
    w.nanyang = RegionFactory(code="411300", name="南阳市", level="city", parent=city.province)
    w.ny = InstitutionFactory(org_code="41130000001", name="南阳市中心医院", region=w.nanyang)
    w.nora = UserFactory(username="nora", role="city", region=w.nanyang)
    w.gina = UserFactory(username="gina", role="hospital", institution=city.gs_people)
    w.hc, w.gs = city.hc_people, city.gs_people
    w.ny_platform = PlatformFactory(code="nanyang", name="南阳市卫生信息平台", region=w.nanyang)
    EditionFactory(platform=w.ny_platform, name="2023", codes=["T1", "T2", "T3", "T4"])
    everyone = (city.central, w.hc, w.gs, w.ny)
    platform_of = {inst: city.platform for inst in everyone} | {w.ny: w.ny_platform}
    for inst in everyone:
        connect(inst, platform_of[inst])
    for platform in (city.platform, w.ny_platform):
        members = [inst for inst in everyone if platform_of[inst] == platform]
        upload(
            platform,
            [
                (day, inst.org_code, code, 10)
                for day in every_day(*Q2)
                for inst in members
                for code in ("T1", "T2", "T3")
            ],
        )
        # Quality results for everyone, so the quality page and quality=1 have rows.
        quality_rules_import(
            source=b"code,name,dimension\nR1,rule one,completeness\n", platform=platform
        )
        quality_import(
            source=(
                "date,org_code,rule,checked,failed\n"
                + "".join(f"2023-05-01,{inst.org_code},R1,10,1\n" for inst in members)
            ).encode(),
            platform=platform,
        )
    # Maturity results for every institution; w.assessment names one per city.
    results = {
        inst.org_code: assessment_save(
            user=None,
            institution=inst,
            scheme="hospital",
            level="4a",
            year=2022,
            target_level="5b",
        )
        for inst in everyone
    }
    w.assessment = {"alice": results[w.hc.org_code], "nora": results[w.ny.org_code]}
    # Bulletins: a draft of the city, one published per county, a draft of 南阳市.
    w.draft_city = bulletin(users.alice, city.platform, "信卫〔2023〕1号", city.city)
    w.pub_hc = bulletin(users.alice, city.platform, "信卫〔2023〕2号", city.huangchuan)
    w.pub_gs = bulletin(users.alice, city.platform, "信卫〔2023〕3号", city.guangshan)
    w.pub_hc = bulletin_publish(bulletin=w.pub_hc, user=users.alice)
    w.pub_gs = bulletin_publish(bulletin=w.pub_gs, user=users.alice)
    w.draft_ny = bulletin(w.nora, w.ny_platform, "宛卫〔2023〕1号", w.nanyang)
    # Rectification tasks, each answered with an attachment.
    w.task_hc = _task(users.bob, users.dana, w.hc, "潢川县人民医院数据不全")
    w.task_gs = _task(users.charlie, w.gina, w.gs, "光山县人民医院数据不全")
    w.task_ny = _task(
        w.nora, UserFactory(username="nick", role="hospital", institution=w.ny), w.ny, "南阳"
    )
    w.att_hc = w.task_hc.events.get(kind="answered").attachments.get()
    w.att_gs = w.task_gs.events.get(kind="answered").attachments.get()
    w.att_ny = w.task_ny.events.get(kind="answered").attachments.get()
    # Onboarding: a plan with a step done by each county's hospital.
    plan = w.plan = plan_create(platform=city.platform, deadline=dt.date(2023, 12, 31))
    w.plan_ny = plan_create(platform=w.ny_platform, deadline=dt.date(2023, 12, 31))
    step = plan.steps.order_by("position").first()
    step_set_date(user=users.bob, institution=w.hc, step=step, done_on=dt.date(2023, 5, 1))
    step_set_date(user=users.charlie, institution=w.gs, step=step, done_on=dt.date(2023, 5, 2))
    # Alerts: every hospital silent on 2023-07-10; each officer and staff notified.
    for platform in (city.platform, w.ny_platform):
        alerts_evaluate(platform=platform, today=dt.date(2023, 7, 10))
    alerts_process_flips()
    w.note = {
        u.username: Notification.objects.filter(user=u).order_by("id").first()
        for u in (users.alice, users.bob, users.charlie, users.dana, w.nora)
    }
    # The nightly pull: one run, and rows of a code the registry does not know.
    w.run = SyncRun.objects.create(
        platform=city.platform,
        kind=SyncRun.Kind.UPLOADS,
        day=dt.date(2023, 6, 30),
        trigger=SyncRun.Trigger.SCHEDULE,
        outcome=SyncRun.Outcome.SUCCESS,
    )
    UnknownUpload.objects.create(
        platform=city.platform,
        day=dt.date(2023, 6, 30),
        org_code="49999999999",
        table_code="T1",
        records=3,
        rejected=0,
        generated_at=dt.datetime(2023, 7, 1, 2, tzinfo=dt.UTC),
        run=w.run,
    )
    # A value of an indicator the catalogue lacks, for 潢川 (known to the city).
    UnknownIndicatorValue.objects.create(
        platform=city.platform,
        day=dt.date(2023, 6, 30),
        org_code="41152600001",
        indicator="kiosk_refunds",
        value=4,
        generated_at=dt.datetime(2023, 7, 1, 2, tzinfo=dt.UTC),
        run=w.run,
    )
    # Imports: one waiting for confirmation in each city.
    head = "机构代码,机构名称,主管区划代码,机构类别,等级\n"
    w.job_city = import_job_check(
        job=import_job_create(
            user=users.alice,
            kind="institutions",
            file_name="信阳.csv",
            content=(head + f"{w.hc.org_code},{w.hc.name},411526,综合医院,二级甲等\n").encode(),
        )
    )
    w.job_ny = import_job_check(
        job=import_job_create(
            user=w.nora,
            kind="institutions",
            file_name="南阳.csv",
            content=(head + f"{w.ny.org_code},{w.ny.name},411300,综合医院,三级甲等\n").encode(),
        )
    )

    # Campaigns: the city's over both counties, one over 潢川 only, 南阳's; an
    # inspection of 潢川's hospital and commission.
    def campaign(user, name, units, platform=city.platform):
        return campaign_save(
            user=user,
            campaign=Campaign(
                name=name,
                platform=platform,
                region=user.region,
                start=dt.date(2023, 4, 1),
                end=dt.date(2023, 6, 30),
                completeness_min=Decimal("98"),
            ),
            units=units,
        )

    w.camp_city = campaign(users.alice, "全市专项", [w.hc, w.gs])
    w.camp_hc = campaign(users.alice, "潢川专项", [w.hc])
    w.camp_ny = campaign(w.nora, "南阳专项", [w.ny], platform=w.ny_platform)
    w.insp_hc = Inspection.objects.create(
        campaign=w.camp_city, day=dt.date(2023, 5, 19), institution=w.hc, region=city.huangchuan
    )
    w.insp_ny = Inspection.objects.create(
        campaign=w.camp_ny, day=dt.date(2023, 5, 19), institution=w.ny
    )
    return w
