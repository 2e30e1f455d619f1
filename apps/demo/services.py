"""The Xinyang demo: the 41 hospitals of the 2023 Q2 bulletin and their statistics
of the whole of 2023 (year.py; the second quarter is the bulletin's), their business
indicators and references (indicators.py), loaded through the same import and
storage services as real data. Running it twice changes nothing."""

import datetime as dt
import functools
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext_lazy

from apps.accounts.models import User
from apps.accounts.services import user_add
from apps.core.results import ImportResult
from apps.indicators.models import Indicator
from apps.indicators.services import (
    indicator_add,
    indicator_defaults_ensure,
    indicators_import,
    references_import,
)
from apps.institutions.models import Institution
from apps.institutions.services import institutions_import
from apps.platforms.models import ConnectionStatus, Platform
from apps.platforms.services import connection_set_status, platform_add, tables_import
from apps.quality.services import quality_import, quality_rules_import
from apps.regions.models import Region
from apps.regions.services import regions_import
from apps.reports.layouts import report_layouts_ship
from apps.uploads.services import uploads_import_rows, uploads_parse

from . import generator, indicators, quality, year

DATA = Path(__file__).parent / "data"
PLATFORM_CODE = "xinyang"
SOURCE = "load_demo"
PASSWORD = "hipwatch2023"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    who: str


# The names pages show for the demo's users (姓名), instead of their logins.
DEMO_NAMES = {"city": "张明", "huangchuan": "李娜", "xyzx": "王强"}
DEMO_USERS = [
    (
        "city",
        User.Role.CITY,
        "411500",
        gettext_lazy("Xinyang health commission, science and IT section (city user)"),
    ),
    (
        "huangchuan",
        User.Role.COUNTY,
        "411526",
        gettext_lazy("Huangchuan county health commission (county user)"),
    ),
    (
        "xyzx",
        User.Role.HOSPITAL,
        "41150000001",
        gettext_lazy("Xinyang Central Hospital, IT department (hospital user)"),
    ),
]

# The connection histories (year.connection_history): every hospital the bulletin
# lists as connected has been since before its quarter, some after a spell of 联调;
# 罗山县妇幼保健院, in 联调 then, is connected in September.
INTEGRATION_START = year.INTEGRATION_START


@functools.cache
def _year_rows() -> tuple:
    """The year's statistics file as `uploads_parse` reads it (computed once)."""
    return tuple(uploads_parse(year.demo_year_csv()))


@transaction.atomic
def demo_load(
    *, with_indicators: bool = True, with_quality: bool = True
) -> dict[str, ImportResult | int]:
    report: dict[str, ImportResult | int] = {}
    report["regions"] = regions_import(source=DATA / "regions.csv")
    report["institutions"] = institutions_import(source=DATA / "institutions.csv")
    platform = platform_add(
        code=PLATFORM_CODE,
        name="信阳市全民健康信息平台",
        level=Platform.Level.CITY,
        region=Region.objects.get(code="411500"),
    )
    report["tables"] = tables_import(
        source=DATA / "tables-51.csv",
        platform=platform,
        edition="2023年版（51张表）",
        valid_from=dt.date(2023, 1, 1),
    )
    report["connections"] = _load_connections(platform)
    report_layouts_ship()
    with tempfile.TemporaryDirectory() as tmp:
        # The whole year's statistics file, generated and read by the real parser
        # once per process (a test run loads the demo many times); every load checks
        # and stores its rows through the real importer, as a platform's export.
        path = Path(tmp) / "xinyang-2023-uploads.csv"
        path.write_bytes(year.demo_year_csv())
        report["uploads"] = uploads_import_rows(rows=_year_rows(), source=path, platform=platform)
        report["maturity"] = demo_maturity_load()
        if with_quality:
            # The platform's quality rules, then the year's results.
            path = Path(tmp) / "xinyang-quality-rules.csv"
            path.write_bytes(quality.demo_rules_csv())
            report["quality_rules"] = quality_rules_import(source=path, platform=platform)
            path = Path(tmp) / "xinyang-2023-quality.csv"
            path.write_bytes(quality.demo_quality_csv())
            report["quality"] = quality_import(source=path, platform=platform)
        if not with_indicators:
            return report
        # The default catalogue (a flushed database lost what the migration made)
        # and the kiosks' indicators, which the commission adds to it, then the
        # year's indicator values and the references of 卫生统计直报.
        indicator_defaults_ensure()
        for code, name, unit, kind, group in indicators.KIOSK_INDICATORS:
            if not Indicator.objects.filter(code=code).exists():
                indicator_add(user=None, code=code, name=name, unit=unit, kind=kind, group=group)
        path = Path(tmp) / "xinyang-2023-indicators.csv"
        path.write_bytes(indicators.demo_indicators_csv())
        report["indicators"] = indicators_import(source=path, platform=platform)
        path = Path(tmp) / "xinyang-2023-references.csv"
        path.write_bytes(indicators.demo_references_csv())
        report["references"] = references_import(source=path, platform=platform)
    return report


