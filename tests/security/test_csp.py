"""The Content-Security-Policy: every page answers with it, and nothing the browser is
sent needs more than our own static files (no inline script, no style attribute or
element, no event-handler attribute), so the strict policy breaks nothing."""

import re
from pathlib import Path

import pytest

from .test_scope_walk import ROUTES

ROOT = Path(__file__).resolve().parents[2]
# Rendered by WeasyPrint into PDFs on the server, never sent to a browser.
PDF_TEMPLATES = {"bulletins/pdf.html", "reports/pdf.html"}

INLINE = {
    # A script without src (a JSON data block, as json_script writes, is not run).
    "inline script": re.compile(
        r"<script\b(?![^>]*\bsrc=)(?![^>]*\btype=\"application/json\")[^>]*>", re.I
    ),
    "style element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle=", re.I),
    "event-handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"=\s*[\"']?\s*javascript:", re.I),
}


def inline_code(html: str) -> list[str]:
    return [name for name, pattern in INLINE.items() if pattern.search(html)]


def policy(response) -> dict[str, str]:
    header = response.get("Content-Security-Policy", "")
    return dict((part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part)


def assert_strict(response, where):
    directives = policy(response)
    assert directives, f"{where}: no Content-Security-Policy"
    assert directives["default-src"] == "'self'", where
    assert directives["script-src"] == "'self'", where
    assert directives["style-src"] == "'self'", where
    assert directives["object-src"] == "'none'", where
    assert directives["frame-ancestors"] == "'none'", where
    # Our own files only: no CDN, no other host, no inline or eval anywhere.
    assert not re.search(r"https?:|\*|unsafe-", response["Content-Security-Policy"]), where


def browser_templates():
    for path in sorted((ROOT / "templates").rglob("*.html")):
        name = path.relative_to(ROOT / "templates").as_posix()
        if name not in PDF_TEMPLATES:
            yield name, path


def test_no_template_sent_to_browsers_carries_inline_code():
    found = {
        name: problems
        for name, path in browser_templates()
        if (problems := inline_code(path.read_text(encoding="utf-8")))
    }
    assert not found, found


@pytest.mark.parametrize("who", ["alice", "dana"])
def test_every_page_answers_with_the_strict_policy(client, world, who):
    """Every URL pattern (the scope walk's table) as a city officer and as hospital
    staff: each page strict and free of inline code, each download with the policy
    but for PDFs (a browser's PDF viewer is a page of its own making)."""
    client.force_login(getattr(world, who))
    pages = 0
    for build in ROUTES.values():
        for visit in build(world):
            if visit.who != who or visit.method != "get":
                continue
            response = client.get(visit.url)
            kind = response.get("Content-Type", "")
            if kind.startswith("application/pdf"):
                assert "Content-Security-Policy" not in response, visit.url
                continue
            assert "Content-Security-Policy" in response, (visit.url, response.status_code)
            if kind.startswith("text/html") and visit.url in DOCUMENTATION:
                continue  # test_the_api_documentation_keeps_scripts_strict
            if kind.startswith("text/html"):
                pages += 1
                assert_strict(response, visit.url)
                html = b"".join(response) if response.streaming else response.content
                assert not inline_code(html.decode()), (visit.url, inline_code(html.decode()))
    assert pages > 20


def test_sign_in_and_error_pages_carry_the_policy(client, world):
    for url in ("/login/", "/nowhere/"):
        response = client.get(url)
        assert_strict(response, url)
        assert not inline_code(response.content.decode()), url


ADMIN_PAGES = [
    "/admin/",
    "/admin/institutions/institution/",
    "/admin/institutions/institution/add/",  # an autocomplete widget (select2)
    "/admin/accounts/user/",
    "/admin/django_celery_beat/periodictask/add/",
]


def test_the_admin_keeps_the_strict_policy(client, world):
    client.force_login(world.admin)
    for url in ADMIN_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(response, url)
        assert not inline_code(response.content.decode()), (
            url,
            inline_code(response.content.decode()),
        )


def test_the_browsable_api_alone_may_use_inline_styles(client, world):
    client.force_login(world.alice)
    page = client.get("/api/v1/institutions/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    directives = policy(page)
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert_strict(client.get("/api/v1/institutions/", HTTP_ACCEPT="application/json"), "json")


DOCUMENTATION = {"/api/docs/", "/api/redoc/"}


def test_the_api_documentation_keeps_scripts_strict(client, world):
    """Swagger UI and Redoc lay themselves out with inline styles: allowed there
    alone; every script, style sheet and font is one of our static files (no CDN)."""
    client.force_login(world.alice)
    for url in sorted(DOCUMENTATION):
        page = client.get(url)
        assert page.status_code == 200, url
        directives = policy(page)
        assert directives["script-src"] == "'self'", url
        assert directives["style-src"] == "'self' 'unsafe-inline'", url
        html = page.content.decode()
        assert not re.search(r"(src|href)=\"https?://", html), url
        assert "/static/drf_spectacular_sidecar/" in html, url
        assert not INLINE["inline script"].search(html), url
    # The init script of Swagger UI is a file of its own, under the strict policy.
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
    client.logout()
    assert client.get("/api/docs/").status_code in (401, 403)


@pytest.mark.parametrize(("percent", "css"), [(0, "pct-0"), (37.4, "pct-37"), (140, "pct-100")])
def test_bars_are_drawn_by_classes(percent, css):
    from apps.web.templatetags.web import width_class

    assert width_class(percent) == css
    stylesheet = (ROOT / "static/css/hipwatch.css").read_text()
    assert f".{css} {{ width: {css[4:]}%; }}" in stylesheet
