"""/api/v1/metrics/ with `indicators=`: each row's indicators with value, reference,
rate (a JSON number) and over_reference, from the metrics module; declared tables
on every row; 400 in Chinese for unknown indicators."""

from decimal import Decimal

from apps.indicators.models import Indicator
from apps.indicators.services import indicators_import, references_import
from apps.institutions.models import Institution
from apps.metrics.indicators import indicator_values
from tests.conftest import Q2

URL = "/api/v1/metrics/"
CENTRAL = "41150000001"
QUERY = {"start": "2023-04-01", "end": "2023-06-30"}


def test_rows_carry_their_indicators_as_the_metrics_module_computes_them(client, quarter, users):
    indicators_import(
        source=(
            "date,org_code,indicator,value\n"
            f"2023-05-10,{CENTRAL},outpatient_visits,871187\n"
            f"2023-06-01,{CENTRAL},ehr_basic,1200\n"
        ).encode(),
        platform=quarter.platform,
    )
    references_import(
        source=(
            "period,org_code,indicator,value,source\n"
            + "".join(
                f"2023-0{m},{CENTRAL},outpatient_visits,{v},直报\n"
                for m, v in ((4, 800000), (5, 900000), (6, 874430))
            )
        ).encode(),
        platform=quarter.platform,
    )
    client.force_login(users.alice)
    body = client.get(URL, {**QUERY, "indicators": "outpatient_visits,ehr_basic"}).json()
    rows = {r["org_code"]: r for r in body["results"]}
    central = rows[CENTRAL]["indicators"]
    assert central["outpatient_visits"] == {
        "value": 871187,
        "reference": 2574430,
        "rate": 33.84,
        "over_reference": False,
    }
    assert central["ehr_basic"] == {
        "value": 1200,
        "reference": None,
        "rate": None,
        "over_reference": False,
    }
    assert rows["41152600001"]["indicators"]["outpatient_visits"]["value"] == 0
    expected = indicator_values(
        institutions=Institution.objects.filter(org_code=CENTRAL),
        platform=quarter.platform,
        start=Q2[0],
        end=Q2[1],
        indicators=[Indicator.objects.get(code="outpatient_visits")],
    )[quarter.central.pk]["outpatient_visits"]
    assert Decimal(str(central["outpatient_visits"]["rate"])) == expected.rate
    assert all("declared_tables" in r for r in body["results"])
    all_codes = client.get(URL, {**QUERY, "indicators": "all"}).json()["results"][0]["indicators"]
    assert set(all_codes) == set(Indicator.objects.values_list("code", flat=True))


def test_without_indicators_the_rows_have_none_and_unknown_ones_are_refused(client, quarter, users):
    client.force_login(users.alice)
    row = client.get(URL, QUERY).json()["results"][0]
    assert "indicators" not in row and "declared_tables" in row
    response = client.get(URL, {**QUERY, "indicators": "outpatient_visits,nope"})
    assert response.status_code == 400
    assert response.json()["indicators"] == ["未知的指标：nope。"]


def test_the_schema_documents_the_indicators(client, users):
    client.force_login(users.alice)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    row = schema["components"]["schemas"]["InstitutionFigures"]["properties"]
    assert "indicators" in row and "declared_tables" in row
    params = {p["name"] for p in schema["paths"]["/api/v1/metrics/"]["get"]["parameters"]}
    assert "indicators" in params
