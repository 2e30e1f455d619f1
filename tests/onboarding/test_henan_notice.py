"""The Henan notice (豫卫医函〔2021〕138号) rebuilt from a province's registry: its 148
designated hospitals are the targets of one phase on the province's platform, 80 of
them connected, and — with no step dated anywhere — the province officer's one export
of those not done is the notice's 附件2 exactly: 68 hospitals under their 省辖市 or
省直, 省直 first, the cities in the province's order."""

import csv
import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from apps.onboarding.models import PhaseTarget, StepCompletion
from apps.onboarding.services import plan_create
from tests.conftest import connect
from tests.factories import InstitutionFactory, PlatformFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db

ATTACHMENT = Path(__file__).parent / "data" / "henan-2021-attachment2.csv"
# The province's cities in its own order (the regions file's), with their codes.
CITIES = [
    ("410100", "郑州市"),
    ("410200", "开封市"),
    ("410300", "洛阳市"),
    ("410400", "平顶山市"),
    ("410500", "安阳市"),
    ("410600", "鹤壁市"),
    ("410700", "新乡市"),
    ("410800", "焦作市"),
    ("410900", "濮阳市"),
    ("411000", "许昌市"),
    ("411100", "漯河市"),
    ("411200", "三门峡市"),
    ("411400", "商丘市"),
    ("411600", "周口市"),
    ("411700", "驻马店市"),
    ("411300", "南阳市"),
    ("411500", "信阳市"),
    ("419001", "济源市"),
]


def attachment() -> list[tuple[str, str]]:
    lines = [
        line
        for line in ATTACHMENT.read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
    ]
    return [(row["省辖市/省直"], row["医院名称"]) for row in csv.DictReader(lines)]


@pytest.fixture
def henan():
    province = RegionFactory(code="410000", name="河南省", level="province")
    cities = {
        name: RegionFactory(code=code, name=name, level="city", parent=province, position=n)
        for n, (code, name) in enumerate(CITIES, start=1)
    }
    platform = PlatformFactory(
        code="henan-tele", name="河南省远程医疗综合服务平台", level="province", region=province
    )
    plan = plan_create(platform=platform, name="定点医院对接", deadline=dt.date(2021, 12, 31))
    not_done = attachment()
    hospitals = []
    for n, (where, name) in enumerate(not_done, start=1):
        region = province if where == "省直" else cities[where]
        hospitals.append(
            (InstitutionFactory(org_code=f"4100{n:07d}", name=name, region=region), False)
        )
    # The 80 designated hospitals that did connect, spread over the cities.
    for n in range(80):
        region = list(cities.values())[n % len(cities)]
        inst = InstitutionFactory(
            org_code=f"4199{n:07d}", name=f"{region.name}定点医院{n + 1}", region=region
        )
        hospitals.append((inst, True))
    for inst, joined in hospitals:
        PhaseTarget.objects.create(plan=plan, platform=platform, institution=inst)
        if joined:
            connect(
                inst, platform, since=dt.date(2021, 4, 1) + dt.timedelta(days=len(inst.name) % 60)
            )
        elif inst.org_code.endswith("3"):
            connect(inst, platform, since=dt.date(2021, 5, 1), status="integrating")
    officer = UserFactory(username="henan", role="province", region=province)
    return platform, plan, officer


def test_the_not_done_list_is_the_notices_attachment(client, henan):
    platform, plan, officer = henan
    assert PhaseTarget.objects.filter(plan=plan).count() == 148
    assert not StepCompletion.objects.exists()  # no step dated anywhere
    client.force_login(officer)
    with time_machine.travel(
        dt.datetime(2021, 9, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        page = client.get("/onboarding/", {"platform": platform.code})
        response = client.get("/onboarding/", {"platform": platform.code, "export": "not_done"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    heading, headers, *data = rows
    assert headers[:2] == ("省辖市/省直", "医院名称")
    assert [(r[0], r[1]) for r in data] == attachment()
    assert len(data) == 68
    # The page: 148 targets, 80 done, by city — one row per city, its own hospitals
    # inside it, 省直 first.
    summary = page.context["coverage"].rows[0]
    assert summary[2:4] == [148, 80]
    regions = [r[0] for r in page.context["by_region"].rows]
    assert regions == ["省直"] + [name for _code, name in CITIES]
    by_region = {r[0]: r for r in page.context["by_region"].rows}
    assert by_region["省直"][1:] == [6, 0, 0, 6]
