from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

INSTITUTIONS = "/api/v1/institutions/"
METRICS = "/api/v1/metrics/?start=2023-04-01&end=2023-06-30"


def test_token_created_by_drf_create_token_is_served(users):
    call_command("drf_create_token", "bob")
    token = Token.objects.get(user=users.bob)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.get(INSTITUTIONS)

    assert response.status_code == 200
    assert [i["org_code"] for i in response.json()["results"]] == ["41152600001"]
    assert client.get(METRICS).status_code == 200


def test_without_credentials_is_refused(users):
    client = APIClient()
    for url in (INSTITUTIONS, INSTITUTIONS + "41152600001/", METRICS):
        assert client.get(url).status_code == 401


def test_wrong_token_is_refused(users):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert client.get(INSTITUTIONS).status_code == 401