def _load_connections(platform: Platform) -> int:
    institutions = {i.name: i for i in Institution.objects.all()}
    last_uploads = year.last_upload_days()
    changes = 0
    for row in generator.load_attachment(DATA / "attachment.csv"):
        institution = institutions[row["name"]]
        seq = int(row["seq"])
        steps = year.connection_history(row)
        heartbeat = None
        if year.connected_on(row) is not None:
            # The front server was last seen on the last upload day (the year's end
            # for a hospital that sends nothing).
            last = last_uploads.get(row["org_code"], year.YEAR_END)
            heartbeat = dt.datetime.fromisoformat(f"{last}T23:5{seq % 10}:00+08:00")
        for status, since in steps:
            if connection_set_status(
                institution=institution,
                platform=platform,
                status=status,
                since=since,
                source=SOURCE,
                front_server_last_seen=heartbeat,
            ):
                changes += 1
    return changes


@transaction.atomic
def demo_users() -> list[DemoLogin]:
    logins = []
    for username, role, scope, who in DEMO_USERS:
        user_add(
            username=username,
            role=role,
            scope=scope,
            password=PASSWORD,
            display_name=DEMO_NAMES[username],
        )
        logins.append(DemoLogin(username, PASSWORD, str(who)))
    admin, _created = User.objects.get_or_create(username="admin")
    admin.is_staff = admin.is_superuser = True
    admin.set_password(PASSWORD)
    admin.save()
    logins.append(
        DemoLogin("admin", PASSWORD, str(gettext_lazy("System administrator (admin site /admin/)")))
    )
    return logins


# A few rectification tasks and the onboarding plan of the demo platform, through
# the same services as the pages, each once. The tasks follow the year's
# data: three from the second quarter's bulletin, one for 罗山县中医院's silent
# weeks in August, one for 信阳市第五人民医院's fourth quarter.
DEMO_TASKS = [
    (
        "信阳市中心医院",
        "2023年第二季度有21张必传数据表未上传。",
        "核对接口改造范围，补传缺失的数据表。",
        dt.date(2023, 8, 31),
    ),
    (
        "信阳市人民医院",
        "2023年第二季度数据完整率3.9%，列第三梯队（严重缺失）。",
        "排查前置机与接口，9月30日前补齐缺失数据表的上传。",
        dt.date(2023, 9, 30),
    ),
    (
        "潢川县人民医院",
        "2023年第二季度仅上传1张表，数据上传中断。",
        "恢复每日上传，并说明中断原因。",
        dt.date(2023, 7, 31),
    ),
    (
        "罗山县中医院",
        "2023年8月7日至8月27日连续21天未上传数据。",
        "说明中断原因，落实前置机日常巡检，防止再次中断。",
        dt.date(2023, 10, 20),
    ),
    (
        "信阳市第五人民医院",
        "2023年第四季度上传的数据表由第三季度的22张降至14张，12月27日起未上传数据。",
        "排查停传的数据表与前置机，恢复每日上传。",
        dt.date(2024, 1, 31),
    ),
]
# 信阳市中心医院's staff (the demo's hospital user) answered theirs.
DEMO_ANSWER = "已完成接口改造，7月起按日上传38张数据表。"
PHASE_ONE_DEADLINE = dt.date(2022, 12, 31)
PHASE_TWO_DEADLINE = dt.date(2023, 3, 31)
# 一期 holds the hospitals connected by its date and the two that followed in the first
# week of 2023 (逾期完成); 二期 the others.
PHASE_ONE_LAST = dt.date(2023, 1, 7)
# The day after the demo's statistics end: the alerts are evaluated as of then.
DEMO_ALERTS_DAY = year.YEAR_END + dt.timedelta(days=1)


