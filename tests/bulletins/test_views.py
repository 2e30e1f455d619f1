"""The bulletin pages, as a city officer, a county officer and hospital staff use
them: create, preview, edit, check and publish, correct, download, and who sees
what (anything outside a user's scope answers 404)."""

import io
import json
import re
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from apps.accounts.services import user_add
from apps.bulletins.models import Bulletin
from apps.bulletins.services import bulletin_publish
from apps.platforms.models import TableEdition
from apps.regions.models import Region
from tests.browser_form import form_data as browser_form_data
from tests.conftest import make_bulletin

pytestmark = pytest.mark.django_db

LIST = reverse("bulletin-list")
NEW = reverse("bulletin-new")
NUMBER = "信卫信息函〔2023〕9号"
BULLETIN_URLS = ("detail", "edit", "publish", "delete", "pdf", "xlsx")
POSTED = ("publish", "delete")


def url(name, bulletin):
    return reverse(f"bulletin-{name}", args=[bulletin.pk])


def text(response):
    return response.content.decode()


def visit(client, name, bulletin):
    """What a browser does with a bulletin URL: POST the confirmation of publish
    and delete, GET the rest."""
    if name in POSTED:
        return client.post(url(name, bulletin), {"confirm": "yes"})
    return client.get(url(name, bulletin))


def form_data(platform, **changes):
    data = {
        "platform": platform.pk,
        "region": "411500",
        "period": "2023Q2",
        "number": NUMBER,
        "title": "信阳市卫生健康委员会关于2023年第二季度互联互通工作的通报",
        "issuing_body": "信阳市卫生健康委员会",
        "recipients": "各县区卫生健康委，市直各医疗机构",
        "issue_date": "2023-07-05",
        "opening": "今年以来，全市各级医疗机构推进互联互通。",
        "requirements": "（一）加快接入进度。\n（二）加强维护管理。",
        "contacts": "联系人：科技信息科",
        "def_tier1_min": "60",
        "def_tier2_min": "40",
        "def_severe_below": "10",
        "def_good_continuity_max_days": "7",
        "def_score_points": "40",
        "def_weight_connection": "0.3",
        "def_weight_completeness": "0.4",
        "def_weight_volume": "0.3",
        # Quality ranking off (an unticked box is not sent), its thresholds, the weights.
        "def_quality_good_min": "95",
        "def_quality_poor_below": "90",
        **{
            f"def_quality_weight_{d}": "1"
            for d in ("completeness", "conformance", "consistency", "linkage", "timeliness")
        },
    }
    data.update(changes)
    return data


def form_values(response) -> dict[str, str]:
    """What the browser would submit from the bulletin form."""
    data = browser_form_data(text(response), "bulletin-form")
    data.pop("csrfmiddlewaretoken", None)
    return {name: values[0] for name, values in data.items()}


def selected(html, name):
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"[^>]*? selected[ >]', select)


@pytest.fixture
def fake_pdf(monkeypatch):
    """Scoping tests need not render PDFs (about a second each); the real
    renderer is tested in tests/bulletins/test_renditions.py."""

    def fake(content, progress=None):
        return b"%PDF-fake"

    monkeypatch.setattr("apps.bulletins.pdf.bulletin_pdf", fake)
    monkeypatch.setattr("apps.bulletins.services.bulletin_pdf", fake)


# 1. Create, preview, edit, publish, correct.


def test_new_form_is_prefilled_for_the_officer(login, officer, demo):
    response = login(officer).get(NEW)
    assert response.status_code == 200
    html = text(response)
    assert "新建通报" in html and "统计口径与阈值" in html
    assert selected(html, "platform") == [str(demo.pk)]
    assert selected(html, "region") == ["411500"]
    assert selected(html, "period") == ["2023Q4"]  # the last quarter with data (to 31 Dec)
    values = form_values(response)
    assert values["issuing_body"] == "信阳市卫生健康委员会"
    assert values["def_tier1_min"] == "60" and values["def_weight_volume"] == "0.3"


