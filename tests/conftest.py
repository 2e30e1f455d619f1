"""Shared fixtures: a small city with two counties, and named users per role,
as healthchecks' alice/bob/charlie:

- alice: city officer of 信阳市 (sees both counties and the 市直 hospital)
- bob: county officer of 潢川县
- charlie: county officer of 光山县
- dana: IT staff of 潢川县人民医院
"""

import datetime as dt
import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from apps.accounts.models import User
from apps.bulletins.services import bulletin_create
from apps.institutions.models import Institution
from apps.platforms.models import Platform
from apps.platforms.services import connection_set_status
from apps.regions.models import Region
from apps.uploads.services import UploadRow, uploads_store
from tests.factories import (
    EditionFactory,
    InstitutionFactory,
    PlatformFactory,
    RegionFactory,
    UserFactory,
)

# With a streaming replica configured (.ci/run's last run), these tests' pages are
# read on it, for real: their data committed (transactional tests, the migrations'
# rows restored each time) and replayed by the replica before each request.
PAGES_ON_REPLICA = ("web", "api", "security", "browser")
TESTS = Path(__file__).resolve().parent


def _on_replica(item) -> bool:
    from django.conf import settings

    if "replica" not in settings.DATABASES:
        return False
    parts = Path(str(item.path)).resolve().relative_to(TESTS).parts
    return len(parts) > 1 and parts[0] in PAGES_ON_REPLICA


@pytest.hookimpl(tryfirst=True)  # before pytest-django orders the tests by their marks
def pytest_collection_modifyitems(config, items):
    """With a replica configured, the pages' tests become transactional with the
    migrations' rows restored, and so does every other transactional test: a flush
    that recreates the content types (a test without serialized rollback) would
    clash with the next test's restored ones."""
    from django.conf import settings
    from pytest_django.fixtures import validate_django_db

    if "replica" not in settings.DATABASES:
        return
    for item in items:
        marker = item.get_closest_marker("django_db")
        if _on_replica(item):
            db = {"transaction": True, "databases": ["default", "replica"]}
        elif marker is not None and validate_django_db(marker)[0]:  # transactional
            _transaction, reset_sequences, databases, _rollback, apps = validate_django_db(marker)
            db = {"transaction": True, "reset_sequences": reset_sequences, "databases": databases}
            db["available_apps"] = apps
        else:
            continue
        item.add_marker(pytest.mark.django_db(**{**db, "serialized_rollback": True}), append=False)


