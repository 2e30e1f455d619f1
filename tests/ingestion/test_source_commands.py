"""The command line's side of the sources: `publish_platform_data` writes what a
platform holds as a vendor's database and as a folder of daily files, and
`set_platform_source` points platforms at them — the password read from the
environment (never the command line, never printed) — so that their pulls read
back exactly what was published; bad arguments are refused with their reason."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from apps.audit.models import AuditEvent
from apps.ingestion.vendor import VENDOR_QUERIES, publish_sql
from apps.platforms.models import Platform
from tests.ingestion.test_sources import (
    DAYS,
    platform_of,
    pull,
    small_truth,
    truth_rows,
    uploads_of,
)


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def published(city, settings, tmp_path):
    """A platform that has pulled the small truth from a vendor's SQLite database."""
    settings.HIPWATCH_DEMO_SOURCES_DIR = tmp_path
    data = small_truth()
    publish_sql(data, f"sqlite:///{tmp_path}/first.sqlite3")
    first = platform_of(
        "first",
        city,
        source="sql",
        sql_url=f"sqlite:///{tmp_path}/first.sqlite3",
        sql_queries={"uploads": VENDOR_QUERIES["uploads"]},
    )
    assert [pull(first, d).outcome for d in DAYS] == ["success"] * len(DAYS)
    return data


@pytest.mark.django_db
def test_what_is_published_and_set_from_the_command_line_reads_back_the_same(
    city, published, tmp_path, monkeypatch
):
    said = run(
        "publish_platform_data",
        "--platform",
        "first",
        "--folder",
        str(tmp_path / "drop"),
        "--sql",
        f"sqlite:///{tmp_path}/second.sqlite3",
    )
    assert f"{len(DAYS)} " in said and "second.sqlite3" in said

    # A folder: the second platform reads the files.
    by_files = platform_of("by_files", city)
    said = run(
        "set_platform_source", "by_files", "--kind", "files", "--path", str(tmp_path / "drop")
    )
    assert "by_files" in said
    by_files.refresh_from_db()
    assert by_files.source == "files" and by_files.files_location == str(tmp_path / "drop")
    assert [pull(by_files, d).outcome for d in DAYS] == ["success"] * len(DAYS)
    assert uploads_of(by_files) == truth_rows(published)

    # A database: the password from the environment, stored, never printed.
    (tmp_path / "uploads.sql").write_text(VENDOR_QUERIES["uploads"], encoding="utf-8")
    monkeypatch.setenv("VENDOR_PASSWORD", "s3cret-word")
    by_sql = platform_of("by_sql", city)
    said = run(
        "set_platform_source",
        "by_sql",
        "--kind",
        "sql",
        "--url",
        f"sqlite:///{tmp_path}/second.sqlite3",
        "--query",
        f"uploads={tmp_path / 'uploads.sql'}",
        "--timeout",
        "30",
        "--password-env",
        "VENDOR_PASSWORD",
    )
    assert "s3cret-word" not in said
    by_sql.refresh_from_db()
    assert by_sql.source == "sql" and by_sql.sql_password == "s3cret-word"
    assert by_sql.sql_queries == {"uploads": VENDOR_QUERIES["uploads"]} and by_sql.sql_timeout == 30
    event = (
        AuditEvent.objects.filter(action=AuditEvent.Action.REGISTRY_CHANGED).order_by("pk").last()
    )
    assert "s3cret-word" not in str(event.details) and event.details["sql_password"] == "修改"
    assert [pull(by_sql, d).outcome for d in DAYS] == ["success"] * len(DAYS)
    assert uploads_of(by_sql) == truth_rows(published)

    # Back to the platform's interface.
    run("set_platform_source", "by_sql", "--kind", "http")
    by_sql.refresh_from_db()
    assert by_sql.source == "http"


@pytest.mark.django_db
def test_bad_arguments_are_refused_with_their_reason(city, published, tmp_path, monkeypatch):
    platform_of("other", city)
    query = tmp_path / "uploads.sql"
    query.write_text(VENDOR_QUERIES["uploads"], encoding="utf-8")
    sql = ["other", "--kind", "sql", "--url", f"sqlite:///{tmp_path}/first.sqlite3"]
    monkeypatch.setenv("VENDOR_PASSWORD", "x")
    pw = ["--password-env", "VENDOR_PASSWORD"]
    cases = {
        # each case: its arguments, and what its refusal must name
        "a query without its kind": ([*sql, "--query", str(query), *pw], str(query)),
        "a query file missing": (
            [*sql, "--query", f"uploads={tmp_path / 'missing.sql'}", *pw],
            "missing.sql",
        ),
        "a password variable unset": (
            [*sql, "--query", f"uploads={query}", "--password-env", "NOT_SET"],
            "NOT_SET",
        ),
        "a kind of query unknown": ([*sql, "--query", f"deletions={query}", *pw], "deletions"),
        "a folder not absolute": (
            ["other", "--kind", "files", "--path", "drop/daily"],
            "绝对路径",
        ),
    }
    for case, (args, named) in cases.items():
        with pytest.raises(CommandError) as refused:
            run("set_platform_source", *args)
        assert named in str(refused.value), (case, str(refused.value))
    with pytest.raises(CommandError, match="--sql"):
        run("publish_platform_data", "--platform", "first")
    other = Platform.objects.get(code="other")
    assert other.source == "http" and other.sql_password in ("", None)
