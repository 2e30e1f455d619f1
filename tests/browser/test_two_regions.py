"""Both demos in one database, as the README invites: the Xinyang city officer makes
and publishes the 2023年第四季度 bulletin from the form's own defaults (her city's
platform and its latest quarter), and the Jiangsu province officer opens on his own
platform, never seeing Xinyang's."""

import io

import pytest
from django.core.management import call_command

from apps.bulletins.models import Bulletin
from apps.platforms.models import Platform

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def both_demos(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", without_indicators=True, without_quality=True, stdout=io.StringIO())
    call_command("load_demo", province=True, stdout=io.StringIO())
    return Platform.objects.get(code="xinyang"), Platform.objects.get(code="jiangsu")


def test_city_publishes_the_fourth_quarter_and_jiangsu_opens_on_its_own(
    both_demos, sign_in, live_server, shot, celery_in_process
):
    xinyang, jiangsu = both_demos
    page = sign_in("city")
    page.get_by_role("link", name="通报").first.click()
    page.get_by_role("link", name="新建通报").click()
    page.wait_for_load_state()
    # The form opens on her own platform and its latest quarter; the Jiangsu
    # platform is no choice of hers.
    platform = page.locator("select[name=platform]")
    assert platform.input_value() == str(xinyang.pk)
    assert jiangsu.name not in platform.inner_text()
    assert page.locator("select[name=period]").input_value() == "2023Q4"
    assert page.locator("select[name=period] option:checked").inner_text() == "2023年第四季度"
    page.fill("input[name=number]", "信卫信息函〔2024〕1号")
    shot(page, "new-bulletin")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_load_state()
    bulletin = Bulletin.objects.get(number="信卫信息函〔2024〕1号")
    assert (bulletin.platform, bulletin.period_label) == (xinyang, "2023年第四季度")
    page.get_by_role("link", name="检查并发布").click()
    page.wait_for_load_state()
    shot(page, "confirm-publish")
    page.get_by_role("button", name="立即发布").click()
    page.wait_for_load_state()
    bulletin.refresh_from_db()
    assert bulletin.status == Bulletin.Status.PUBLISHED
    assert "已发布" in page.content()
    shot(page, "published")

    page = sign_in("jiangsu")
    # One platform is his: the navbar offers no other, the home page names it.
    assert page.locator("#nav-selectors select[name=platform]").count() == 0
    assert page.locator("#nav-selectors input[name=platform]").input_value() == jiangsu.code
    assert jiangsu.name in page.locator("h1").inner_text()
    assert "信阳" not in page.content()
    assert "2016年" in page.locator("#nav-period option:checked").inner_text()
    shot(page, "jiangsu-home")
    page.get_by_role("link", name="通报").first.click()
    page.get_by_role("link", name="新建通报").click()
    page.wait_for_load_state()
    assert page.locator("select[name=platform]").input_value() == str(jiangsu.pk)
    assert "2016" in page.locator("select[name=period]").input_value()
    assert "信阳" not in page.content()


def test_the_bulletin_form_offers_the_chosen_platforms_own_periods(
    both_demos, sign_in, live_server, shot
):
    """The superuser sees both platforms: the period menu follows the one chosen."""
    xinyang, jiangsu = both_demos
    page = sign_in("admin")
    page.goto(f"{live_server.url}/bulletins/new/")
    period = page.locator("select[name=period]")

    def offered():
        return [
            o.get_attribute("value")
            for o in period.locator("option").all()
            if not o.is_disabled() and o.get_attribute("hidden") is None
        ]

    page.select_option("select[name=platform]", str(xinyang.pk))
    assert period.input_value() == "2023Q4"
    assert offered() and all(key.startswith("2023") for key in offered())
    page.select_option("select[name=platform]", str(jiangsu.pk))
    assert period.input_value().startswith("2016")
    assert offered() and all(key.startswith("2016") for key in offered())
    shot(page, "jiangsu-periods")
