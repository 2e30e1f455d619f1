"""No parameter of any URL gives a 500: every pattern the scope walk knows is
asked again with bad periods, years and dates, by an officer and a hospital user.
A bad period or year answers the portal's own 400 page (or a JSON 400 in the
API), in Chinese, saying what would be accepted."""

from __future__ import annotations

import os
import sys
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from django.http import QueryDict

from tests.security.test_scope_walk import ROUTES

BAD = {
    "period": [
        "0000",
        "9999Q4",
        "9999-12",
        "0001Q1",
        "2023Q5",
        "2023H3",
        "2023-13",
        "x" * 300,
        "1999-12-31~2000-01-05",
        "2023-05-01~2023-04-01",
        "2023-02-30~2023-03-01",
        "２０２３",
    ],
    "year": ["9999", "0000", "1999", "abcd", "２０２３", "-1"],
    "start": ["9999-12-01", "0001-01-01", "2023-02-30", "x"],
    "end": ["9999-12-01", "0001-01-01", "x"],
    "page": ["0", "-1", "x", "99999999999999999999"],
}


def with_param(url: str, key: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != key] + [(key, value)]
    return urlunsplit(parts._replace(query=urlencode(query)))


# Code that copies the query into links and hidden fields, values untouched (the
# escaping of what it echoes is test_escaping's): its reading every key does not
# count as the view reading them.
ECHOES = {"hidden_query", "query_with", "nav_query", "export_link", "_nav_params"}


class KeysRead:
    """Which query keys a request's handling reads (`get`, `[]`, `getlist`, `in`),
    or that it read them all (iterating the query outside Django's own copying
    and the echoes above)."""

    def __init__(self, monkeypatch):
        self.keys: set[str] = set()
        self.all = False
        for name in ("get", "__getitem__", "getlist", "__contains__"):
            monkeypatch.setattr(QueryDict, name, self._by_key(getattr(QueryDict, name)))
        for name in ("lists", "items", "values", "keys", "dict", "__iter__"):
            monkeypatch.setattr(QueryDict, name, self._whole(getattr(QueryDict, name)))

    @staticmethod
    def _internal(caller) -> bool:
        """Django's QueryDict calling itself (a copy, an encoding, `get` via `[]`)."""
        return caller.co_filename.endswith(
            (os.path.join("django", "http", "request.py"), "datastructures.py")
        )

    def _by_key(self, method):
        def read(query, key, *args, **kwargs):
            if not self._internal(sys._getframe(1).f_code):
                self.keys.add(key)
            return method(query, key, *args, **kwargs)

        return read

    def _whole(self, method):
        def read(query, *args, **kwargs):
            caller = sys._getframe(1).f_code
            if not self._internal(caller) and caller.co_name not in ECHOES:
                self.all = True
            return method(query, *args, **kwargs)

        return read

    def read(self, key: str) -> bool:
        return self.all or key in self.keys

    def clear(self) -> None:
        self.keys.clear()
        self.all = False


@pytest.mark.parametrize("who", ["alice", "dana"])
def test_no_url_answers_500_to_bad_periods_years_or_dates(client, world, who, monkeypatch):
    """Each URL is asked each key's first bad value; where its handling read that
    key, every other bad value of the key too (a key it never reads cannot change
    its answer)."""
    client.force_login(getattr(world, who))
    keys_read = KeysRead(monkeypatch)
    problems = []
    asked, read = 0, set()

    def ask(url: str, key: str, value: str) -> None:
        response = client.get(with_param(url, key, value))
        if response.status_code >= 500:
            problems.append(f"{key}={value[:20]} on {url}: {response.status_code}")
        elif response.status_code == 400 and not url.startswith("/api/"):
            html = response.content.decode()
            if "错误 400" not in html or 'id="error-message"' not in html:
                problems.append(f"{key}={value[:20]} on {url}: a bare 400")

    for build in ROUTES.values():
        urls = {v.url for v in build(world) if v.who == who and v.method == "get"}
        for url in sorted(urls)[:2]:
            for key, values in BAD.items():
                keys_read.clear()
                ask(url, key, values[0])
                asked += 1
                if keys_read.read(key):
                    read.add((key, urlsplit(url).path))
                    for value in values[1:]:
                        ask(url, key, value)
                        asked += 1
    # The walk saw the views that read periods, dates and pages read them.
    assert {
        ("period", "/institutions/"),
        ("page", "/institutions/"),
        ("start", "/api/v1/metrics/"),
        ("end", "/api/v1/metrics/"),
        ("page", "/api/v1/metrics/"),
    } <= read, read
    assert asked > 500
    assert not problems, "\n".join(problems)


def test_a_bad_period_says_what_would_be_accepted(client, world):
    client.force_login(world.alice)
    response = client.get("/institutions/", {"period": "9999Q4"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "年份 9999 不在本平台支持的范围内（2000–2099 年）" in html
    assert "机构列表" in html  # the menu is there
    response = client.get("/assessment/", {"year": "9999"})
    assert response.status_code == 400 and "2000–2099" in response.content.decode()


def test_the_metrics_api_refuses_dates_outside_the_years_in_chinese(client, world):
    client.force_login(world.alice)
    response = client.get(
        "/api/v1/metrics/", {"start": "2023-01-01", "end": "9999-12-01", "platform": "city"}
    )
    assert response.status_code == 400
    assert "2000–2099" in response.json()["end"][0]
