"""The help page (统计口径说明) is written from the definitions the figures use, and
figure headers link to it; the header's search box finds institutions in scope."""

from django.urls import reverse

from apps.alerts.services import silent_after_days_set
from apps.metrics.definitions import DEFAULT


def test_the_help_page_states_the_definitions_in_force(client, quarter, users):
    silent_after_days_set(platform=quarter.platform, days=5)
    client.force_login(users.bob)
    html = client.get(reverse("help")).content.decode()
    assert f"完整率 ≥ {DEFAULT.tier1_min}% 为第一梯队" in html
    assert f"低于 {DEFAULT.severe_below}% 标为严重缺失" in html
    assert f"{DEFAULT.score_points} × ({DEFAULT.weight_connection} × C" in html
    assert "最近 5 天均无上传记录即判定为中断" in html  # the platform's own threshold
    assert 'id="completeness"' in html and 'id="interruption_days"' in html


def test_figure_headers_link_to_their_definition(client, quarter, users):
    client.force_login(users.alice)
    html = client.get(reverse("institution-list"), {"period": "2023Q2"}).content.decode()
    assert 'href="/help/#completeness"' in html and 'href="/help/#tier"' in html
    assert 'sort=completeness">数据完整率(%)</a>' in html  # sorting still works
    dashboard = client.get(reverse("dashboard"), {"period": "2023Q2"}).content.decode()
    assert 'href="/help/#interruption_days"' in dashboard
    # The export keeps plain headers.
    response = client.get(reverse("institution-list"), {"period": "2023Q2", "export": "xlsx"})
    assert b"help-link" not in response.content


def test_search_finds_institutions_in_scope_only(client, quarter, users):
    client.force_login(users.bob)
    response = client.get(reverse("institution-search"), {"q": "人民医院"})
    assert response.status_code == 302  # one match in 潢川县: straight to its page
    assert response.url.startswith(reverse("institution-detail", args=["41152600001"]))
    html = client.get(reverse("institution-search"), {"q": "41152200001"}).content.decode()
    assert "光山县人民医院" not in html and "没有符合条件的机构" in html
    client.force_login(users.alice)
    html = client.get(reverse("institution-search"), {"q": "人民医院"}).content.decode()
    assert "潢川县人民医院" in html and "光山县人民医院" in html
