import re

import pytest
from django.urls import reverse

from apps.platforms.models import Platform
from apps.web import views as web_views
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db

HOME = reverse("home")
LIST = reverse("institution-list")


def detail(org_code):
    return reverse("institution-detail", args=[org_code])


def text(response):
    return response.content.decode()


def test_login_page_renders_in_chinese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "登录" in text(response)
    assert "用户名" in text(response) and "密码" in text(response)


def test_login_with_password_lands_on_home(client, quarter, users):
    response = client.post(reverse("login"), {"username": "alice", "password": "pw-for-tests"})
    assert response.status_code == 302
    assert response.url == reverse("home")


@pytest.mark.parametrize("url", [HOME, LIST, detail("41150000001")])
def test_anonymous_is_sent_to_login(client, quarter, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")


def test_logout_is_a_post_form(login, quarter, users):
    client = login(users.alice)
    html = text(client.get(HOME))
    assert re.search(r'<form method="post" action="/logout/"', html)
    assert "退出" in html
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(HOME).status_code == 302


def test_home_for_city_officer(login, quarter, users):
    response = login(users.alice).get(HOME)
    assert response.status_code == 200
    html = text(response)
    assert "健康信息平台互联互通监管门户" in html
    assert "信阳市" in html  # scope label
    assert "2023年第二季度" in html  # default period: the last quarter with data
    summary = response.context["summary"]
    assert (summary.institutions, summary.connected, summary.upstream) == (4, 2, 1)
    assert re.search(r'id="card-institutions">4<', html)
    assert re.search(r'id="card-connected">2<', html)
    assert re.search(r'id="card-upstream">1<', html)
    assert re.search(r'id="card-rate">75%<', html)
    assert "3/4" in html
    assert re.search(r'id="card-unconnected">1<', html)
    unconnected = html[html.index('id="unconnected-list"') :]
    assert "光山县人民医院" in unconnected and "未联通" in unconnected
    assert "第一梯队" in html and "第四梯队" in html and "严重缺失" in html
    assert "良好" in html and "中断" in html


def test_home_region_breakdown_has_city_direct_row(login, quarter, users):
    response = login(users.alice).get(HOME)
    groups = {g.label: g.summary for g in response.context["breakdown"]}
    assert list(groups) == ["市直", "光山县", "潢川县"]  # no positions: by region code
    assert (groups["市直"].institutions, groups["市直"].connection_rate) == (1, 100)
    assert groups["光山县"].institutions == 2
    assert groups["光山县"].joined == 1
    assert groups["光山县"].connection_rate == 50
    html = text(response)
    table = html[html.index('id="region-breakdown"') :]
    assert "市直" in table and ">50<" in table and ">1/2<" in table


def test_home_with_region_narrows_the_scope(login, quarter, users):
    response = login(users.alice).get(HOME, {"region": "411522"})
    assert response.status_code == 200
    assert response.context["summary"].institutions == 2
    assert response.context["breakdown"] == []


def test_home_for_county_officer_sees_only_the_county(login, quarter, users):
    response = login(users.bob).get(HOME)
    assert response.status_code == 200
    assert response.context["summary"].institutions == 1
    assert "光山县人民医院" not in text(response)


def test_hospital_user_is_redirected_to_her_institution(login, quarter, users):
    response = login(users.dana).get(HOME, {"period": "2023-05"})
    assert response.status_code == 302
    assert response.url == detail("41152600001") + "?period=2023-05"


def test_list_for_city_officer_shows_every_figure(login, quarter, users):
    response = login(users.alice).get(LIST)
    assert response.status_code == 200
    html = text(response)
    for heading in (
        "机构代码", "机构名称", "地区", "类别", "联通状态", "应传表数", "申明上传表/规定上传表", "已传表数",
        "数据完整率(%)", "缺失表数", "已上传数据量", "校验未通过数", "上传天数",
        "上传中断天数", "最长中断天数", "最近上传日期", "梯队", "连续性",
    ):  # fmt: skip
        assert heading in html, heading
    for name in ("信阳市中心医院", "潢川县人民医院", "光山县人民医院", "光山县中医院"):
        assert name in html
    assert "75.0" in html  # 信阳市中心医院 completeness
    assert "未反馈/4" in html  # nothing declared, four tables required
    assert "27,307" in html  # 91 days × 3 tables × 100 + 7 outside the catalogue
    assert "已联通省平台" in html
    assert f'href="{detail("41150000001")}' in html


def table_names(response):
    return [row.record.name for row in response.context["table"].page.object_list]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"region": "411522"}, {"光山县人民医院", "光山县中医院"}),
        (
            {"region": "411500"},
            {"信阳市中心医院", "潢川县人民医院", "光山县人民医院", "光山县中医院"},
        ),
        ({"status": "connected"}, {"信阳市中心医院", "潢川县人民医院"}),
        ({"category": "中医医院"}, {"光山县中医院"}),
        ({"tier": "1"}, {"信阳市中心医院"}),
        ({"tier": "3"}, {"潢川县人民医院"}),
        ({"tier": "unconnected"}, {"光山县人民医院"}),
        ({"tier": "upstream"}, {"光山县中医院"}),
        ({"q": "中心"}, {"信阳市中心医院"}),
        ({"q": "41152600001"}, {"潢川县人民医院"}),
    ],
)
def test_list_filters(login, quarter, users, params, expected):
    response = login(users.alice).get(LIST, params)
    assert response.status_code == 200
    assert set(table_names(response)) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("completeness", ["光山县人民医院", "光山县中医院", "潢川县人民医院", "信阳市中心医院"]),
        ("-records", ["信阳市中心医院", "潢川县人民医院", "光山县人民医院", "光山县中医院"]),
        # Empty figures (not connected: no interruption days, no upload) sort last.
        (
            "interruption_days",
            ["信阳市中心医院", "潢川县人民医院", "光山县人民医院", "光山县中医院"],
        ),
        (
            "last_upload_date",
            ["潢川县人民医院", "信阳市中心医院", "光山县人民医院", "光山县中医院"],
        ),
        ("-longest_gap", ["光山县人民医院", "光山县中医院", "潢川县人民医院", "信阳市中心医院"]),
        ("tier", ["信阳市中心医院", "潢川县人民医院", "光山县中医院", "光山县人民医院"]),
        ("continuity", ["信阳市中心医院", "潢川县人民医院", "光山县人民医院", "光山县中医院"]),
    ],
)
def test_list_sorting_with_empty_values(login, quarter, users, sort, expected):
    response = login(users.alice).get(LIST, {"sort": sort})
    assert response.status_code == 200
    assert table_names(response) == expected


