"""The bulletins API over the demo data: scoping through `bulletins_for`, the
content of drafts and published bulletins, and the PDF and XLSX downloads."""

import datetime as dt
import io

from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.bulletins.content import bulletin_content
from apps.bulletins.services import bulletin_publish
from apps.institutions.models import Institution
from apps.uploads.services import UploadRow, uploads_store
from tests.conftest import make_bulletin

URL = "/api/v1/bulletins/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def detail(bulletin) -> str:
    return f"{URL}{bulletin.pk}/"


def listed(client) -> list[dict]:
    response = client.get(URL)
    assert response.status_code == 200
    return response.json()["results"]


def without_generated_at(content: dict) -> dict:
    """A draft's content is built on each request, stamped with its time."""
    return {k: v for k, v in content.items() if k != "generated_at"}


def test_drafts_are_seen_by_the_city_only_until_published(
    draft, officer, county, hospital, client_for
):
    assert [b["id"] for b in listed(client_for(officer))] == [draft.pk]
    assert listed(client_for(county)) == []
    assert listed(client_for(hospital)) == []

    bulletin_publish(bulletin=draft, user=officer)

    for user in (officer, county, hospital):
        rows = listed(client_for(user))
        assert [(b["id"], b["status"], b["published_by"]) for b in rows] == [
            (draft.pk, "published", "city")
        ], user.username


def test_list_fields(draft, officer, client_for):
    (row,) = listed(client_for(officer))
    base = f"http://testserver{detail(draft)}"
    assert row == {
        "id": draft.pk,
        "number": "信卫信息函〔2023〕4号",
        "title": draft.title,
        "issuing_body": "信阳市卫生健康委员会",
        "period_label": "2023年第二季度",
        "period_start": "2023-04-01",
        "period_end": "2023-06-30",
        "platform": "xinyang",
        "region": "411500",
        "status": "draft",
        "corrects": None,
        "issue_date": "2023-07-01",
        "published_at": None,
        "published_by": None,
        "links": {"url": base, "pdf": f"{base}pdf/", "xlsx": f"{base}xlsx/"},
    }


def test_newest_first_with_corrections(
    draft, officer, demo, client_for, django_assert_max_num_queries
):
    published = bulletin_publish(bulletin=draft, user=officer)
    correction = make_bulletin(
        officer,
        demo,
        number="信卫信息函〔2023〕9号",
        issue_date=dt.date(2023, 7, 20),
        corrects=published,
    )
    same_day = make_bulletin(officer, demo, number="信卫信息函〔2023〕10号")
    client = client_for(officer)
    with django_assert_max_num_queries(6):
        rows = listed(client)
    assert [b["id"] for b in rows] == [correction.pk, same_day.pk, published.pk]
    assert rows[0]["corrects"] == published.pk
    assert rows[2]["published_at"] is not None
    page = client.get(URL, {"page_size": 1}).json()
    assert page["count"] == 3 and len(page["results"]) == 1 and page["next"]


def test_draft_detail_is_its_live_content(draft, officer, client_for):
    response = client_for(officer).get(detail(draft))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "draft" and body["number"] == draft.number
    assert body["definitions"] == draft.definitions
    assert without_generated_at(body["content"]) == without_generated_at(bulletin_content(draft))
    assert len(body["content"]["attachment"]) == 41


def test_published_detail_is_the_snapshot_and_does_not_change(
    draft, officer, county, demo, client_for
):
    published = bulletin_publish(bulletin=draft, user=officer)
    client = client_for(county)
    before = client.get(detail(published)).json()
    assert before["content"] == bulletin_content(published) == published.snapshot

    # New data for the period after publication: a draft's figures move, the
    # published bulletin's do not.
    central = Institution.objects.get(name="信阳市人民医院")
    uploads_store(
        platform=demo,
        rows=[UploadRow(dt.date(2023, 6, 30), central.org_code, "TB_HIS_MZ_Reg", 999, 0)],
        institution_ids={central.org_code: central.pk},
    )
    after = client.get(detail(published)).json()
    assert after == before
    new_draft = make_bulletin(officer, demo, number="信卫信息函〔2023〕5号")
    live = client_for(officer).get(detail(new_draft)).json()["content"]
    assert live["attachment"] != before["content"]["attachment"]


def test_outside_scope_is_404(draft, county, hospital, client_for):
    for user in (county, hospital):
        client = client_for(user)
        for suffix in ("", "pdf/", "xlsx/"):
            response = client.get(detail(draft) + suffix)
            assert response.status_code == 404, (user.username, suffix)
            assert response["Content-Type"] == "application/json"
    assert client_for(county).get(f"{URL}999999/").status_code == 404


def test_pdf(draft, officer, county, client_for):
    published = bulletin_publish(bulletin=draft, user=officer)
    client = client_for(county)
    # A client asking for the PDF only is served too, and its errors stay JSON.
    response = client.get(detail(published) + "pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment;" in response["Content-Disposition"]
    missing = client.get(f"{URL}999999/pdf/", HTTP_ACCEPT="application/pdf")
    assert missing.status_code == 404 and "detail" in missing.json()


def test_xlsx_has_the_attachment(draft, officer, client_for):
    response = client_for(officer).get(detail(draft) + "xlsx/")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 41
    assert rows[0][2] == "信阳市中心医院"


def test_token_auth(draft, officer, county):
    bulletin_publish(bulletin=draft, user=officer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=county).key}")
    assert [b["id"] for b in listed(client)] == [draft.pk]
    assert client.get(detail(draft)).status_code == 200
    assert client.get(detail(draft) + "xlsx/").status_code == 200


def test_unauthenticated_is_401(db):
    client = APIClient()
    for url in (URL, f"{URL}1/", f"{URL}1/pdf/", f"{URL}1/xlsx/"):
        assert client.get(url).status_code == 401, url
