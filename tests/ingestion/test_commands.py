"""The ingestion commands as an operator runs them: set_platform_api (token never
on the command line), pull_platform (a backfill with a progress bar) and
run_platform_simulator (a real server over the stored data)."""

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.core.management import CommandError, call_command

from apps.ingestion.models import Backfill, SyncRun
from apps.ingestion.simulator import Faults
from tests.conftest import connect, upload
from tests.processes import database_url, free_port, needs_database_server
from tests.simulated import DAY, expected, stored

ROOT = Path(__file__).resolve().parents[2]


def test_set_platform_api_reads_the_token_from_the_environment(city, monkeypatch):
    monkeypatch.setenv("XY_TOKEN", "s3cret")
    out = io.StringIO()
    call_command(
        "set_platform_api",
        city.platform.code,
        url="http://10.0.0.8/api/",
        token_env="XY_TOKEN",
        stdout=out,
    )
    city.platform.refresh_from_db()
    assert (city.platform.api_url, city.platform.api_token) == ("http://10.0.0.8/api", "s3cret")
    assert "s3cret" not in out.getvalue()
    monkeypatch.setenv("EMPTY", "")
    with pytest.raises(CommandError, match="EMPTY"):
        call_command("set_platform_api", city.platform.code, url="http://x.cn", token_env="EMPTY")
    with pytest.raises(CommandError):
        call_command("set_platform_api", city.platform.code, url="ftp:/nope", token_env="XY_TOKEN")


def test_set_platform_api_reads_the_token_from_standard_input(city, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("tok-from-stdin\n"))
    call_command(
        "set_platform_api", city.platform.code, url="https://p.example.cn", stdout=io.StringIO()
    )
    city.platform.refresh_from_db()
    assert city.platform.api_token == "tok-from-stdin"


def test_pull_platform_backfills_a_range_with_a_progress_bar(platform_sim):
    platform, sim = platform_sim(Faults(page_size=2, retry_after=0))
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "pull_platform",
        platform=platform.code,
        since="2023-06-29",
        until="2023-06-30",
        institutions=True,
        stdout=out,
        stderr=err,
    )
    text = out.getvalue()
    assert "[" + "█" * 15 + "·" * 15 + "] 1/2 2023-06-29" in text
    assert "] 2/2 2023-06-30 已存入" in text
    assert "机构：已存入，联通状态变更 2 条，未知机构代码 1 个" in text
    backfill = Backfill.objects.get()
    assert (backfill.trigger, backfill.state, backfill.days_done) == ("command", "done", 2)
    assert stored(platform) == expected(sim)


def test_pull_platform_fails_loudly_when_days_fail(platform_sim):
    platform, sim = platform_sim(Faults(page_size=2, retry_after=0, unavailable=100))
    with pytest.raises(CommandError, match="1"):
        call_command(
            "pull_platform",
            platform=platform.code,
            date=DAY.isoformat(),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    runs = SyncRun.objects.values_list("kind", "outcome")
    assert sorted(runs) == [
        ("indicator_stats", "failed"),
        ("quality_rules", "failed"),
        ("quality_stats", "failed"),
        ("upload_stats", "failed"),
    ]
    assert stored(platform) == []
    with pytest.raises(CommandError):
        call_command(
            "pull_platform", platform=platform.code, since="2023-06-30", until="2023-06-01"
        )


@needs_database_server
@pytest.mark.django_db(transaction=True)
def test_run_platform_simulator_serves_the_stored_data(city):
    connect(city.central, city.platform)
    upload(city.platform, [(DAY, "41150000001", "T1", 12, 1), (DAY, "41150000001", "T2", 3)])
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "run_platform_simulator",
            "--platform",
            city.platform.code,
            "--port",
            str(port),
            "--token",
            "t0k",
            "--faults",
            "throttle=1",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url()},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                first = requests.get(f"{base}/institutions", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert first.status_code == 429 and first.headers["Retry-After"]
        answer = requests.get(
            f"{base}/upload-stats",
            params={"date": DAY.isoformat()},
            headers={"Authorization": "Bearer t0k"},
            timeout=5,
        )
        body = answer.json()
        assert body["date"] == "2023-06-30" and body["pages"] == 1
        assert sorted((i["table_code"], i["records"]) for i in body["items"]) == [
            ("T1", 12),
            ("T2", 3),
        ]
        wrong = requests.get(
            f"{base}/institutions", headers={"Authorization": "Bearer x"}, timeout=5
        )
        assert wrong.status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)