def test_officer_creates_edits_publishes_and_corrects(login, officer, demo):
    client = login(officer)
    response = client.post(NEW, form_data(demo))
    assert response.status_code == 302
    bulletin = Bulletin.objects.get(number=NUMBER)
    assert response.url == url("detail", bulletin)
    assert bulletin.status == "draft" and bulletin.created_by == officer
    assert (bulletin.period_start.isoformat(), bulletin.period_end.isoformat()) == (
        "2023-04-01",
        "2023-06-30",
    )
    assert bulletin.period_label == "2023年第二季度"
    assert bulletin.definitions["tier1_min"] == "60"
    assert bulletin.corrects is None

    # The detail page: the live preview, every check passing, the buttons.
    response = client.get(response.url)
    html = text(response)
    assert "草稿已保存。" in html
    assert response.context["failures"] == []
    assert "各项检查均已通过" in html and "以下检查未通过" not in html
    for seen in (NUMBER, "第二梯队", "信阳职业技术学院附属医院", "附件", "加快接入进度"):
        assert seen in html, seen
    assert re.search(r'id="publish-link" href="[^"]+">检查并发布<', html)
    assert url("edit", bulletin) in html and url("delete", bulletin) in html

    # Edit: the form shows what is stored; a change is saved.
    response = client.get(url("edit", bulletin))
    assert response.status_code == 200
    values = form_values(response)
    assert values["number"] == NUMBER and values["issue_date"] == "2023-07-05"
    assert values["requirements"] == "（一）加快接入进度。\n（二）加强维护管理。"
    assert "platform" not in values and "period" not in values  # fixed on creation
    assert re.search(r'id="fixed-scope">平台：.*信阳市 · 统计周期：2023年第二季度<', text(response))
    values.update(requirements="（一）加快接入进度。\n（二）按季度自查。", def_tier1_min="70")
    response = client.post(url("edit", bulletin), values)
    assert response.status_code == 302 and response.url == url("detail", bulletin)
    bulletin.refresh_from_db()
    assert bulletin.requirements.endswith("按季度自查。")
    assert bulletin.definitions["tier1_min"] == "70"
    assert "按季度自查" in text(client.get(url("detail", bulletin)))

    # Publish: the page asks first, with what the checks verified.
    html = text(client.get(url("publish", bulletin)))
    assert "各项检查均已通过" in html and "每所机构在且仅在一个梯队中" in html
    assert 'name="confirm" value="yes"' in html
    bulletin.refresh_from_db()
    assert bulletin.status == "draft"
    response = client.post(url("publish", bulletin), {"confirm": "yes"}, follow=True)
    html = text(response)
    assert "通报已发布。" in html
    bulletin.refresh_from_db()
    assert bulletin.status == "published"
    assert bulletin.published_by == officer and bulletin.published_at
    assert bulletin.snapshot["document"]["number"] == NUMBER
    assert bulletin.snapshot["definitions"]["tier1_min"] == "70"
    assert re.search(r"张明于\d{4}-\d\d-\d\d \d\d:\d\d发布", html)  # the name, not the login
    assert "检查并发布" not in html and url("edit", bulletin) not in html
    assert "发布更正" in html
    # A published bulletin can no longer be edited, published again or deleted.
    assert client.get(url("edit", bulletin)).status_code == 404
    assert client.post(url("edit", bulletin), values).status_code == 404
    assert client.post(url("publish", bulletin)).status_code == 404
    assert client.post(url("delete", bulletin)).status_code == 404
    assert Bulletin.objects.filter(pk=bulletin.pk, status="published").exists()

    # 发布更正 leads to a form prefilled from the original.
    correct_url = f"{NEW}?corrects={bulletin.pk}"
    assert correct_url in html
    response = client.get(correct_url)
    assert response.status_code == 200
    html = text(response)
    assert f"更正{NUMBER}" in html
    values = form_values(response)
    assert values["corrects"] == str(bulletin.pk)
    assert values["number"] == ""
    assert values["title"] == f"更正：{bulletin.title}"
    assert values["requirements"] == bulletin.requirements
    assert values["def_tier1_min"] == "70"
    assert values["issue_date"] == timezone.localdate().isoformat()
    # Platform, region and period are the original's, shown but not chosen.
    assert "platform" not in values and "region" not in values and "period" not in values
    assert re.search(r'id="fixed-scope">平台：.*信阳市 · 统计周期：2023年第二季度<', html)
    values["number"] = "信卫信息函〔2023〕10号"
    response = client.post(correct_url, values)
    assert response.status_code == 302
    correction = Bulletin.objects.get(number="信卫信息函〔2023〕10号")
    assert response.url == url("detail", correction)
    assert correction.corrects == bulletin and correction.status == "draft"
    assert (correction.platform, correction.region_id) == (demo, "411500")
    assert (correction.period_start, correction.period_end) == (
        bulletin.period_start,
        bulletin.period_end,
    )
    assert correction.definitions["tier1_min"] == "70"
    html = text(client.get(url("detail", correction)))
    assert f'更正 <a href="{url("detail", bulletin)}">{NUMBER}</a>' in html
    assert "替代" in html or NUMBER in html  # the document names what it corrects
    html = text(client.get(url("detail", bulletin)))
    assert "信卫信息函〔2023〕10号" in html  # 已被更正：…

    # Both are listed.
    response = client.get(LIST)
    html = text(response)
    assert NUMBER in html and "信卫信息函〔2023〕10号" in html
    corrects = {str(r[0]): r[2] for r in response.context["bulletins"].rows}
    assert corrects == {"信卫信息函〔2023〕10号": NUMBER, NUMBER: None}
    assert "已发布" in html and "草稿" in html


