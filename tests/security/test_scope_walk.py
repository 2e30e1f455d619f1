"""Walk every URL pattern of the portal, for every role, with objects inside and
outside the user's scope, and fail on any leak.

The patterns come from the resolver, so a new URL is walked as soon as it exists:
`test_every_url_pattern_is_in_the_table` fails until ROUTES says how to fill its
arguments and what each user must get. Every answer of 200 (HTML, JSON, XLSX read
back with openpyxl, PDF read back with pypdf) must not name an institution outside
the user's scope (name or org code).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from openpyxl import load_workbook
from pypdf import PdfReader

from apps.accounts.scoping import institutions_for
from apps.bulletins.models import Bulletin
from apps.institutions.models import Institution
from apps.rectification.models import TaskEvent

# Patterns not walked by role, with the reason.
SKIPPED = {
    "login/": "the sign-in form: no data (throttling in test_hardening.py)",
    "logout/": "POST only, ends the session: no data",
    "favicon.ico": "a redirect to the static icon: no data",
}
ADMIN_PREFIX = "admin/"  # staff only: see test_admin_is_closed_to_portal_users


def route_template(prefix: str, pattern) -> str:
    """'bulletins/<int:pk>/' and 'api/v1/^bulletins/(?P<pk>[^/.]+)/$' alike become
    'bulletins/{pk}/', 'api/v1/bulletins/{pk}/'."""
    text = str(pattern.pattern)
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", text)
    text = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text)
    return prefix + text.replace("^", "").replace("$", "")


def all_routes(patterns=None, prefix: str = "") -> list[str]:
    routes = []
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            routes += all_routes(p.url_patterns, route_template(prefix, p))
        elif isinstance(p, URLPattern):
            routes.append(route_template(prefix, p))
    return routes


@dataclass
class Visit:
    who: str
    url: str
    status: int | tuple[int, ...]
    method: str = "get"
    data: dict | None = None


# Each user's own objects and objects of another scope (see conftest.world).
OWN_INST = {"alice": "hc", "bob": "hc", "charlie": "gs", "dana": "hc"}
FOREIGN_INST = {
    "alice": ["ny"],
    "bob": ["gs", "central"],
    "charlie": ["hc", "central"],
    "dana": ["gs", "central"],
}
OWN_TASK = {"alice": "task_hc", "bob": "task_hc", "charlie": "task_gs", "dana": "task_hc"}
FOREIGN_TASK = {
    "alice": ["task_ny"],
    "bob": ["task_gs"],
    "charlie": ["task_hc"],
    "dana": ["task_gs", "task_ny"],
}
OWN_ATT = {k: v.replace("task", "att") for k, v in OWN_TASK.items()}
FOREIGN_ATT = {k: [v.replace("task", "att") for v in vs] for k, vs in FOREIGN_TASK.items()}
OWN_BULLETIN = {"alice": "draft_city", "bob": "pub_hc", "charlie": "pub_gs", "dana": "pub_hc"}
# Draft bulletins are 404 to county and hospital users; other counties' too.
FOREIGN_BULLETIN = {
    "alice": ["draft_ny"],
    "bob": ["pub_gs", "draft_city", "draft_ny"],
    "charlie": ["pub_hc", "draft_city", "draft_ny"],
    "dana": ["pub_gs", "draft_city", "draft_ny"],
}
OWN_REGION = {"alice": "411526", "bob": "411526", "charlie": "411522", "dana": None}
FOREIGN_REGION = {
    "alice": ["411300"],
    "bob": ["411522", "411500"],
    "charlie": ["411526"],
    "dana": ["411526", "411500"],
}
# Campaigns with a unit the user sees; 潢川's is no campaign of 光山's officer.
OWN_CAMPAIGN = {"alice": "camp_city", "bob": "camp_hc", "charlie": "camp_city", "dana": "camp_hc"}
FOREIGN_CAMPAIGN = {
    "alice": ["camp_ny"],
    "bob": ["camp_ny"],
    "charlie": ["camp_hc", "camp_ny"],
    "dana": ["camp_ny"],
}
ONLY_ALICE = {"bob": 404, "charlie": 404, "dana": 404}
USERS = ("alice", "bob", "charlie", "dana")
OFFICERS = ("alice", "bob", "charlie")
PERIOD = "platform=city&period=2023Q2"


def by_object(url: str, own: dict, foreign: dict, attr: str, ok=200, gate=None, q=""):
    """The URL with each user's own object (`ok`, or `gate[user]` where the page is
    role-gated) and with every foreign object (404)."""

    def build(w):
        visits = []
        for who in USERS:
            status = (gate or {}).get(who, ok)
            if status is not None:
                visits.append(Visit(who, url.format(**{attr: _key(w, own[who], attr)}) + q, status))
            for name in foreign[who]:
                visits.append(Visit(who, url.format(**{attr: _key(w, name, attr)}) + q, 404))
        return visits

    return build


def _key(w, name, attr):
    obj = getattr(w, name)
    return obj.org_code if attr == "org_code" else obj.pk


def listing(url: str, ok=200, gate=None, param: str | None = "region", extra=(), refused=()):
    """A list or export: 200 (or the gate) for each user, and 404 with ?region= of
    another scope; `extra` query strings are walked as well, `refused` ones (an
    unknown platform) must answer 404."""

    def build(w):
        visits = []
        sep = "&" if "?" in url else "?"
        for who in USERS:
            status = (gate or {}).get(who, ok)
            visits.append(Visit(who, url, status))
            for query in extra:
                visits.append(Visit(who, f"{url}{sep}{query}", status))
            for query in refused if status == 200 else ():
                visits.append(Visit(who, f"{url}{sep}{query}", 404))
            if param and status in (200, 302):
                for code in FOREIGN_REGION[who]:
                    visits.append(Visit(who, f"{url}{sep}{param}={code}", 404))
                if OWN_REGION[who] and status == 200:
                    visits.append(Visit(who, f"{url}{sep}{param}={OWN_REGION[who]}", 200))
        return visits

    return build


def posts(url: str, foreign: dict, attr: str, data=None):
    """A POST action: 404 for every foreign object; the own-object case mutates and
    is tested in the app's own tests."""

    def build(w):
        return [
            Visit(who, url.format(**{attr: _key(w, name, attr)}), 404, "post", data or {})
            for who in USERS
            for name in foreign[who]
        ]

    return build


