"""The portal's own error pages: Chinese, with the menu, for 400, 403, 404 and 500;
JSON in Chinese under /api/, 500 included."""

import pytest
from django.test import Client
from django.urls import path

from apps.web import errors
from config.urls import urlpatterns as portal_urls


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), path("api/boom/", boom), *portal_urls]
handler404 = errors.page_not_found
handler500 = errors.server_error


@pytest.fixture
def failing(settings):
    settings.ROOT_URLCONF = __name__
    return Client(raise_request_exception=False)


def test_404_is_chinese_with_the_menu(client, users):
    client.force_login(users.alice)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html and "返回首页" in html
    assert "机构列表" in html and "退出" in html  # the menu of the signed-in officer
    assert "Not Found" not in html


def test_404_outside_scope_is_the_same_page(client, users, city):
    client.force_login(users.bob)
    response = client.get(f"/institutions/{city.gs_people.org_code}/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


def test_500_is_chinese_and_the_api_answers_json(failing, users):
    failing.force_login(users.alice)
    response = failing.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "系统出错" in html and "机构列表" in html and "Server Error" not in html
    response = failing.get("/api/boom/")
    assert response.status_code == 500
    assert response.json() == {"detail": "系统出错"}


def test_500_without_a_database_still_answers_a_plain_chinese_page(failing, users, monkeypatch):
    monkeypatch.setattr("apps.web.errors.loader.render_to_string", _first_call_fails())
    response = failing.get("/boom/")
    assert response.status_code == 500
    assert "系统出错" in response.content.decode()


def _first_call_fails():
    """render_to_string that fails for the full error page (as when the menu's
    queries fail) and works for the plain one."""
    from django.template import loader

    real = loader.render_to_string

    def render(name, context=None, request=None, using=None):
        if name == "web/error.html":
            raise RuntimeError("the shell cannot render")
        return real(name, context, request=request, using=using)

    return render


def test_api_errors_are_chinese_json(client, users):
    response = client.get("/api/v1/institutions/")
    assert response.status_code in (401, 403)
    assert response.json()["detail"] == "身份认证信息未提供。"
    client.force_login(users.alice)
    response = client.get("/api/v1/institutions/NOPE/")
    assert response.status_code == 404 and response.json()["detail"] == "未找到。"
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404 and response.json() == {"detail": "页面不存在"}


def test_a_refused_csrf_token_gets_the_portal_page(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users.alice)
    response = client.post("/alerts/read/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "无权访问" in html and "表单已过期" in html and "CSRF" not in html
