"""The API's front door: /api/v1/ lists its endpoints with what each answers, in
Chinese; its documentation is served from our own static files, for signed-in users."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_index_lists_every_endpoint(client, users):
    assert client.get("/api/v1/").status_code in (401, 403)
    client.force_login(users.alice)
    body = client.get("/api/v1/").json()
    assert set(body) == {"institutions", "bulletins", "metrics", "schema", "docs", "redoc"}
    for entry in body.values():
        assert entry["url"].startswith("http://testserver/api/")
        assert entry["description"] and not entry["description"].isascii()  # Chinese
    # Each answers (the metrics, asked for a period).
    for name, entry in body.items():
        url = entry["url"].removeprefix("http://testserver")
        query = {"start": "2023-04-01", "end": "2023-06-30"} if name == "metrics" else {}
        assert client.get(url, query).status_code == 200, name


def test_the_help_page_links_the_documentation(client, users):
    client.force_login(users.alice)
    html = client.get("/help/").content.decode()
    assert 'href="/api/docs/"' in html and 'href="/api/redoc/"' in html


def test_the_browsable_api_speaks_the_portals_words(client, users):
    client.force_login(users.alice)
    html = client.get("/api/v1/institutions/", HTTP_ACCEPT="text/html").content.decode()
    assert "<title>机构列表 · 健康信息平台互联互通监管门户 API</title>" in html
    assert "Django REST framework" not in html.split("<body", 1)[1].split("</nav>", 1)[0]
    assert "接口目录" in html  # the breadcrumb back to the index
