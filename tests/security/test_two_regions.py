"""Two regions in one deployment: the Xinyang demo (a city platform of 河南省) and the
Jiangsu provincial demo (a province platform) loaded into one database, as the README
invites. Each region's users see only the platforms that cover their scope — in
menus, defaults, pages, exports, the API — and no request of theirs, aimed at the
other region's platform, institutions or objects, changes anything.

- `test_a_user_never_reads_the_other_region`: every role of each demo crawls the
  portal from its home page (every link of every page it reaches, a few of each
  kind), reading HTML, JSON, workbooks and PDFs: no answer names a platform the user
  does not see, nor an institution outside their scope.
- `test_no_write_reaches_the_other_region`: every URL pattern of the portal, its
  arguments filled with the other region's objects (its platform in the query), is
  sent a POST naming the other region's platform, region and institution, and a
  DELETE; each answers 404, 403 or 405, and the rows of every table stay as they
  were.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections import Counter
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import Resolver404, resolve

from apps.accounts.models import User
from apps.accounts.scoping import institutions_for, platforms_for
from apps.alerts.models import Notification
from apps.alerts.services import alerts_evaluate, alerts_process_flips
from apps.bulletins.models import Bulletin
from apps.bulletins.services import bulletin_create, bulletin_publish
from apps.campaigns.models import Campaign, Inspection
from apps.campaigns.services import campaign_save
from apps.imports.services import import_job_check, import_job_create
from apps.ingestion.models import SyncRun, UnknownIndicatorValue, UnknownUpload
from apps.institutions.models import Institution
from apps.maturity.models import Assessment
from apps.maturity.services import assessment_save
from apps.onboarding.models import OnboardingPlan
from apps.onboarding.services import plan_create
from apps.platforms.models import Platform
from apps.rectification.models import RectificationTask, TaskAttachment
from apps.rectification.services import task_answer, task_open
from apps.regions.models import Region
from tests.security.test_scope_walk import all_routes, body_text

pytestmark = pytest.mark.django_db

XINYANG_USERS = ("city", "huangchuan", "xyzx")
JIANGSU_USERS = ("jiangsu", "suqian")
REGION_OF = {**dict.fromkeys(XINYANG_USERS, "xinyang"), **dict.fromkeys(JIANGSU_USERS, "jiangsu")}
OTHER = {"xinyang": "jiangsu", "jiangsu": "xinyang"}


def _objects(platform: Platform, officer: User, staff: User | None) -> SimpleNamespace:
    """One of every kind of object a URL can name, on `platform`'s side."""
    region = platform.region
    units = list(
        Institution.objects.filter(region__path__startswith=region.path, active=True).order_by(
            "org_code"
        )
    )
    unit = units[0]
    o = SimpleNamespace(platform=platform, region=region, institution=unit, officer=officer)
    o.bulletin = bulletin_create(
        user=officer,
        platform=platform,
        region=officer.region,
        period_start=dt.date(2016, 3, 1) if platform.code == "jiangsu" else dt.date(2023, 4, 1),
        period_end=dt.date(2016, 3, 31) if platform.code == "jiangsu" else dt.date(2023, 6, 30),
        period_label="期间",
        number=f"{platform.code}〔2024〕1号",
        title=f"{region.name}通报",
        issuing_body=f"{region.name}卫生健康委员会",
        recipients="各单位",
        issue_date=dt.date(2024, 1, 5),
    )
    published = bulletin_create(
        user=officer,
        platform=platform,
        region=officer.region,
        period_start=o.bulletin.period_start,
        period_end=o.bulletin.period_end,
        period_label="期间",
        number=f"{platform.code}〔2024〕2号",
        title=f"{region.name}通报（已发布）",
        issuing_body=f"{region.name}卫生健康委员会",
        recipients="各单位",
        issue_date=dt.date(2024, 1, 5),
    )
    o.published = bulletin_publish(bulletin=published, user=officer)
    o.campaign = Campaign.objects.filter(platform=platform).first() or campaign_save(
        user=officer,
        campaign=Campaign(
            name=f"{region.name}专项",
            platform=platform,
            region=officer.region,
            start=dt.date(2016, 3, 1),
            end=dt.date(2016, 4, 30),
            completeness_min=90,
        ),
        units=units[:3],
    )
    o.inspection = Inspection.objects.create(
        campaign=o.campaign, day=o.campaign.start, institution=unit
    )
    o.plan = OnboardingPlan.objects.filter(platform=platform).first() or plan_create(
        platform=platform, name="一期", deadline=dt.date(2016, 12, 31)
    )
    o.task = task_open(
        user=officer,
        institution=unit,
        platform=platform,
        problem="数据不全",
        requirement="补传",
        due_date=dt.date(2024, 3, 31),
    )
    if staff is None:
        staff = User.objects.create_user(
            username=f"{platform.code}-staff", role=User.Role.HOSPITAL, institution=unit
        )
    answered = task_open(
        user=officer,
        institution=staff.institution,
        platform=platform,
        problem="接口中断",
        requirement="恢复",
        due_date=dt.date(2024, 3, 31),
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    task_answer(
        user=staff,
        task=answered,
        text="已恢复",
        files=[SimpleUploadedFile("answer.txt", "已恢复。".encode(), "text/plain")],
    )
    o.attachment = TaskAttachment.objects.filter(event__task=answered).get()
    o.assessment = Assessment.objects.filter(institution__in=units).first() or assessment_save(
        user=None, institution=unit, scheme="hospital", level="4a", year=2015, target_level="4b"
    )
    if not Notification.objects.filter(flip__platform=platform).exists():
        alerts_evaluate(platform=platform, today=dt.date(2016, 5, 20))
        alerts_process_flips()
    o.notification = Notification.objects.filter(flip__platform=platform).first()
    assert o.notification is not None
    o.run = SyncRun.objects.create(
        platform=platform,
        kind=SyncRun.Kind.UPLOADS,
        day=dt.date(2016, 4, 30),
        trigger=SyncRun.Trigger.SCHEDULE,
        outcome=SyncRun.Outcome.SUCCESS,
    )
    o.unknown_code = f"9{platform.pk:010d}"
    UnknownUpload.objects.create(
        platform=platform,
        day=dt.date(2016, 4, 30),
        org_code=o.unknown_code,
        table_code="T1",
        records=3,
        rejected=0,
        generated_at=dt.datetime(2016, 5, 1, 2, tzinfo=dt.UTC),
        run=o.run,
    )
    o.unknown_indicator = f"only_{platform.code}"
    UnknownIndicatorValue.objects.create(
        platform=platform,
        day=dt.date(2016, 4, 30),
        org_code=unit.org_code,
        indicator=o.unknown_indicator,
        value=4,
        generated_at=dt.datetime(2016, 5, 1, 2, tzinfo=dt.UTC),
        run=o.run,
    )
    head = "机构代码,机构名称,主管区划代码,机构类别,等级\n"
    o.job = import_job_check(
        job=import_job_create(
            user=officer,
            kind="institutions",
            file_name="units.csv",
            content=(
                head
                + f"{unit.org_code},{unit.name},{unit.region_id},{unit.category},{unit.grade}\n"
            ).encode(),
        )
    )
    o.user = User.objects.filter(role=User.Role.HOSPITAL, institution__in=units).first() or staff
    return o


@pytest.fixture
def both(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", without_quality=True, stdout=io.StringIO())
    call_command("load_demo", province=True, stdout=io.StringIO())
    users = {u.username: u for u in User.objects.all()}
    return {
        "xinyang": _objects(Platform.objects.get(code="xinyang"), users["city"], users.get("xyzx")),
        "jiangsu": _objects(Platform.objects.get(code="jiangsu"), users["jiangsu"], None),
        "users": users,
    }


# ---------------------------------------------------------------------------- reads


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


NOT_CRAWLED = ("/logout/", "/admin/", "/static/", "/login/")
PER_KIND = 2  # URLs read per view and set of query keys


def _kind(url: str):
    parts = urlsplit(url)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    keys = tuple(sorted({k for k, _v in parse_qsl(parts.query)} - {"page"}))
    return (match.view_name, keys)


def forbidden_for(user: User) -> list[str]:
    """The names and codes of the platforms the user does not see, and of the other
    region's institutions (within a region, what a county or a hospital user reads of
    the city's — its published bulletins name every hospital — is
    test_scope_walk.py's to check)."""
    visible = platforms_for(user).select_related("region")
    platforms = Platform.objects.exclude(pk__in=[p.pk for p in visible])
    outside = Institution.objects.exclude(pk__in=institutions_for(user))
    for platform in visible:
        outside = outside.exclude(region__path__startswith=platform.region.path)
    return [s for p in platforms for s in (p.name, p.code)] + [
        s for i in outside for s in (i.name, i.org_code)
    ]


def crawl(client, both, who) -> list[str]:
    """What `who` reads of the other region, crawling from the home page."""
    user = both["users"][who]
    client.force_login(user)
    forbidden = forbidden_for(user)
    other = both[OTHER[REGION_OF[who]]].platform
    assert other.name in forbidden
    start = ["/", "/api/v1/", "/api/v1/metrics/?start=2016-03-01&end=2023-12-31"]
    queue, seen, kinds = start, set(), Counter()
    problems, read = [], Counter()
    while queue and len(seen) < 400:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow=False)
        if response.status_code in (301, 302):
            location = response["Location"]
            if location.startswith("/") and location not in seen:
                queue.append(location)
            continue
        if response.status_code != 200:
            # A link the portal drew for this user must open.
            problems.append(f"{url}: {response.status_code}")
            continue
        kind = response.get("Content-Type", "").split(";")[0]
        read[kind] += 1
        text = body_text(response)
        leaked = [s for s in forbidden if s in text]
        if leaked:
            problems.append(f"{url} shows {leaked[:5]}")
        if kind == "text/html":
            parser = Links()
            parser.feed(text)
            for href in parser.hrefs:
                href = href.replace("&amp;", "&")
                if not href.startswith("/") or href.startswith(NOT_CRAWLED):
                    continue
                if href.startswith("/bulletins/") and "pdf" in href and read["application/pdf"]:
                    continue  # one PDF is enough: each takes a second
                key = _kind(href)
                if key is None or href in seen or kinds[key] >= PER_KIND:
                    continue
                kinds[key] += 1
                queue.append(href)
        elif kind == "application/json":
            for link in re.findall(r'"(?:next|url)":\s*"http://testserver(/[^"]+)"', text):
                if not link.endswith("/metrics/"):  # it needs a period: walked below
                    queue.append(link)
    # The crawl read the kinds of answer the portal gives.
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if (
        read["text/html"] <= (10 if user.role == User.Role.HOSPITAL else 30)
        or read["application/json"] < 2
        or read[xlsx] < 1
    ):
        problems.append(f"the crawl read too little: {dict(read)}")
    return problems


def test_a_user_never_reads_the_other_region(client, both):
    """Each user of both demos in turn (one load of the two demos: it takes seconds)."""
    problems = [
        f"{who}: {p}" for who in XINYANG_USERS + JIANGSU_USERS for p in crawl(client, both, who)
    ]
    assert not problems, "\n".join(problems)


def test_each_user_opens_on_the_platform_of_their_own_level(client, both):
    for who in XINYANG_USERS + JIANGSU_USERS:
        client.force_login(both["users"][who])
        own = both[REGION_OF[who]].platform
        page = client.get("/institutions/" if who != "xyzx" else "/", follow=True)
        assert page.status_code == 200, who
        assert page.context["nav"].platform == own, who
        assert [p.code for p in page.context["nav"].platforms] == [own.code], who
        other = client.get(f"/institutions/?platform={OTHER[REGION_OF[who]]}")
        assert other.status_code == 404, who


# --------------------------------------------------------------------------- writes


def _arg(route: str, name: str, o: SimpleNamespace) -> str:
    """The other region's object for a URL argument of `route`."""
    if name == "org_code":
        return o.institution.org_code
    if name in ("platform_code",) or (name == "code" and route.startswith("sync/platforms")):
        return o.platform.code
    if name == "code":
        return o.unknown_indicator
    if name == "kind":
        return "connections"
    if name == "page":
        return "appointments"
    if name == "inspection_pk":
        return str(o.inspection.pk)
    by_prefix = [
        ("api/v1/bulletins/", o.published),
        ("bulletins/", o.bulletin),
        ("sync/runs/", o.run),
        ("rectification/attachments/", o.attachment),
        ("rectification/", o.task),
        ("onboarding/phases/", o.plan),
        ("alerts/", o.notification),
        ("imports/", o.job),
        ("accounts/users/", o.user),
        ("maturity/", o.assessment),
        ("campaigns/", o.campaign),
    ]
    for prefix, obj in by_prefix:
        if route.startswith(prefix):
            return str(obj.pk)
    raise AssertionError(f"no object for {{{name}}} in {route}")


# Patterns a request cannot aim at another region with: what they do concerns the
# signed-in user alone (or nobody). They are sent a DELETE, which must change no row
# either.
OWN_ONLY = {
    "login/": "the sign-in form",
    "logout/": "ends the user's own session",
    "favicon.ico": "a redirect to a static file",
    "api/schema/": "the API's description",
    "alerts/read/": "marks the user's own notifications read",
    "accounts/password/": "the user's own password",
    "help/": "the definitions: no region's data",
    "search/": "finds institutions of the user's own scope",
    "indicators/": "the indicator catalogue, shared by the deployment: names no platform",
}


def _data(o: SimpleNamespace) -> dict:
    """A body naming the other region in every way a form of the portal takes one."""
    return {
        "platform": o.platform.pk,
        "region": o.region.code,
        "institution": o.institution.pk,
        "units": [o.institution.pk],
        "report_layout": "",
        "name": "二期",
        "deadline": "2024-12-31",
        "confirm": "yes",
        "action": "test",
        "api_url": "http://127.0.0.1:9/steal",
        "api_token": "",
        "first_day": "2016-04-01",
        "last_day": "2016-04-02",
        "text": "x",
        "note": "x",
        "problem": "x",
        "requirement": "x",
        "due_date": "2024-12-31",
        "code": o.unknown_indicator,
        "period": "2016Q2",
    }


def fingerprint() -> dict[str, str]:
    """Each table's row count, and for the tables of settings and documents (those
    under 5,000 rows) a digest of every row: an UPDATE shows as well as an INSERT."""
    prints = {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if table in ("django_session",) or table.startswith("axes_"):
            continue
        rows = model._default_manager.all()
        count = rows.count()
        if count < 5000:
            values = sorted(repr(sorted(r.items())) for r in rows.values())
            prints[table] = hashlib.sha256("\n".join(values).encode()).hexdigest()
        else:
            prints[table] = str(count)
    return prints


def test_no_write_reaches_the_other_region(client, both):
    """Each user of both demos in turn, the tables' fingerprint taken around each."""
    from apps.audit.models import AuditEvent

    routes = [r for r in all_routes() if not r.startswith("admin/")]
    for who in XINYANG_USERS + JIANGSU_USERS:
        user = both["users"][who]
        client.force_login(user)
        o = both[OTHER[REGION_OF[who]]]
        before = fingerprint()
        problems, sent = [], 0
        for route in routes:
            names = re.findall(r"{(\w+)}", route)
            path = "/" + route.format(**{n: _arg(route, n, o) for n in names})
            url = f"{path}?platform={o.platform.code}&region={o.region.code}"
            for method in ("post", "delete"):
                if route in OWN_ONLY and method == "post":
                    continue  # what it writes is the user's own (tested in its app)
                if method == "post":
                    response = client.post(url, _data(o))
                else:
                    response = client.delete(url)
                sent += 1
                if route in OWN_ONLY:
                    assert response.status_code < 500, (who, method, url, response.status_code)
                    continue
                if response.status_code not in (403, 404, 405):
                    problems.append(f"{who}: {method.upper()} {url}: {response.status_code}")
        assert sent > 140
        after = fingerprint()
        changed = sorted(t for t in before if before[t] != after.get(t))
        assert not problems, "\n".join(problems)
        events = list(AuditEvent.objects.filter(actor=user).values_list("action", "details"))
        assert not changed, f"{who}: tables changed by refused requests: {changed} {events[-3:]}"
        # The other region's objects are all still there, as they were.
        assert Bulletin.objects.filter(pk=o.bulletin.pk, status="draft").exists()
        assert RectificationTask.objects.filter(pk=o.task.pk).exists()
        assert OnboardingPlan.objects.filter(platform=o.platform).exists()
        assert Region.objects.filter(pk=o.region.pk).exists()
