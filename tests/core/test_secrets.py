"""Secrets stored encrypted (apps/core/secrets.py): the platform's interface token
is clear on the model and in the pull's Authorization header, and never in its
database column; keys come from HIPWATCH_SECRET_KEYS or from SECRET_KEY."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.core import secrets
from apps.ingestion.models import SyncRun
from apps.ingestion.pull import platform_pull_day
from apps.ingestion.simulator import Faults, Simulator
from apps.platforms.models import Platform
from tests.simulated import DAY, expected, stored, truth

TOKEN = "pl4tform-t0ken-0123456789abcdef"


def raw_token(platform_pk: int) -> str:
    """The column as the database holds it, past the model field."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_token FROM platforms_platform WHERE id = %s", [platform_pk])
        return cursor.fetchone()[0]


class RecordingSimulator(Simulator):
    """The simulator, keeping the Authorization header of every request."""

    def handler(self):
        base, seen = super().handler(), []
        self.authorizations = seen

        class Handler(base):
            def do_GET(self):
                seen.append(self.headers.get("Authorization"))
                super().do_GET()

        return Handler


def test_the_column_holds_no_clear_token_and_the_pull_sends_the_clear_one(city):
    sim = RecordingSimulator(truth(), Faults(page_size=2, retry_after=0), token=TOKEN)
    try:
        city.platform.api_url, city.platform.api_token = sim.start(), TOKEN
        city.platform.save()
        column = raw_token(city.platform.pk)
        assert column and TOKEN not in column and secrets.decrypt(column) == TOKEN
        platform = Platform.objects.get(pk=city.platform.pk)
        assert platform.api_token == TOKEN and platform.can_be_pulled
        run = platform_pull_day(platform=platform, day=DAY)
        assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
        assert stored(platform) == expected(sim)
        assert set(sim.authorizations) == {f"Bearer {TOKEN}"}
    finally:
        sim.stop()


def test_an_empty_token_stays_empty(city):
    assert raw_token(city.platform.pk) == ""
    assert Platform.objects.filter(api_token="").get() == city.platform
    assert not Platform.objects.get(pk=city.platform.pk).can_be_pulled


def test_the_first_key_encrypts_and_every_key_decrypts(settings):
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.HIPWATCH_SECRET_KEYS = [key_b]
    under_b = secrets.encrypt(TOKEN)
    settings.HIPWATCH_SECRET_KEYS = [key_a, key_b]
    assert secrets.decrypt(under_b) == TOKEN and not secrets.is_current(under_b)
    assert Fernet(key_a.encode()).decrypt(secrets.encrypt(TOKEN).encode()).decode() == TOKEN
    settings.HIPWATCH_SECRET_KEYS = [key_a]
    with pytest.raises(secrets.UndecryptableSecret):
        secrets.decrypt(under_b)


def test_without_keys_one_is_derived_from_the_secret_key(settings):
    settings.HIPWATCH_SECRET_KEYS = []
    token = secrets.encrypt(TOKEN)
    assert secrets.decrypt(token) == TOKEN
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    with pytest.raises(secrets.UndecryptableSecret):
        secrets.decrypt(token)


def test_a_malformed_key_is_refused_without_being_repeated(settings):
    settings.HIPWATCH_SECRET_KEYS = ["not-a-fernet-key-but-a-secret"]
    with pytest.raises(ImproperlyConfigured) as refused:
        secrets.encrypt(TOKEN)
    assert "key 1" in str(refused.value) and "not-a-fernet" not in str(refused.value)


def test_a_token_no_key_opens_reads_as_not_set_and_survives_a_save(city, settings, caplog):
    city.platform.api_url, city.platform.api_token = "https://p.example.cn/api", TOKEN
    city.platform.save()
    column = raw_token(city.platform.pk)
    keys = settings.HIPWATCH_SECRET_KEYS
    settings.HIPWATCH_SECRET_KEYS = [Fernet.generate_key().decode()]  # the old key lost
    platform = Platform.objects.get(pk=city.platform.pk)
    assert platform.api_token == "" and not platform.can_be_pulled
    assert "cannot be decrypted" in caplog.text and column not in caplog.text
    platform.name = "改名后的平台"
    platform.save()
    assert raw_token(platform.pk) == column  # written back as it was
    settings.HIPWATCH_SECRET_KEYS = keys  # the key found again: the token is back
    assert Platform.objects.get(pk=platform.pk).api_token == TOKEN


def test_a_dump_holds_the_encrypted_token_and_loads_back(city, tmp_path):
    city.platform.api_token = TOKEN
    city.platform.save()
    dump = tmp_path / "platforms.json"
    call_command("dumpdata", "platforms.platform", output=str(dump), stdout=io.StringIO())
    assert TOKEN not in dump.read_text()
    Platform.objects.filter(pk=city.platform.pk).update(api_token="")
    call_command("loaddata", str(dump), stdout=io.StringIO())
    assert Platform.objects.get(pk=city.platform.pk).api_token == TOKEN
    assert TOKEN not in raw_token(city.platform.pk)


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_stored_tokens_and_its_reverse_decrypts():
    before = [("platforms", "0004_declarations")]
    after = [("platforms", "0005_platform_api_token_encrypted")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("platforms", "Platform")
        pk = old.objects.create(code="m", name="迁移前的平台", api_token=TOKEN).pk
        old.objects.create(code="n", name="没有令牌的平台", api_token="")
        executor.loader.build_graph()
        executor.migrate(after)
        column = raw_token(pk)
        assert TOKEN not in column and secrets.decrypt(column) == TOKEN
        # The model as that migration left it (later ones add columns).
        new = executor.loader.project_state(after).apps.get_model("platforms", "Platform")
        assert new.objects.get(pk=pk).api_token == TOKEN
        assert new.objects.get(code="n").api_token == ""
        executor.loader.build_graph()
        executor.migrate(before)
        assert raw_token(pk) == TOKEN
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
