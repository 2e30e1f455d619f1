"""Sign-in throttling, production settings (`check --deploy`), request size limits."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from apps.audit.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/login/"


def attempt(client, password, ip="10.0.0.1", username="bob"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_user_name_from_that_address(client, users):
    for _ in range(4):
        assert attempt(client, "wrong").status_code == 200  # the form again, with its error
    assert attempt(client, "wrong").status_code == 429  # the fifth failure locks
    locked = attempt(client, "pw-for-tests")  # even the right password is refused now
    assert locked.status_code == 429
    assert 'id="lockout-message"' in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="locked_out", actor=users.bob).exists()
    # Another address, or another user name from the same address, is not locked.
    assert attempt(client, "pw-for-tests", ip="10.0.0.2").status_code == 302
    client.logout()
    assert attempt(client, "pw-for-tests", username="alice").status_code == 302


def test_a_successful_sign_in_resets_the_count(client, users):
    for _ in range(4):
        attempt(client, "wrong")
    assert attempt(client, "pw-for-tests").status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, "wrong")
    assert attempt(client, "pw-for-tests").status_code == 302


def test_lockout_follows_the_configured_limit(client, users, settings):
    settings.AXES_FAILURE_LIMIT = 2
    assert attempt(client, "wrong").status_code == 200
    assert attempt(client, "wrong").status_code == 429
    assert attempt(client, "pw-for-tests").status_code == 429


def test_an_oversized_form_is_refused(client, users):
    response = client.post(LOGIN, {"username": "bob", "password": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 400


def _manage(*args, **environ):
    # As production runs: none of the test run's own switches (the browser tests
    # set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright).
    dropped = ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(environ)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "false",
    "HIPWATCH_HTTPS": "true",
    "ALLOWED_HOSTS": "portal.example",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO=https",
}


def test_check_deploy_is_clean_with_production_settings():
    done = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(64),
        **PRODUCTION,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@pytest.mark.parametrize("key", ["dev-only-insecure-key-change-me", "short-key", "a" * 60])
def test_production_refuses_a_weak_secret_key(key):
    done = _manage("check", SECRET_KEY=key, **PRODUCTION)
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr


def test_production_settings_make_cookies_secure(settings):
    done = _manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.X_FRAME_OPTIONS)",
        SECRET_KEY=secrets.token_urlsafe(64),
        **PRODUCTION,
    )
    assert done.stdout.splitlines()[-1].split() == ["True", "True", "True", "31536000", "DENY"], (
        done.stderr
    )
