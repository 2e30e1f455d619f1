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


def test_the_api_schema_needs_a_signed_in_user(client, users):
    assert client.get("/api/schema/").status_code in (401, 403)
    client.force_login(users.dana)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/institutions/" in response.content


DEVELOPMENT_KEY = "dev-only-insecure-key-change-me"


@pytest.mark.parametrize("key", [DEVELOPMENT_KEY, "short-key", "a" * 60])
def test_without_debug_a_weak_secret_key_is_refused(key):
    # SECRET_KEY given explicitly: the checkout's .env (make install) sets a real one.
    done = _manage("check", SECRET_KEY=key, DEBUG="false", HIPWATCH_HTTPS="false")
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr and "make install" in done.stderr, done.stderr


def test_debug_may_use_the_development_key():
    done = _manage("check", SECRET_KEY=DEVELOPMENT_KEY, DEBUG="true", HIPWATCH_HTTPS="false")
    assert done.returncode == 0, done.stderr


def test_without_debug_a_random_key_starts():
    done = _manage("check", SECRET_KEY=secrets.token_urlsafe(50), DEBUG="false")
    assert done.returncode == 0, done.stderr


def _ensure_key(env_file: Path) -> subprocess.CompletedProcess:
    # As `make install` runs it: a script, before any setting can be read.
    return subprocess.run(
        [sys.executable, "config/ensure_secret_key.py", str(env_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def _keys(env_file: Path) -> list[str]:
    lines = env_file.read_text().splitlines()
    return [line.split("=", 1)[1] for line in lines if line.startswith("SECRET_KEY=")]


def test_make_install_writes_the_env_file_with_a_random_key():
    done = subprocess.run(
        ["make", "-n", "install"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert "config/ensure_secret_key.py .env" in done.stdout, done.stdout + done.stderr


def test_a_new_env_file_gets_a_random_key_the_settings_accept(tmp_path):
    env_file = tmp_path / ".env"
    assert "SECRET_KEY" in _ensure_key(env_file).stdout
    [key] = _keys(env_file)
    assert len(key) >= 50 and len(set(key)) >= 5
    assert env_file.stat().st_mode & 0o077 == 0  # readable by its owner only
    done = _manage("check", SECRET_KEY=key, DEBUG="false")
    assert done.returncode == 0, done.stderr
    other = tmp_path / "other.env"
    _ensure_key(other)
    assert _keys(other) != [key]


def test_an_env_file_without_a_key_keeps_its_lines_and_gains_one(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("ALLOWED_HOSTS=portal.example\nDEBUG=false")  # no final newline
    _ensure_key(env_file)
    lines = env_file.read_text().splitlines()
    assert lines[:2] == ["ALLOWED_HOSTS=portal.example", "DEBUG=false"]
    assert len(_keys(env_file)) == 1


@pytest.mark.parametrize("line", ["SECRET_KEY=kept-as-it-is", "export SECRET_KEY='kept'"])
def test_an_existing_key_is_never_replaced(tmp_path, line):
    env_file = tmp_path / ".env"
    env_file.write_text(f"# ours\n{line}\n")
    assert _ensure_key(env_file).stdout == ""
    assert env_file.read_text() == f"# ours\n{line}\n"