def notifications_open(w):
    others = {"alice": "bob", "bob": "charlie", "charlie": "bob", "dana": "alice"}
    visits = []
    for who in USERS:
        visits.append(Visit(who, f"/alerts/{w.note[who].pk}/", 302))
        visits.append(Visit(who, f"/alerts/{w.note[others[who]].pk}/", 404))
        visits.append(Visit(who, f"/alerts/{w.note['nora'].pk}/", 404))
    return visits


def onboarding_edit(w):
    visits = []
    for who in USERS:
        own = getattr(w, OWN_INST[who]).org_code
        url = f"/onboarding/phases/{w.plan.pk}/"
        visits.append(Visit(who, f"{url}{own}/", 403 if who == "dana" else 200))
        for name in FOREIGN_INST[who]:
            visits.append(Visit(who, f"{url}{getattr(w, name).org_code}/", 404))
    return visits


def review_code(w):
    url = "/sync/unknown/city/49999999999/"
    return [Visit(who, url, 200 if who == "alice" else 404) for who in USERS] + [
        # A code with no waiting rows, e.g. a known institution of another city.
        Visit("alice", "/sync/unknown/city/41130000001/", 404),
    ]


def sync_run(w):
    return [Visit(who, f"/sync/runs/{w.run.pk}/", 200 if who == "alice" else 404) for who in USERS]


def rectification_new(w):
    visits = []
    for who in USERS:
        status = 403 if who == "dana" else 200
        visits.append(Visit(who, "/rectification/new/", status))
        for name in FOREIGN_INST[who]:
            org = getattr(w, name).org_code
            visits.append(Visit(who, f"/rectification/new/?institution={org}", status))
    return visits


def bulletin_new(w):
    visits = [Visit(who, "/bulletins/new/", 200 if who == "alice" else 404) for who in USERS]
    for who in USERS:
        for name in FOREIGN_BULLETIN[who]:
            visits.append(Visit(who, f"/bulletins/new/?corrects={getattr(w, name).pk}", 404))
    return visits


OFFICER_ONLY = {"bob": 404, "charlie": 404, "dana": 404}  # city officers' pages
NO_HOSPITAL = {"dana": 404}
METRICS = "/api/v1/metrics/?start=2023-04-01&end=2023-06-30&platform=city"

