"""The audit log: what is recorded (who, when, from where, what changed), and who
may read it (superusers everything, city officers their region, nobody else)."""

import datetime as dt
import io

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from apps.accounts.services import user_add
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.bulletins.services import bulletin_publish
from apps.institutions.services import institutions_import
from apps.platforms.models import CatalogueTable
from apps.platforms.services import tables_import
from apps.regions.models import Region
from tests.conftest import connect, make_bulletin

LOGIN = "/login/"
AUDIT = "/audit/"
A = AuditEvent.Action


def events(action, **filters):
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("id"))


def test_sign_in_and_failed_sign_in_are_recorded_with_address(client, users):
    client.post(LOGIN, {"username": "bob", "password": "wrong"}, REMOTE_ADDR="10.1.2.3")
    client.post(LOGIN, {"username": "nobody", "password": "x"}, REMOTE_ADDR="10.1.2.3")
    client.post(LOGIN, {"username": "bob", "password": "pw-for-tests"}, REMOTE_ADDR="10.1.2.4")
    client.post("/logout/", REMOTE_ADDR="10.1.2.4")
    failed = events(A.LOGIN_FAILED)
    assert [(e.actor, e.actor_label, e.ip) for e in failed] == [
        (users.bob, "bob", "10.1.2.3"),
        (None, "nobody", "10.1.2.3"),
    ]
    assert failed[0].region == users.bob.region and failed[1].region is None
    (login,) = events(A.LOGIN)
    assert (login.actor, login.ip, login.region.code) == (users.bob, "10.1.2.4", "411526")
    (logout,) = events(A.LOGOUT)
    assert logout.actor == users.bob


def test_scope_change_records_old_and_new(city, users):
    user_add(username="erin", role="county", scope="411526")
    (created,) = events(A.USER_CREATED, object_label="erin")
    assert created.object_label == "erin" and created.details["role"] == "county"
    user_add(username="erin", role="county", scope="411522")
    (changed,) = events(A.SCOPE_CHANGED)
    assert changed.details == {"region": {"old": "411526", "new": "411522"}}
    assert changed.region.code == "411522"
    users.bob.is_active = False
    users.bob.save()
    (deactivated,) = events(A.USER_CHANGED)
    assert deactivated.details == {"is_active": {"old": True, "new": False}}


def test_signing_in_does_not_count_as_a_user_change(client, users):
    client.post(LOGIN, {"username": "alice", "password": "pw-for-tests"})
    assert not AuditEvent.objects.filter(action__in=[A.USER_CHANGED, A.SCOPE_CHANGED]).exists()


def test_connection_status_change_names_who_and_old_new(city, users):
    connect(city.hc_people, city.platform)
    from apps.platforms.services import connection_set_status

    connection_set_status(
        institution=city.hc_people,
        platform=city.platform,
        status="integrating",
        since=dt.date(2023, 5, 1),
        entered_by=users.alice,
        source="admin",
    )
    first, second = events(A.CONNECTION_STATUS_CHANGED)
    assert first.details["status"] == {"old": "not_connected", "new": "connected"}
    assert second.actor == users.alice and second.actor_label == "alice"
    assert second.details["status"] == {"old": "connected", "new": "integrating"}
    assert second.details["since"] == "2023-05-01"
    assert second.object_label == "潢川县人民医院" and second.region == city.huangchuan


def test_imports_record_file_and_counts(city, tmp_path):
    path = tmp_path / "institutions.csv"
    path.write_text(
        "机构代码,机构名称,主管区划代码,机构类别,等级\n"
        "41152600009,潢川县妇幼保健院,411526,综合医院,二级甲等\n",
        encoding="utf-8",
    )
    institutions_import(source=path)
    (event,) = events(A.IMPORT)
    assert event.details["file"] == path.name and event.details["created"] == 1
    assert event.details["import"] == "institutions"