def test_list_query_count_does_not_grow_with_institutions(
    login, quarter, users, django_assert_max_num_queries
):
    client = login(users.alice)
    # 20, the bell's unread count, and the one-row data version that the caches
    # read (the period menu, the figures and the rendered table: a cold cache)
    with django_assert_max_num_queries(24):
        client.get(LIST)


def test_detail_for_city_officer(login, quarter, users):
    response = login(users.alice).get(detail("41150000001"))
    assert response.status_code == 200
    html = text(response)
    assert "信阳市中心医院" in html
    assert "已联通" in html and "2023-01-01" in html  # status and connected since
    assert "第一梯队" in html and "75.0" in html and "27,307" in html
    uploaded = [t.code for t in response.context["uploaded_tables"]]
    missing = [t.code for t in response.context["missing_tables"]]
    assert uploaded == ["T1", "T2", "T3"]
    assert missing == ["T4"]
    assert "表T4" in html[html.index('id="missing-tables"') :]
    assert "X_OUTSIDE" in html and "目录外" in html
    history = html[html.index('id="sheet-status-history"') :]
    assert "生效日期" in history and "test" in history and "已联通" in history
    assert len(response.context["days"]) == 91
    assert "2023-06-30" in html[html.index('id="day-records"') :]


def test_detail_for_hospital_user(login, quarter, users):
    response = login(users.dana).get(detail("41152600001"))
    assert response.status_code == 200
    html = text(response)
    assert "潢川县人民医院" in html and "第三梯队" in html and "中断" in html


