import io
from decimal import Decimal

from openpyxl import load_workbook


def ranked_rows(response):
    return response.context["ranked"]


def test_city_officer_sees_every_institution_ranked_by_score(client, officer):
    client.force_login(officer)
    response = client.get("/assessment/", {"year": "2023"})
    assert response.status_code == 200
    ranked = ranked_rows(response)
    assert len(ranked) == 41
    scores = [row.score for rank, row in ranked if rank is not None]
    assert scores == sorted(scores, reverse=True)
    assert [row.name for rank, row in ranked if rank is None] == [
        "固始县人民医院",
        "固始县妇幼保健院",
        "固始县中医院",
    ]
    assert "互联互通度" in response.content.decode() or "年度考核" in response.content.decode()


def test_scores_are_the_same_for_a_county_officer(client, officer, county):
    client.force_login(officer)
    city = {
        row.org_code: row.score
        for _r, row in ranked_rows(client.get("/assessment/", {"year": "2023"}))
    }
    client.force_login(county)
    response = client.get("/assessment/", {"year": "2023"})
    rows = ranked_rows(response)
    assert {row.institution.region_id for _r, row in rows} == {"411526"}
    assert all(row.score == city[row.org_code] for _r, row in rows)


def test_the_metrics_api_gives_the_same_scores(client, officer):
    client.force_login(officer)
    page = {
        row.org_code: row.score
        for _r, row in ranked_rows(client.get("/assessment/", {"year": "2023"}))
    }
    api = client.get("/api/v1/metrics/", {"start": "2023-01-01", "end": "2023-12-31"}).json()
    assert {
        r["org_code"]: (Decimal(str(r["score"])) if r["score"] is not None else None)
        for r in api["results"]
    } == page


def test_excel_export_has_the_ranking(client, officer):
    client.force_login(officer)
    page = ranked_rows(client.get("/assessment/", {"year": "2023"}))
    response = client.get("/assessment/xlsx/", {"year": "2023"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 41
    assert [(r[0], r[2], r[9]) for r in rows] == [
        (rank, row.org_code, float(row.score) if row.score is not None else None)
        for rank, row in page
    ]


def test_scope_and_bad_parameters(client, county, hospital):
    client.force_login(county)
    assert client.get("/assessment/", {"region": "411522"}).status_code == 404
    assert client.get("/assessment/xlsx/", {"region": "411522"}).status_code == 404
    assert client.get("/assessment/", {"year": "20x3"}).status_code == 400
    client.force_login(hospital)
    assert client.get("/assessment/").status_code == 404
    assert client.get("/assessment/xlsx/").status_code == 404