def test_catalogue_import_and_admin_edit_are_recorded(city, users, tmp_path):
    path = tmp_path / "tables.csv"
    path.write_text("code,name\nT1,门诊挂号\nT9,新表\n", encoding="utf-8")
    tables_import(
        source=path, platform=city.platform, edition="2024", valid_from=dt.date(2024, 1, 1)
    )
    (imported,) = events(A.CATALOGUE_CHANGED)
    assert imported.details["created"] == 2 and imported.details["file"] == path.name
    table = CatalogueTable.objects.get(edition__name="2024", code="T9")
    LogEntry.objects.log_actions(
        users.admin.pk, [table], CHANGE, change_message=[{"changed": {"fields": ["name"]}}]
    )
    edited = events(A.CATALOGUE_CHANGED)[-1]
    assert edited.actor == users.admin and edited.object_label == str(table)
    assert edited.details["change"] == "changed"


def test_bulletin_publication_and_correction_are_recorded(officer, draft, monkeypatch):
    monkeypatch.setattr("apps.bulletins.services.bulletin_pdf", lambda content: b"%PDF-fake")
    published = bulletin_publish(bulletin=draft, user=officer)
    correction = make_bulletin(
        officer, published.platform, number="信卫信息函〔2023〕9号", corrects=published
    )
    (event,) = events(A.BULLETIN_PUBLISHED)
    assert event.actor == officer and event.object_id == str(published.pk)
    assert event.region.code == "411500"
    (corrected,) = events(A.BULLETIN_CORRECTED)
    assert corrected.object_id == str(correction.pk)
    assert corrected.details["corrects"] == published.number


def test_add_user_command_refuses_a_weak_password(city):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command(
            "add_user",
            "weak",
            "--role",
            "city",
            "--scope",
            "411500",
            "--password",
            "12345678",
            stdout=io.StringIO(),
        )
    assert not AuditEvent.objects.filter(action=A.USER_CREATED, object_label="weak").exists()


# Reading the log.


@pytest.fixture
def logged(city, users):
    """One event per region level, and one without a region."""
    AuditEvent.objects.all().delete()
    audit_record(action=A.LOGIN, actor=users.bob, region=city.huangchuan)
    audit_record(action=A.LOGIN, actor=users.charlie, region=city.guangshan)
    audit_record(action=A.IMPORT, object_label="regions", details={"file": "=cmd|x"})
    other = Region.objects.create(code="411300", name="南阳市", level="city", parent=city.province)
    audit_record(action=A.LOGIN, actor_label="nanyang", region=other)


def test_city_officer_sees_the_events_of_her_region_only(client, users, logged):
    client.force_login(users.alice)
    response = client.get(AUDIT)
    assert response.status_code == 200
    html = response.content.decode()
    assert "bob" in html and "charlie" in html
    assert "nanyang" not in html and "=cmd|x" not in html
    assert 'href="/audit/"' in html  # the nav entry


def test_superuser_sees_everything_and_filters(client, users, logged):
    client.force_login(users.admin)
    html = client.get(AUDIT).content.decode()
    assert "nanyang" in html and "=cmd|x" in html
    html = client.get(AUDIT, {"user": "bob"}).content.decode()
    assert "bob" in html and "charlie" not in html
    html = client.get(AUDIT, {"action": "import"}).content.decode()
    assert "=cmd|x" in html and "charlie" not in html
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    html = client.get(AUDIT, {"start": tomorrow}).content.decode()
    assert "charlie" not in html


@pytest.mark.parametrize("who", ["bob", "charlie", "dana"])
def test_county_and_hospital_users_get_404(client, users, logged, who):
    client.force_login(getattr(users, who))
    assert client.get(AUDIT).status_code == 404
    assert client.get(AUDIT, {"export": "xlsx"}).status_code == 404
    assert 'href="/audit/"' not in client.get("/alerts/").content.decode()


def test_export_holds_the_visible_events_as_text(client, users, logged):
    client.force_login(users.admin)
    response = client.get(AUDIT, {"export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    texts = [str(c.value) for c in cells]
    assert any("nanyang" in t for t in texts)
    assert all(c.data_type != "f" for c in cells)
    assert any(t.startswith("file: =cmd|x") or "=cmd|x" in t for t in texts)
    client.force_login(users.alice)
    sheet = load_workbook(io.BytesIO(client.get(AUDIT, {"export": "xlsx"}).content)).active
    texts = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert "bob" in texts and "nanyang" not in texts


def test_audit_events_are_read_only_in_the_admin(client, users, logged):
    client.force_login(users.admin)
    event = AuditEvent.objects.first()
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    response = client.post(
        reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