def test_detail_of_not_connected_institution(login, quarter, users):
    response = login(users.charlie).get(detail("41152200001"))
    assert response.status_code == 200
    assert response.context["row"].tier_label == "未联通"
    assert "暂无变更记录" in text(response)


@pytest.mark.parametrize(
    ("user", "url", "params"),
    [
        ("bob", detail("41152200001"), {}),  # 光山县人民医院
        ("bob", detail("41150000001"), {}),  # 市直
        ("charlie", detail("41152600001"), {}),  # 潢川县人民医院
        ("dana", detail("41150000001"), {}),
        ("dana", detail("41152200001"), {}),
        ("bob", HOME, {"region": "411522"}),
        ("bob", LIST, {"region": "411522"}),
        ("bob", HOME, {"region": "411500"}),  # the city above the county
        ("charlie", HOME, {"region": "411526"}),
        ("charlie", LIST, {"region": "411526"}),
        ("dana", HOME, {"region": "411526"}),
        ("dana", LIST, {"region": "411526"}),
        ("alice", HOME, {"region": "999999"}),
        ("alice", detail("NOPE"), {}),
        ("alice", LIST, {"platform": "nope"}),
    ],
)
def test_outside_scope_answers_404(login, quarter, users, user, url, params):
    response = login(getattr(users, user)).get(url, params)
    assert response.status_code == 404


def test_list_for_hospital_user_shows_only_her_institution(login, quarter, users):
    response = login(users.dana).get(LIST)
    assert table_names(response) == ["潢川县人民医院"]


def test_period_and_platform_selectors(login, quarter, users):
    Platform.objects.create(code="province", name="省全民健康信息平台", level="province")
    response = login(users.alice).get(HOME, {"period": "2023-05"})
    html = text(response)
    assert response.context["figures"].start.isoformat() == "2023-05-01"
    assert '<option value="2023Q2"' in html and '<option value="2023-04"' in html
    assert '<option value="2023-05" selected>' in html
    assert 'name="platform"' in html and "省全民健康信息平台" in html
    # The default stays the city platform.
    assert response.context["nav"].platform.code == "city"


def test_page_without_platform_is_friendly(login, users, city):
    Platform.objects.all().delete()
    response = login(users.alice).get(HOME)
    assert response.status_code == 200
    assert "尚未设置信息平台" in text(response) and "数据导入" in text(response)


@pytest.mark.parametrize("url", [HOME, LIST, detail("41150000001"), reverse("login")])
def test_no_external_assets(login, quarter, users, url):
    html = text(login(users.alice).get(url))
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "/static/vendor/bootstrap/bootstrap.min.css" in html


def test_superuser_sees_everything(login, quarter, users):
    client = login(users.admin)
    response = client.get(HOME)
    assert response.status_code == 200
    assert response.context["summary"].institutions == 4
    assert "全部" in text(response)
    assert len(table_names(client.get(LIST))) == 4
    assert client.get(detail("41152200001")).status_code == 200


def test_sort_links_keep_filters(login, quarter, users):
    html = text(login(users.alice).get(LIST, {"status": "connected", "period": "2023Q2"}))
    assert re.search(r'href="\?[^"]*status=connected[^"]*sort=completeness', html) or re.search(
        r'href="\?[^"]*sort=completeness[^"]*status=connected', html
    )