def test_delete_a_draft(login, officer, draft):
    client = login(officer)
    assert "确定删除草稿" in text(client.get(url("delete", draft)))
    response = client.post(url("delete", draft), {"confirm": "yes"}, follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    assert "草稿已删除。" in text(response)
    assert not Bulletin.objects.filter(pk=draft.pk).exists()
    assert client.get(url("detail", draft)).status_code == 404


def test_publish_and_delete_ask_first(login, officer, draft):
    """One click never publishes or deletes: the page asks, and only its own
    confirmation does it."""
    client = login(officer)
    for name in ("publish", "delete"):
        assert client.get(url(name, draft)).status_code == 200
        assert client.post(url(name, draft)).status_code == 200  # no confirmation
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_correcting_needs_a_published_bulletin_in_scope(login, officer, draft):
    client = login(officer)
    assert client.get(f"{NEW}?corrects={draft.pk}").status_code == 404
    assert client.get(f"{NEW}?corrects=999999").status_code == 404
    assert client.get(f"{NEW}?corrects=abc").status_code == 404
    assert client.post(NEW, form_data(draft.platform, corrects="abc")).status_code == 404
    assert Bulletin.objects.count() == 1


def test_a_correction_keeps_the_originals_platform_region_and_period(login, officer, draft):
    original = bulletin_publish(bulletin=draft, user=officer)
    client = login(officer)
    data = form_data(original.platform, number="信卫信息函〔2023〕11号", period="2023-05")
    response = client.post(f"{NEW}?corrects={original.pk}", {**data, "corrects": original.pk})
    assert response.status_code == 302
    correction = Bulletin.objects.get(number="信卫信息函〔2023〕11号")
    assert correction.corrects == original
    assert (correction.period_start, correction.period_end, correction.period_label) == (
        original.period_start,
        original.period_end,
        original.period_label,
    )


# 2. Invalid input.


INVALID_THRESHOLDS = [
    ({"def_tier1_min": "30"}, "def_tier2_min"),  # tier 1 below tier 2
    ({"def_severe_below": "50"}, "def_severe_below"),  # severe above tier 2
    ({"def_tier1_min": "120"}, "def_tier1_min"),
    ({"def_weight_volume": "0.5"}, "__all__"),  # the weights add up to 1.2
    ({"def_score_points": "-1"}, "def_score_points"),
    ({"def_tier2_min": ""}, "def_tier2_min"),
]


def test_invalid_thresholds_show_an_error_and_create_nothing(login, officer, demo):
    client = login(officer)
    for changes, field in INVALID_THRESHOLDS:
        response = client.post(NEW, form_data(demo, **changes))
        assert response.status_code == 200, changes
        form = response.context["form"]
        assert form.errors.get(field), (changes, form.errors)
        html = text(response)
        for error in form.errors[field]:
            assert str(error) in html, changes
        # Said by the form, not in the untranslated words of `Definitions.from_dict`.
        assert "统计口径设置无效" not in html and "must satisfy" not in html, changes
        assert form_values(response)["number"] == NUMBER  # what was typed is kept
    assert not Bulletin.objects.exists()


def test_invalid_thresholds_on_edit(login, officer, draft):
    client = login(officer)
    values = form_values(client.get(url("edit", draft)))
    values.update(def_tier1_min="30", title="改过的标题")
    response = client.post(url("edit", draft), values)
    assert response.status_code == 200
    assert response.context["form"].errors
    draft.refresh_from_db()
    assert draft.title != "改过的标题" and draft.definitions["tier1_min"] == "60"


def test_duplicate_number_shows_an_error(login, officer, draft):
    client = login(officer)
    response = client.post(NEW, form_data(draft.platform, number=draft.number))
    assert response.status_code == 200
    html = text(response)
    assert f"文号{draft.number}已被使用。" in html
    assert Bulletin.objects.count() == 1
    # Also when editing another draft to take the number.
    other = make_bulletin(draft.created_by, draft.platform, number="信卫信息函〔2023〕5号")
    values = form_values(client.get(url("edit", other)))
    values["number"] = draft.number
    response = client.post(url("edit", other), values)
    assert response.status_code == 200
    assert f"文号{draft.number}已被使用。" in text(response)
    other.refresh_from_db()
    assert other.number == "信卫信息函〔2023〕5号"


# 3. Checks block publication.


def test_failing_checks_block_publication(login, officer, draft, demo):
    TableEdition.objects.filter(platform=demo).delete()  # no catalogue in force
    client = login(officer)
    response = client.get(url("detail", draft))
    html = text(response)
    failures = response.context["failures"]
    assert failures
    assert "以下检查未通过，通报不能发布：" in html
    assert "信阳市中心医院在统计期内没有生效的必传数据表目录。" in html
    assert "各项检查均已通过" not in html
    assert re.search(r'<button class="btn btn-sm btn-success" type="button" disabled>', html)

    response = client.post(url("publish", draft), {"confirm": "yes"}, follow=True)
    assert response.redirect_chain == [(url("detail", draft), 302)]
    html = text(response)
    assert "通报未发布：" in html
    assert "信阳市中心医院在统计期内没有生效的必传数据表目录。" in html
    assert "alert alert-danger alert-dismissible" in html
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.snapshot is None and draft.published_by is None


# 4. Who sees what.


@pytest.mark.parametrize("who", ["county", "hospital"])
def test_county_and_hospital_see_only_published_bulletins(
    request, login, officer, draft, fake_pdf, who
):
    user = request.getfixturevalue(who)
    client = login(user)
    for name in BULLETIN_URLS:
        assert visit(client, name, draft).status_code == 404, name
    assert client.get(NEW).status_code == 404
    assert client.post(NEW, form_data(draft.platform, number="x")).status_code == 404
    assert draft.number not in text(client.get(LIST))
    assert "新建通报" not in text(client.get(LIST))
    draft.refresh_from_db()
    assert draft.status == "draft"

    published = bulletin_publish(bulletin=draft, user=officer)
    for name in ("detail", "pdf", "xlsx"):
        assert visit(client, name, published).status_code == 200, name
    for name in ("edit", "publish", "delete"):
        assert visit(client, name, published).status_code == 404, name
    assert client.get(NEW).status_code == 404
    assert client.get(f"{NEW}?corrects={published.pk}").status_code == 404
    html = text(client.get(url("detail", published)))
    assert "发布更正" not in html and "检查并发布" not in html
    assert draft.number in text(client.get(LIST))


def test_officer_of_another_city_sees_nothing(login, officer, draft, fake_pdf):
    Region.objects.create(
        code="411600",
        name="周口市",
        level=Region.Level.CITY,
        parent=Region.objects.get(code="410000"),
    )
    other = user_add(username="zhoukou", role="city", scope="411600")
    client = login(other)
    for name in BULLETIN_URLS:
        assert visit(client, name, draft).status_code == 404, name
    assert client.get(f"{NEW}?corrects={draft.pk}").status_code == 404
    # Xinyang's platform covers no part of 周口市: a form naming it is refused whole.
    assert client.post(NEW, form_data(draft.platform, number="周卫〔2023〕1号")).status_code == 404
    assert not Bulletin.objects.filter(number="周卫〔2023〕1号").exists()  # not its region
    assert draft.number not in text(client.get(LIST))
    published = bulletin_publish(bulletin=draft, user=officer)
    for name in BULLETIN_URLS:
        assert visit(client, name, published).status_code == 404, name
    draft.refresh_from_db()
    assert draft.status == "published"


def test_anonymous_is_sent_to_login(client, draft):
    for name in BULLETIN_URLS:
        response = visit(client, name, draft)
        assert response.status_code == 302, name
        assert response.url.startswith(reverse("login") + "?next="), name
    draft.refresh_from_db()
    assert draft.status == "draft"


@pytest.mark.parametrize("path", [LIST, NEW])
def test_anonymous_is_sent_to_login_from_list_and_form(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")


# 5. Downloads.


def disposition_name(response):
    return unquote(response["Content-Disposition"].split("filename*=UTF-8''")[1])


def test_downloads_of_a_draft(login, officer, draft):
    client = login(officer)
    response = client.get(url("pdf", draft))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("inline;")
    assert disposition_name(response) == f"{draft.number}-草稿.pdf"

    response = client.get(url("xlsx", draft))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert disposition_name(response) == f"{draft.number}-草稿.xlsx"
    workbook = load_workbook(io.BytesIO(response.content))
    cells = [c for ws in workbook for row in ws.iter_rows(values_only=True) for c in row]
    assert "信阳职业技术学院附属医院" in cells

    # Its figures as JSON: the API's (the pages offer PDF and Excel).
    data = client.get(f"/api/v1/bulletins/{draft.pk}/").json()["content"]
    assert data["document"]["number"] == draft.number
    assert data["period"]["label"] == "2023年第二季度"


def test_downloads_of_a_published_bulletin_are_the_snapshot(login, officer, draft, demo):
    published = bulletin_publish(bulletin=draft, user=officer)
    client = login(officer)
    api = f"/api/v1/bulletins/{published.pk}/"

    def content():  # the API's JSON, numbers and dates as JSON writes them
        return json.loads(json.dumps(client.get(api).json()["content"]))

    assert content() == json.loads(json.dumps(published.snapshot))
    # The snapshot does not follow later changes of the data.
    TableEdition.objects.filter(platform=demo).delete()
    assert content() == json.loads(json.dumps(published.snapshot))
    response = client.get(url("detail", published))
    assert response.context["failures"] == []
    response = client.get(url("xlsx", published))
    workbook = load_workbook(io.BytesIO(response.content))
    assert disposition_name(response) == f"{published.number}.xlsx"
    assert workbook.sheetnames
    response = client.get(url("pdf", published), {"download": "1"})
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment;")
    assert disposition_name(response) == f"{published.number}.pdf"


def test_the_quality_ranking_is_ticked_in_the_form_with_its_thresholds(login, officer, demo):
    client = login(officer)
    data = form_data(demo, def_quality_ranking="on", def_quality_good_min="97")
    assert client.post(NEW, data).status_code == 302
    definitions = Bulletin.objects.get(number=NUMBER).definitions
    assert (definitions["quality_ranking"], definitions["quality_good_min"]) == ("1", "97")
    # Below the poor band's threshold the good one is refused, next to its field.
    refused = client.post(
        NEW, form_data(demo, number="信卫信息函〔2023〕10号", def_quality_good_min="80")
    )
    assert refused.status_code == 200
    assert "“较差”的阈值不能高于“良好”的阈值。" in text(refused)