@pytest.fixture(autouse=True)
def pages_on_replica(request):
    """On a replica run, each request of these tests waits until the replica has
    replayed what the test wrote, then reads where the portal sends it; a test whose
    pages never read the replica fails."""
    if not _on_replica(request.node):
        yield
        return
    from apps.core import routing

    original, targets = routing.reads_for, []

    def reads_for(page_request):
        routing.replica_replayed()
        targets.append(original(page_request))
        return targets[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(routing, "reads_for", reads_for)
        yield
    assert not targets or "replica" in targets, f"no page read the replica: {targets}"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The named users get passwords; the default hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache: a rolled-back test leaves the data
    version where it found it, and must not meet the figures it cached (nor a
    fragment this process keeps, the menu's)."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


@pytest.fixture
def celery_in_process(monkeypatch):
    """Tasks run in the calling process, as they do without REDIS_URL, even when the
    suite runs against Redis (tests/ingestion/test_worker.py covers the broker)."""
    from config.celery_app import app

    # Under Django's namespace the CELERY_-prefixed key wins over the plain one.
    monkeypatch.setitem(app.conf, "CELERY_TASK_ALWAYS_EAGER", True)
    monkeypatch.setitem(app.conf, "CELERY_TASK_EAGER_PROPAGATES", True)


def every_day(start, end):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


@pytest.fixture
def city(db):
    province = RegionFactory(code="410000", name="河南省", level="province")
    city = RegionFactory(code="411500", name="信阳市", level="city", parent=province)
    huangchuan = RegionFactory(code="411526", name="潢川县", level="county", parent=city)
    guangshan = RegionFactory(code="411522", name="光山县", level="county", parent=city)
    platform = PlatformFactory(region=city)
    edition = EditionFactory(platform=platform, name="2023", codes=["T1", "T2", "T3", "T4"])
    central = InstitutionFactory(org_code="41150000001", name="信阳市中心医院", region=city)
    hc_people = InstitutionFactory(org_code="41152600001", name="潢川县人民医院", region=huangchuan)
    gs_people = InstitutionFactory(org_code="41152200001", name="光山县人民医院", region=guangshan)
    return SimpleNamespace(
        province=province,
        city=city,
        huangchuan=huangchuan,
        guangshan=guangshan,
        platform=platform,
        edition=edition,
        central=central,
        hc_people=hc_people,
        gs_people=gs_people,
    )


@pytest.fixture
def users(city):
    return SimpleNamespace(
        alice=UserFactory(username="alice", role="city", region=city.city),
        bob=UserFactory(username="bob", role="county", region=city.huangchuan),
        charlie=UserFactory(username="charlie", role="county", region=city.guangshan),
        dana=UserFactory(username="dana", role="hospital", institution=city.hc_people),
        admin=UserFactory(username="admin", is_superuser=True, is_staff=True),
    )


def connect(institution, platform, since=dt.date(2023, 1, 1), status="connected"):
    return connection_set_status(
        institution=institution, platform=platform, status=status, since=since, source="test"
    )


def upload(platform, rows):
    """Store (day, org_code, table_code, records[, rejected]) rows through the real service."""
    from apps.institutions.models import Institution

    parsed = [UploadRow(r[0], r[1], r[2], r[3], r[4] if len(r) > 4 else 0) for r in rows]
    ids = dict(
        Institution.objects.filter(org_code__in={r.org_code for r in parsed}).values_list(
            "org_code", "pk"
        )
    )
    return uploads_store(platform=platform, rows=parsed, institution_ids=ids)


# The Xinyang demo (load_demo) and its users, for the tests that read whole
# bulletins, assessments and API answers over the 41 hospitals: they read the upload
# statistics only, so the business indicators are left out (tests/demo loads all).
@pytest.fixture
def demo(db):
    call_command("load_demo", without_indicators=True, without_quality=True, stdout=io.StringIO())
    return Platform.objects.get(code="xinyang")


@pytest.fixture
def full_demo(db):
    """The Xinyang demo with its business indicators and references too."""
    call_command("load_demo", without_quality=True, stdout=io.StringIO())
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


from tests.simulated import platform_sim  # noqa: E402, F401  (a fixture for every test dir)

# A 2023 second quarter on the shared small city, for the pages:
# - 信阳市中心医院 (市直): connected, T1-T3 every day and a table outside the catalogue
#   → 第一梯队 (75%), continuity 良好
# - 潢川县人民医院: connected, T1 on one day → 第三梯队 (25%), continuity 中断
# - 光山县人民医院: never connected → 未联通
# - 光山县中医院: connected to the provincial platform → 已联通省平台
D = dt.date
Q2 = (D(2023, 4, 1), D(2023, 6, 30))


@pytest.fixture
def quarter(city, users):
    gs_tcm = InstitutionFactory(
        org_code="41152200002",
        name="光山县中医院",
        region=city.guangshan,
        category=Institution.Category.TCM,
    )
    connect(city.central, city.platform)
    connect(city.hc_people, city.platform)
    connect(gs_tcm, city.platform, status="upstream")
    rows = []
    for day in every_day(*Q2):
        rows += [(day, "41150000001", code, 100, 1) for code in ("T1", "T2", "T3")]
    rows.append((D(2023, 6, 1), "41150000001", "X_OUTSIDE", 7))
    rows.append((D(2023, 4, 10), "41152600001", "T1", 50, 2))
    upload(city.platform, rows)
    city.gs_tcm = gs_tcm
    return city


@pytest.fixture
def login(client):
    def login_as(user):
        client.force_login(user)
        return client

    return login_as


@pytest.fixture
def rated(quarter):
    """The quarter's uploads, with outpatient visits and their references: 市中心医院
    uploads 910 of 3,000; 潢川县人民医院 500 of 300 (over the reference); 光山县人民医院
    has a reference for April only (none for the quarter)."""
    values = "".join(
        f"2023-{m:02d}-{d:02d},41150000001,outpatient_visits,10\n"
        for m, last in ((4, 30), (5, 31), (6, 30))
        for d in range(1, last + 1)
    )
    values += "2023-04-10,41152600001,outpatient_visits,500\n"
    values += "2023-04-10,41152600001,discharges,20\n"
    from apps.indicators.services import indicators_import, references_import

    indicators_import(
        source=("date,org_code,indicator,value\n" + values).encode(), platform=quarter.platform
    )
    references = "".join(
        f"2023-{m:02d},41150000001,outpatient_visits,1000,直报\n"
        f"2023-{m:02d},41152600001,outpatient_visits,100,直报\n"
        for m in (4, 5, 6)
    )
    references += "2023-04,41152200001,outpatient_visits,800,直报\n"
    references_import(
        source=("period,org_code,indicator,value,source\n" + references).encode(),
        platform=quarter.platform,
    )
    return quarter