ROUTES: dict[str, Callable] = {
    "": listing(f"/?{PERIOD}", gate={"dana": 302}, extra=["export=unconnected"]),
    "dashboard/": listing(
        f"/dashboard/?{PERIOD}", gate={"dana": 302}, extra=["export=all"], refused=["platform=nope"]
    ),
    "institutions/": listing(
        f"/institutions/?{PERIOD}", extra=["export=xlsx"], refused=["platform=nope"]
    ),
    "institutions/{org_code}/": by_object(
        "/institutions/{org_code}/", OWN_INST, FOREIGN_INST, "org_code", q=f"?{PERIOD}"
    ),
    "assessment/": listing("/assessment/?platform=city&year=2023", gate=NO_HOSPITAL),
    "reports/": listing(
        f"/reports/?{PERIOD}",
        gate=NO_HOSPITAL,
        extra=["export=report", "format=pdf", "layout="],
        refused=["layout=999999", "platform=nope"],
    ),
    "reports/{page}/": lambda w: (
        [
            visit
            for page in ("appointments", "telemedicine", "kiosks")
            for visit in listing(
                f"/reports/{page}/?{PERIOD}", gate=NO_HOSPITAL, extra=[f"export={page}"]
            )(w)
        ]
        + [Visit(who, f"/reports/nonsense/?{PERIOD}", 404) for who in USERS]
    ),
    "sync/unknown-indicators/{code}/": lambda w: (
        [
            Visit(who, "/sync/unknown-indicators/kiosk_refunds/", 200 if who == "alice" else 404)
            for who in USERS
        ]
        + [Visit("alice", "/sync/unknown-indicators/outpatient_visits/", 404)]
    ),
    "assessment/xlsx/": listing("/assessment/xlsx/?platform=city&year=2023", gate=NO_HOSPITAL),
    "bulletins/": listing("/bulletins/", param=None),
    "bulletins/new/": bulletin_new,
    "bulletins/{pk}/": by_object("/bulletins/{pk}/", OWN_BULLETIN, FOREIGN_BULLETIN, "pk"),
    "bulletins/{pk}/edit/": by_object(
        "/bulletins/{pk}/edit/", OWN_BULLETIN, FOREIGN_BULLETIN, "pk", gate=OFFICER_ONLY
    ),
    "bulletins/{pk}/publish/": posts("/bulletins/{pk}/publish/", FOREIGN_BULLETIN, "pk"),
    "bulletins/{pk}/delete/": posts("/bulletins/{pk}/delete/", FOREIGN_BULLETIN, "pk"),
    "bulletins/{pk}/pdf/": by_object("/bulletins/{pk}/pdf/", OWN_BULLETIN, FOREIGN_BULLETIN, "pk"),
    "bulletins/{pk}/xlsx/": by_object(
        "/bulletins/{pk}/xlsx/", OWN_BULLETIN, FOREIGN_BULLETIN, "pk"
    ),
    "sync/": listing("/sync/", gate=OFFICER_ONLY, param=None),
    "sync/runs/{pk}/": sync_run,
    "sync/unknown/": listing("/sync/unknown/", gate=OFFICER_ONLY, param=None),
    "sync/unknown/{platform_code}/{org_code}/": review_code,
    "sync/platforms/{code}/": listing("/sync/platforms/city/", gate=OFFICER_ONLY, param=None),
    "sync/platforms/{code}/source/": listing(
        "/sync/platforms/city/source/", gate=OFFICER_ONLY, param=None
    ),
    "rectification/": listing(
        "/rectification/", extra=["export=tasks", "export=regions", "state=answered"]
    ),
    "rectification/new/": rectification_new,
    "rectification/{pk}/": by_object("/rectification/{pk}/", OWN_TASK, FOREIGN_TASK, "pk"),
    "rectification/{pk}/answer/": posts(
        "/rectification/{pk}/answer/", FOREIGN_TASK, "pk", {"text": "x"}
    ),
    "rectification/{pk}/accept/": posts("/rectification/{pk}/accept/", FOREIGN_TASK, "pk"),
    "rectification/{pk}/reopen/": posts(
        "/rectification/{pk}/reopen/", FOREIGN_TASK, "pk", {"note": "x"}
    ),
    "rectification/{pk}/comment/": posts(
        "/rectification/{pk}/comment/", FOREIGN_TASK, "pk", {"note": "x"}
    ),
    "rectification/attachments/{pk}/": by_object(
        "/rectification/attachments/{pk}/", OWN_ATT, FOREIGN_ATT, "pk"
    ),
    "onboarding/": listing(
        "/onboarding/?platform=city",
        extra=["export=institutions", "export=regions"],
    ),
    # A phase is created on a platform the user manages: county and hospital users
    # manage none, and nobody another region's.
    "onboarding/{platform_code}/plan/": lambda w: [
        Visit(
            who,
            f"/onboarding/{code}/plan/",
            404,
            "post",
            {"name": "二期", "deadline": "2024-01-01"},
        )
        for who in USERS
        for code in (("nanyang",) if who == "alice" else ("city", "nanyang"))
    ],
    "onboarding/phases/{pk}/delete/": lambda w: (
        [
            Visit(
                who, f"/onboarding/phases/{w.plan.pk}/delete/", status, method, {"confirm": "yes"}
            )
            for who, status in {"bob": 404, "charlie": 404, "dana": 404}.items()
            for method in ("get", "post")
        ]
        + [
            Visit(
                "alice",
                f"/onboarding/phases/{w.plan_ny.pk}/delete/",
                404,
                "post",
                {"confirm": "yes"},
            )
        ]
    ),
    "onboarding/phases/{pk}/{org_code}/": onboarding_edit,
    "alerts/": listing("/alerts/", param=None),
    "alerts/read/": lambda w: [Visit(who, "/alerts/read/", 302, "post") for who in USERS],
    "alerts/{pk}/": notifications_open,
    "alerts/silent/": listing(
        "/alerts/silent/", extra=["platform=city"], refused=["platform=nope"]
    ),
    "alerts/silent/xlsx/": listing("/alerts/silent/xlsx/", extra=["platform=city"]),
    "audit/": listing("/audit/", gate=OFFICER_ONLY, param=None, extra=["export=xlsx"]),
    "imports/": listing("/imports/", gate=OFFICER_ONLY, param=None, extra=["export=imports"]),
    "imports/{kind}/new/": lambda w: (
        [
            Visit(who, f"/imports/{kind}/new/", 200 if who == "alice" else 404)
            for who in USERS
            for kind in ("institutions", "uploads")
        ]
        + [Visit("alice", "/imports/regions/new/", 404)]
    ),
    "imports/{kind}/template.xlsx": lambda w: [
        Visit(who, "/imports/institutions/template.xlsx", 200 if who == "alice" else 404)
        for who in USERS
    ],
    "imports/{pk}/": lambda w: (
        [Visit(who, f"/imports/{w.job_city.pk}/", 200 if who == "alice" else 404) for who in USERS]
        + [Visit(who, f"/imports/{w.job_ny.pk}/", 404) for who in USERS]
    ),
    "imports/{pk}/confirm/": lambda w: [
        Visit(who, f"/imports/{job.pk}/confirm/", 404, "post")
        for who in USERS
        for job in ((w.job_ny,) if who == "alice" else (w.job_ny, w.job_city))
    ],
    "imports/{pk}/cancel/": lambda w: [
        Visit(who, f"/imports/{job.pk}/cancel/", 404, "post")
        for who in USERS
        for job in ((w.job_ny,) if who == "alice" else (w.job_ny, w.job_city))
    ],
    "accounts/password/": lambda w: [Visit(who, "/accounts/password/", 200) for who in USERS],
    "accounts/users/": listing("/accounts/users/", gate=OFFICER_ONLY, param=None),
    "accounts/users/new/": lambda w: [
        Visit(who, "/accounts/users/new/", 200 if who == "alice" else 404) for who in USERS
    ],
    "accounts/users/{pk}/": lambda w: (
        [
            Visit(who, f"/accounts/users/{w.bob.pk}/", 200 if who == "alice" else 404)
            for who in USERS
        ]
        + [Visit("alice", f"/accounts/users/{w.nora.pk}/", 404)]
    ),
    "accounts/users/{pk}/password/": lambda w: (
        [
            Visit(who, f"/accounts/users/{w.dana.pk}/password/", 200 if who == "alice" else 404)
            for who in USERS
        ]
        + [
            Visit(
                "alice", f"/accounts/users/{w.nora.pk}/password/", 404, "post", {"confirm": "yes"}
            )
        ]
    ),
    "indicators/": listing(
        "/indicators/", gate=NO_HOSPITAL, param=None, extra=["export=indicators"]
    ),
    "help/": lambda w: [Visit(who, f"/help/?{PERIOD}", 200) for who in USERS],
    # The search box: an institution outside the scope is not found (asked by most of
    # its name: the page repeats the query); the user's own opens its page.
    "search/": lambda w: (
        [
            Visit(who, f"/search/?q={getattr(w, name).name[:-1]}", 200)
            for who in USERS
            for name in FOREIGN_INST[who]
        ]
        + [Visit(who, f"/search/?q={getattr(w, OWN_INST[who]).org_code}", 302) for who in USERS]
        + [Visit(who, "/search/?q=医院", (200, 302)) for who in USERS]
    ),
    # The OpenAPI description: the same for every user of the API, for none outside it.
    "api/schema/": listing("/api/schema/", param=None),
    "api/docs/": listing("/api/docs/", param=None),
    "api/redoc/": listing("/api/redoc/", param=None),
    "api/v1/": listing("/api/v1/", param=None),
    "api/v1/institutions/": listing("/api/v1/institutions/"),
    "api/v1/institutions/{org_code}/": by_object(
        "/api/v1/institutions/{org_code}/", OWN_INST, FOREIGN_INST, "org_code"
    ),
    "api/v1/bulletins/": listing("/api/v1/bulletins/", param=None),
    "api/v1/bulletins/{pk}/": by_object(
        "/api/v1/bulletins/{pk}/", OWN_BULLETIN, FOREIGN_BULLETIN, "pk"
    ),
    "api/v1/bulletins/{pk}/pdf/": by_object(
        "/api/v1/bulletins/{pk}/pdf/", OWN_BULLETIN, FOREIGN_BULLETIN, "pk"
    ),
    "api/v1/bulletins/{pk}/xlsx/": by_object(
        "/api/v1/bulletins/{pk}/xlsx/", OWN_BULLETIN, FOREIGN_BULLETIN, "pk"
    ),
    "api/v1/metrics/": listing(
        METRICS, refused=["region=999999"], extra=["quality=1", "indicators=all"]
    ),
    "quality/": listing(f"/quality/?{PERIOD}", extra=["export=all"], refused=["platform=nope"]),
    "maturity/": listing("/maturity/", gate=NO_HOSPITAL, param=None, extra=["export=all"]),
    "maturity/new/": lambda w: (
        [Visit(who, "/maturity/new/", 200 if who == "alice" else 404) for who in USERS]
        + [
            Visit(who, f"/maturity/new/?institution={getattr(w, name).org_code}", 404)
            for who in ("alice",)
            for name in FOREIGN_INST[who]
        ]
    ),
    "campaigns/": listing("/campaigns/", param=None),
    "campaigns/new/": lambda w: [
        Visit(who, "/campaigns/new/", 200 if who == "alice" else 404) for who in USERS
    ],
    "campaigns/{pk}/": by_object(
        "/campaigns/{pk}/", OWN_CAMPAIGN, FOREIGN_CAMPAIGN, "pk", q="?export=all"
    ),
    "campaigns/{pk}/edit/": by_object(
        "/campaigns/{pk}/edit/", OWN_CAMPAIGN, FOREIGN_CAMPAIGN, "pk", gate=ONLY_ALICE
    ),
    "campaigns/{pk}/tasks/new/": by_object(
        "/campaigns/{pk}/tasks/new/", OWN_CAMPAIGN, FOREIGN_CAMPAIGN, "pk", gate={"dana": 403}
    ),
    "campaigns/{pk}/inspections/new/": by_object(
        "/campaigns/{pk}/inspections/new/", OWN_CAMPAIGN, FOREIGN_CAMPAIGN, "pk", gate=ONLY_ALICE
    ),
    "campaigns/{pk}/inspections/{inspection_pk}/": lambda w: (
        [
            Visit(who, f"/campaigns/{w.camp_city.pk}/inspections/{w.insp_hc.pk}/", status)
            for who, status in {"alice": 200, "bob": 404, "charlie": 404, "dana": 404}.items()
        ]
        + [
            Visit(who, f"/campaigns/{w.camp_ny.pk}/inspections/{w.insp_ny.pk}/", 404)
            for who in USERS
        ]
        # An inspection under another campaign's number is no inspection of it.
        + [Visit("alice", f"/campaigns/{w.camp_hc.pk}/inspections/{w.insp_hc.pk}/", 404)]
    ),
    "maturity/{pk}/edit/": lambda w: [
        Visit(
            who,
            f"/maturity/{w.assessment[owner].pk}/edit/",
            200 if who == owner == "alice" else 404,
        )
        for who in USERS
        for owner in ("alice", "nora")
    ],
}


