"""No parameter of any URL gives a 500: every pattern the scope walk knows is
asked again with bad periods, years and dates, by an officer and a hospital user.
A bad period or year answers the portal's own 400 page (or a JSON 400 in the
API), in Chinese, saying what would be accepted."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

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


@pytest.mark.parametrize("who", ["alice", "dana"])
def test_no_url_answers_500_to_bad_periods_years_or_dates(client, world, who):
    client.force_login(getattr(world, who))
    problems = []
    asked = 0
    for build in ROUTES.values():
        urls = {v.url for v in build(world) if v.who == who and v.method == "get"}
        for url in sorted(urls)[:2]:
            for key, values in BAD.items():
                for value in values:
                    asked += 1
                    response = client.get(with_param(url, key, value))
                    if response.status_code >= 500:
                        problems.append(f"{key}={value[:20]} on {url}: {response.status_code}")
                    elif response.status_code == 400 and not url.startswith("/api/"):
                        html = response.content.decode()
                        if "错误 400" not in html or 'id="error-message"' not in html:
                            problems.append(f"{key}={value[:20]} on {url}: a bare 400")
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