@transaction.atomic
def demo_rectification_and_onboarding() -> None:
    from apps.onboarding.models import OnboardingPlan, PhaseTarget
    from apps.onboarding.services import plan_create, step_set_date
    from apps.rectification.models import RectificationTask
    from apps.rectification.services import task_answer, task_open

    officer = User.objects.get(username="city")
    platform = Platform.objects.get(code=PLATFORM_CODE)
    institutions = {i.name: i for i in Institution.objects.all()}
    for name, problem, requirement, due in DEMO_TASKS:
        # Each task once (a demo loaded before the year had the first three).
        if not RectificationTask.objects.filter(
            opened_by=officer, institution=institutions[name], problem=problem
        ).exists():
            task = task_open(
                user=officer,
                institution=institutions[name],
                platform=platform,
                problem=problem,
                requirement=requirement,
                due_date=due,
            )
            if name == "信阳市中心医院":
                staff = User.objects.get(username="xyzx")
                task_answer(user=staff, task=task, text=DEMO_ANSWER)
    if OnboardingPlan.objects.filter(platform=platform).exists():
        return
    # Two build-out phases, as Mianyang built its platform: 一期 the institutions
    # connected by its date (31 December 2022) and two that followed a few days late,
    # 二期 the others (due 31 March 2023). A go-live date counts in the figures only
    # before it (the second quarter's, which the seed bulletin gives back, are those
    # without phases).
    phases = {
        "一期": plan_create(
            platform=platform,
            name="一期",
            deadline=PHASE_ONE_DEADLINE,
            note="首批医院接入市平台（前置机、网络、接口改造、审查）。",
        ),
        "二期": plan_create(
            platform=platform,
            name="二期",
            deadline=PHASE_TWO_DEADLINE,
            note="全市二级以上医疗机构全部接入市平台。",
        ),
    }
    # Steps done so far follow the connection: connected institutions did all four,
    # ending on the day they were connected; integrating two; not connected one.
    done_count = {ConnectionStatus.CONNECTED: 4, ConnectionStatus.INTEGRATING: 2}
    for connection in platform.connections.select_related("institution").prefetch_related(
        "changes"
    ):
        if connection.status == ConnectionStatus.UPSTREAM:
            continue  # connected to the province's platform: no phase of this one
        changes = list(connection.changes.all())
        joined = [
            c.effective_date
            for c in changes
            if c.to_status in (ConnectionStatus.CONNECTED, ConnectionStatus.UPSTREAM)
        ]
        first = "一期" if joined and joined[0] <= PHASE_ONE_LAST else "二期"
        plan = phases[first]
        PhaseTarget.objects.create(plan=plan, platform=platform, institution=connection.institution)
        if connection.status == ConnectionStatus.UPSTREAM:
            continue
        last = changes[-1].effective_date if changes else INTEGRATION_START
        count = done_count.get(connection.status, 1)
        steps = list(plan.steps.all())
        for index, step in enumerate(steps[:count]):
            step_set_date(
                user=officer,
                institution=connection.institution,
                step=step,
                done_on=last - dt.timedelta(days=20 * (count - 1 - index)),
            )


def demo_alerts() -> int:
    """Evaluate the demo platform's alerts on the day after its data ends, so the
    portal shows silent hospitals and their bells. Idempotent: a second evaluation
    records no change."""
    from apps.alerts.services import alerts_evaluate, alerts_process_flips

    platform = Platform.objects.get(code=PLATFORM_CODE)
    flips = alerts_evaluate(platform=platform, today=DEMO_ALERTS_DAY)
    alerts_process_flips()
    return len(flips)


# The demo's maturity results (测评等级): code, level, year, notice, target, deadline.
MATURITY = [
    ("41150000001", "4a", 2022, "国卫统信便函〔2023〕21号", "5b", dt.date(2027, 12, 31)),
    ("41150000002", "4b", 2021, "国卫统信便函〔2022〕9号", "4a", dt.date(2024, 6, 30)),
    ("41150000003", "4b", 2023, "国卫统信便函〔2024〕5号", "4b", dt.date(2023, 12, 31)),
    ("41152600001", "4b", 2022, "国卫统信便函〔2023〕21号", "4a", dt.date(2028, 6, 30)),
    ("41152200001", "3", 2020, "", "4b", dt.date(2023, 6, 30)),
]


