from django.core.management import call_command


def test_schema_generates_without_warnings(db, tmp_path):
    schema = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema))
    text = schema.read_text()
    assert "/api/v1/metrics/" in text
    assert "/api/v1/institutions/{org_code}/" in text


def test_schema_is_served(users, client_for):
    assert client_for(users.alice).get("/api/schema/").status_code == 200
