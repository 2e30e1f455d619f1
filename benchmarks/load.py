"""Pages under load: the institution list and the metrics API of the province's
largest city, 20 concurrent clients, measured with wrk against gunicorn on the
province database that `benchmarks.province` builds.

    python -m benchmarks.load          # after: python -m benchmarks.province

Two runs per URL: clients that send their next request as soon as the previous
answer arrives (saturation: what the 2 cores can serve), and clients that wait a
second between requests (officers reading the page). wrk reports p50/p95/p99.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import goals

URL = os.environ.get("BENCH_PROVINCE_URL", "postgres://postgres@127.0.0.1:5432/hipwatch_province")
os.environ["DATABASE_URL"] = URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
ROOT = Path(__file__).resolve().parents[1]
CLIENTS = int(os.environ.get("BENCH_CLIENTS", 20))
SECONDS = int(os.environ.get("BENCH_SECONDS", 20))
WORKERS = int(os.environ.get("BENCH_WORKERS", (os.cpu_count() or 1) + 1))  # the conf's default
THREADS = int(os.environ.get("BENCH_THREADS", 1))
PASSWORD = "bench-load-2023"

LUA = """
local think = tonumber(os.getenv("THINK_MS") or "0")
function delay() return think end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d p50=%.1f p95=%.1f p99=%.1f rps=%.1f\\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests / (summary.duration / 1e6)))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    if not shutil.which("wrk"):
        print("load benchmark skipped: no wrk (apt-get install wrk)")
        return 0
    import django

    django.setup()
    import requests
    from rest_framework.authtoken.models import Token

    from apps.accounts.models import User
    from apps.institutions.models import Institution
    from apps.regions.models import Region

    if not Region.objects.filter(code="410000").exists():
        print("load benchmark skipped: build the province first (python -m benchmarks.province)")
        return 0
    city = max(
        Region.objects.filter(level="city"),
        key=lambda c: Institution.objects.filter(region__path__startswith=c.path).count(),
    )
    size = Institution.objects.filter(region__path__startswith=city.path).count()
    user, _ = User.objects.get_or_create(
        username="bench-city", defaults={"role": User.Role.CITY, "region": city}
    )
    user.role, user.region = User.Role.CITY, city
    user.set_password(PASSWORD)
    user.save()
    token, _ = Token.objects.get_or_create(user=user)

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": URL,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        # As in production: the figures cache in Redis, shared by the workers.
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-c",
            "config/gunicorn.conf.py",
            "config.wsgi",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={
            **env,
            "WEB_BIND": f"127.0.0.1:{port}",
            "WEB_WORKERS": str(WORKERS),
            "WEB_THREADS": str(THREADS),
        },
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/login/", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.1)
        session = requests.Session()
        page = session.get(f"{base}/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
        session.post(
            f"{base}/login/",
            data={"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": csrf},
            headers={"Referer": f"{base}/login/"},
        )
        cookie = f"sessionid={session.cookies['sessionid']}"
        targets = [
            (
                "floor: a static file from the same server (WhiteNoise, no view)",
                f"{base}/static/favicon.svg",
                f"Cookie: {cookie}",
            ),
            (
                f"institution list, {city.name} ({size} institutions), 2023Q2",
                f"{base}/institutions/?platform=province&period=2023Q2",
                f"Cookie: {cookie}",
            ),
            (
                f"metrics API, {city.name} ({size} institutions), 2023Q2",
                f"{base}/api/v1/metrics/?platform=province&start=2023-04-01&end=2023-06-30",
                f"Authorization: Token {token.key}",
            ),
        ]
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(LUA)
        print(
            f"gunicorn, {WORKERS} workers × {THREADS} threads, on this machine's "
            f"{os.cpu_count()} cores; "
            f"{CLIENTS} concurrent clients, {SECONDS} s per run"
        )
        measured = {}
        for label, url, header in targets:
            first = requests.get(url, headers=dict([header.split(": ", 1)]), timeout=60)
            assert first.status_code == 200, first.status_code
            for think in (0, 1000):
                out = subprocess.run(
                    [
                        "wrk",
                        f"-t{min(CLIENTS, 4)}",
                        f"-c{CLIENTS}",
                        f"-d{SECONDS}s",
                        "--timeout",
                        "30s",
                        "-s",
                        script.name,
                        "-H",
                        header,
                        url,
                    ],
                    capture_output=True,
                    text=True,
                    env={**os.environ, "THINK_MS": str(think)},
                    check=True,
                ).stdout
                result = re.search(r"RESULT (.*)", out)[1]
                mode = "back to back" if not think else "1 s between requests"
                print(f"{label:<58} {mode:<22} {result}")
                numbers = dict(pair.split("=") for pair in result.split())
                measured[(url, think)] = float(numbers["p50"]), float(numbers["p95"])
        floor_p50 = measured[(targets[0][1], 0)][0]
        goals.record(
            "list-load",
            measured[(targets[1][1], 0)],
            floor_p50,
            "a static file, p50, back to back",
            f"province, its largest city {city.name} ({size} institutions); "
            f"gunicorn {WORKERS} × {THREADS}",
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
