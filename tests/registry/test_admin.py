import pytest

from apps.platforms.models import Connection
from tests.conftest import connect


@pytest.mark.parametrize(
    "url",
    [
        "/admin/regions/region/",
        "/admin/institutions/institution/",
        "/admin/platforms/platform/",
        "/admin/platforms/tableedition/",
        "/admin/platforms/connection/",
        "/admin/uploads/dailyupload/",
        "/admin/accounts/user/",
    ],
)
def test_admin_lists_the_registry(client, users, url):
    client.force_login(users.admin)
    response = client.get(url)
    assert response.status_code == 200


def test_status_change_in_admin_is_recorded_with_its_author(client, users, city):
    connect(city.central, city.platform, status="integrating")
    connection = Connection.objects.get(institution=city.central)
    client.force_login(users.admin)
    page = client.get(f"/admin/platforms/connection/{connection.pk}/change/")
    assert page.status_code == 200
    response = client.post(
        f"/admin/platforms/connection/{connection.pk}/change/",
        {
            "institution": city.central.pk,
            "platform": city.platform.pk,
            "status": "connected",
            "front_server_last_seen_0": "",
            "front_server_last_seen_1": "",
            "changes-TOTAL_FORMS": "1",
            "changes-INITIAL_FORMS": "1",
            "changes-MIN_NUM_FORMS": "0",
            "changes-MAX_NUM_FORMS": "1000",
            "changes-0-id": connection.changes.get().pk,
            "changes-0-connection": connection.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    connection.refresh_from_db()
    assert connection.status == "connected"
    last = connection.changes.order_by("id").last()
    assert (last.from_status, last.to_status, last.entered_by, last.source) == (
        "integrating",
        "connected",
        users.admin,
        "admin",
    )