def demo_maturity_load() -> int:
    """The national assessment results of some demo hospitals, with their targets
    (one past its deadline). Returns how many are recorded."""
    from apps.maturity.services import assessment_save

    by_code = {
        i.org_code: i for i in Institution.objects.filter(org_code__in=[m[0] for m in MATURITY])
    }
    for code, level, in_year, notice, target, deadline in MATURITY:
        if code in by_code:
            assessment_save(
                user=None,
                institution=by_code[code],
                scheme="hospital",
                level=level,
                year=in_year,
                certificate=notice,
                target_level=target,
                target_deadline=deadline,
            )
    return len(by_code)


# The demo's campaign (专项提升行动) and its inspection schedule, in the Nanjing
# newsletter's manner: each date a hospital and a county commission.
CAMPAIGN = {
    "name": "2023年全市医疗卫生数据质量专项提升行动",
    "start": dt.date(2023, 5, 1),
    "end": dt.date(2023, 6, 30),
    "completeness_min": Decimal("98"),
    "conformance_min": Decimal("97"),
    "timeliness_min": Decimal("95"),
    "note": "落实问题清单、任务清单整改，提高市平台数据的完整性、规范性和及时性。",
}
INSPECTIONS = [
    (
        dt.date(2023, 5, 19),
        "41150000001",
        "411526",
        "数据上传完整性、规范性",
        "门诊就诊记录身份证号缺失较多。",
    ),
    (dt.date(2023, 5, 26), "41150000002", "411522", "数据上传完整性、规范性", ""),
    (dt.date(2023, 6, 2), "41150000003", "411525", "数据上传及时性", ""),
    (dt.date(2023, 6, 9), "41152600001", "411524", "数据上传完整性、规范性", ""),
    (dt.date(2023, 6, 16), "41152200001", "411521", "数据上传及时性", ""),
]


@transaction.atomic
def demo_campaign() -> None:
    """One campaign over the city's institutions with its schedule and a task made
    from a problem of its list. Once: a second load adds nothing."""
    from apps.campaigns.models import Campaign, Inspection
    from apps.campaigns.selectors import campaign_problems
    from apps.campaigns.services import campaign_save, campaign_task_open
    from apps.regions.models import Region

    if Campaign.objects.filter(name=CAMPAIGN["name"]).exists():
        return
    officer = User.objects.get(username="city")
    platform = Platform.objects.get(code=PLATFORM_CODE)
    units = list(
        Institution.objects.filter(region__path__startswith=officer.region.path, active=True)
    )
    campaign = campaign_save(
        user=officer,
        campaign=Campaign(platform=platform, region=officer.region, **CAMPAIGN),
        units=units,
    )
    regions = {r.code: r for r in Region.objects.all()}
    by_code = {i.org_code: i for i in units}
    for day, code, region, checklist, findings in INSPECTIONS:
        if code in by_code:
            Inspection.objects.create(
                campaign=campaign,
                day=day,
                institution=by_code[code],
                region=regions.get(region),
                checklist=checklist,
                findings=findings,
            )
    problems = campaign_problems(campaign, campaign.units.all())
    rules = [p for found in problems.values() for p in found if p.kind == "rule"]
    if rules:
        campaign_task_open(
            user=officer,
            campaign=campaign,
            problem=rules[0],
            requirement="核查上传接口字段映射，补齐缺失字段，7月底前达到阈值。",
            due_date=dt.date(2023, 7, 31),
        )


def demo_sources() -> tuple[str, str]:
    """Publish the demo platform's statistics as a vendor's SQLite database and a
    folder of daily files under HIPWATCH_DEMO_SOURCES_DIR, and keep both on its
    page (its source stays what it was): an officer can test and choose either.
    Returns (database URL, folder)."""
    from django.conf import settings

    from apps.ingestion.simulator import data_from_database
    from apps.ingestion.vendor import VENDOR_QUERIES, publish_files, publish_sql

    platform = Platform.objects.get(code=PLATFORM_CODE)
    root = Path(settings.HIPWATCH_DEMO_SOURCES_DIR).resolve()
    root.mkdir(parents=True, exist_ok=True)
    data = data_from_database(platform)
    database = root / f"{platform.code}-vendor.sqlite3"
    url = f"sqlite:///{database}"
    publish_sql(data, url)
    folder = root / platform.code
    publish_files(data, folder)
    platform.sql_url, platform.sql_queries = url, VENDOR_QUERIES
    platform.files_location = str(folder)
    platform.save(update_fields=["sql_url", "sql_queries", "files_location"])
    return url, str(folder)
