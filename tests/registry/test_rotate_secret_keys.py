"""`manage.py rotate_secret_keys`: every stored secret re-encrypted with the first
key of HIPWATCH_SECRET_KEYS, counted, audited without values; a second run does
nothing; a value no key opens stops the run with nothing written."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils.translation import gettext

from apps.audit.models import AuditEvent
from apps.platforms.models import Platform
from tests.factories import PlatformFactory

KEY_A, KEY_B, KEY_C = (Fernet.generate_key().decode() for _ in range(3))
CITY_TOKEN, PROVINCE_TOKEN = "city-t0ken-0123456789", "province-t0ken-0123456789"
REPORT = "Stored secrets re-encrypted with the first key: %(rotated)d of %(stored)d."


def raw_tokens() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT code, api_token FROM platforms_platform")
        return dict(cursor.fetchall())


def rotate() -> str:
    out = io.StringIO()
    call_command("rotate_secret_keys", stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def province(city):
    return PlatformFactory(code="province", name="省平台", level="province")


def store(platform, token, settings, key):
    """`token` stored in `platform` under `key` alone."""
    settings.HIPWATCH_SECRET_KEYS = [key]
    platform.api_token = token
    platform.save()


def test_rotation_re_encrypts_with_the_first_key_once(city, province, settings):
    store(city.platform, CITY_TOKEN, settings, KEY_B)
    settings.HIPWATCH_SECRET_KEYS = [KEY_A, KEY_B]
    assert rotate() == gettext(REPORT) % {"rotated": 1, "stored": 1}
    settings.HIPWATCH_SECRET_KEYS = [KEY_A]
    assert Platform.objects.get(code="city").api_token == CITY_TOKEN
    assert Fernet(KEY_A.encode()).decrypt(raw_tokens()["city"].encode()).decode() == CITY_TOKEN
    assert raw_tokens()["province"] == ""
    event = AuditEvent.objects.get(action=AuditEvent.Action.SECRETS_ROTATED)
    assert event.details == {"rotated": 1, "stored": 1, "fields": ["platforms.Platform.api_token"]}
    row = AuditEvent.objects.filter(pk=event.pk).values().get()
    assert CITY_TOKEN not in str(row) and raw_tokens()["city"] not in str(row)
    # Again: everything is under the first key already, nothing changes.
    before = raw_tokens()
    settings.HIPWATCH_SECRET_KEYS = [KEY_A, KEY_B]
    assert rotate() == gettext(REPORT) % {"rotated": 0, "stored": 1}
    assert raw_tokens() == before
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SECRETS_ROTATED).count() == 1


def test_a_value_no_key_opens_stops_the_rotation_and_nothing_is_written(city, province, settings):
    store(city.platform, CITY_TOKEN, settings, KEY_B)  # rotated first (lower id)...
    store(province, PROVINCE_TOKEN, settings, KEY_C)  # ...then this one fails
    before = raw_tokens()
    settings.HIPWATCH_SECRET_KEYS = [KEY_A, KEY_B]
    with pytest.raises(CommandError) as refused:
        rotate()
    message = str(refused.value)
    assert "platforms.Platform.api_token" in message and str(province.pk) in message
    assert PROVINCE_TOKEN not in message and before["province"] not in message
    assert raw_tokens() == before
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SECRETS_ROTATED).exists()