def test_every_url_pattern_is_in_the_table():
    routes = [r for r in all_routes() if not r.startswith(ADMIN_PREFIX)]
    missing = sorted(set(routes) - set(ROUTES) - set(SKIPPED))
    assert not missing, f"URL patterns with no scope walk (add them to ROUTES): {missing}"
    stale = sorted((set(ROUTES) | set(SKIPPED)) - set(routes))
    assert not stale, f"ROUTES lists patterns that no longer exist: {stale}"


def body_text(response) -> str:
    """What a user reads in a response: HTML/JSON text, every XLSX cell, PDF text."""
    kind = response.get("Content-Type", "")
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in kind:
        book = load_workbook(io.BytesIO(data))
        return "\n".join(
            str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value
        )
    if kind.startswith("application/pdf"):
        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return data.decode("utf-8", errors="replace")


def forbidden_for(user) -> list[str]:
    outside = Institution.objects.exclude(pk__in=institutions_for(user))
    return [s for inst in outside for s in (inst.name, inst.org_code)]


@pytest.mark.parametrize("who", USERS)
def test_no_user_reaches_another_scope(client, world, who):
    user = getattr(world, who)
    client.force_login(user)
    forbidden = forbidden_for(user)
    assert forbidden, "every user must have institutions outside their scope"
    counts = (Bulletin.objects.count(), TaskEvent.objects.count())
    problems = []
    walked = 0
    own_name = getattr(world, OWN_INST[who]).name
    seen_own = set()  # the kinds of body in which the user's own institution was read
    for build in ROUTES.values():
        for visit in build(world):
            if visit.who != who:
                continue
            walked += 1
            response = getattr(client, visit.method)(visit.url, visit.data or {})
            expected = visit.status if isinstance(visit.status, tuple) else (visit.status,)
            if response.status_code not in expected:
                problems.append(
                    f"{visit.method} {visit.url}: {response.status_code}, not {expected}"
                )
                continue
            if response.status_code == 200:
                text = body_text(response)
                if own_name in text:
                    seen_own.add(response.get("Content-Type", "").split(";")[0])
                leaked = [s for s in forbidden if s in text]
                if leaked:
                    problems.append(f"{visit.url} shows {leaked}")
    assert walked > 30
    # The reading works: the user's own institution is found in pages, JSON,
    # workbooks and PDFs alike.
    assert {"text/html", "application/json", "application/pdf"} <= seen_own, seen_own
    assert any("spreadsheetml" in kind for kind in seen_own), seen_own
    assert not problems, "\n".join(problems)
    # No refused POST changed anything.
    assert (Bulletin.objects.count(), TaskEvent.objects.count()) == counts
    assert Bulletin.objects.filter(pk=world.draft_city.pk, status="draft").exists()
    assert {j.state for j in (world.job_city, world.job_ny) if j.refresh_from_db() is None} == {
        "ready"
    }


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    for build in ROUTES.values():
        for visit in build(world):
            if visit.who != "alice":
                continue
            response = getattr(client, visit.method)(visit.url, visit.data or {})
            if visit.url.startswith("/api/"):
                assert response.status_code in (401, 403), visit.url
            else:
                assert response.status_code == 302, visit.url
                assert response["Location"].startswith("/login/"), visit.url
            break  # one URL per pattern is enough here


@pytest.mark.parametrize("who", [*USERS])
def test_admin_is_closed_to_portal_users(client, world, who):
    client.force_login(getattr(world, who))
    for url in ("/admin/", "/admin/institutions/institution/", "/admin/audit/auditevent/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