def test_every_page_lists_regions_in_the_registrys_order(client, officer, demo):
    """The regions file's order (市直 first, then the counties as the city lists
    them), the bulletin's, on the list, the home page's breakdown and the dashboard."""
    from apps.bulletins.content import region_order
    from apps.regions.models import Region

    city = Region.objects.get(code="411500")
    order = region_order(city)
    expected = sorted(order, key=order.get)
    client.force_login(officer)
    rows = client.get(LIST, {"period": "2023Q2", "sort": "region"}).context["table"].rows
    seen = list(dict.fromkeys(r.record.institution.region_id for r in rows))
    assert seen == [code for code in expected if code in seen]
    breakdown = client.get(HOME, {"period": "2023Q2"}).context["breakdown"]
    assert [g.region.code for g in breakdown if g.region] == [c for c in expected if c != "411500"]
    assert breakdown[0].region is None  # 市直 first
    # Not the codes' order: the seed lists 平桥区 and 浉河区 before 罗山县.
    assert expected != sorted(expected)


def test_the_print_view_of_the_list_holds_every_row(login, quarter, users):
    for n in range(60):
        InstitutionFactory(
            org_code=f"4115269{n:04d}", name=f"潢川县第{n}卫生院", region=quarter.huangchuan
        )
    client = login(users.alice)
    paged = client.get(LIST, {"period": "2023Q2"}).context["table"]
    assert len(paged.page.object_list) == 50
    printed = client.get(LIST, {"period": "2023Q2", "print": "1"})
    assert len(list(printed.context["table"].rows)) == 64
    assert "js/print.js" in printed.content.decode()


def test_a_cached_list_reads_no_figures_and_shows_the_same(
    login, quarter, users, django_assert_max_num_queries, monkeypatch
):
    """A list already rendered for this data version, query and user: its count,
    filters and table come from the cached body, the menu from this process's
    fragment, and no figure is read: five queries (the session, the user with their
    region, the platforms, the data version, the bell)."""
    client = login(users.alice)
    first = client.get(LIST)

    def heading(response):
        html = response.content.decode()
        start = html.index('<span class="text-body-secondary">')
        return html[start : html.index("</span>", start)]

    def table(response):
        html = response.content.decode()
        return html[html.index('<div class="card print-wide">') : html.index("</table>")]

    names = table_names(first)

    def unread(**kwargs):
        raise AssertionError("the figures were read for a cached list")

    monkeypatch.setattr(web_views, "period_figures", unread)
    with django_assert_max_num_queries(5):
        second = client.get(LIST)
    assert table(second) == table(first) and len(names) == 4
    assert all(name in table(second) for name in names)
    assert heading(second) == heading(first) and "4" in heading(first)


def test_the_cached_menu_follows_the_users_scope_and_the_platforms(login, quarter, users):
    """The menu is kept per scope, page and data version: a city officer made a
    county officer loses the links of the city's commission at once, and a platform
    added shows in the selector of the same page at once."""
    client = login(users.alice)
    sync = f'href="{reverse("sync-log")}"'
    before = client.get(LIST, {"period": "2023Q2"}).content.decode()
    assert sync in before and 'id="nav-platform"' not in before
    users.alice.role, users.alice.region = "county", users.bob.region
    users.alice.save()
    demoted = client.get(LIST, {"period": "2023Q2"}).content.decode()
    assert sync not in demoted
    Platform.objects.create(code="county-x", name="潢川县平台", level="county")
    added = client.get(LIST, {"period": "2023Q2"}).content.decode()
    assert 'id="nav-platform"' in added and "潢川县平台" in added


def test_a_user_moved_to_another_county_is_not_served_the_old_cached_list(login, quarter, users):
    """The cached count, filters and table are keyed on the user's scope, not only
    on who they are: moved from 潢川县 to 光山县, bob sees 光山县's institutions at once."""
    client = login(users.bob)
    before = client.get(LIST).content.decode()
    assert "潢川县人民医院" in before and "光山县人民医院" not in before
    users.bob.region = users.charlie.region
    users.bob.save()
    after = client.get(LIST).content.decode()
    assert "光山县人民医院" in after and "潢川县人民医院" not in after
