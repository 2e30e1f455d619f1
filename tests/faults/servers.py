"""Real processes for the fault tests: the portal under gunicorn and a private
redis-server, each on a free loopback port, on the test database. The machine's
shared PostgreSQL and Redis are never stopped: a test breaks only what it started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from django.conf import settings
from django.test import Client

from tests.processes import database_url, free_port

ROOT = Path(__file__).resolve().parents[2]


def wait_for(ready, timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Process:
    """A child process whose output goes to a file, shown when a test fails."""

    def __init__(self, args: list[str], env: dict, log: Path):
        self.log = log
        self.handle = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )

    def kill(self) -> None:
        if self.handle.poll() is None:
            self.handle.send_signal(signal.SIGKILL)
            self.handle.wait(timeout=10)

    def stop(self) -> None:
        if self.handle.poll() is None:
            self.handle.terminate()
            try:
                self.handle.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        print(self.log.read_text(errors="replace"))


def child_env(**extra: str) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url(), **extra}
    if "REDIS_URL" not in extra:
        env.pop("REDIS_URL", None)
    return env


class Redis:
    """A redis-server of the test's own, to stop and start again at will."""

    def __init__(self, tmp: Path):
        self.port, self.tmp, self.process = free_port(), tmp, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.tmp)]
        self.process = Process(args, dict(os.environ), self.tmp / f"redis-{time.time()}.log")
        wait_for(self.answers, what="redis-server")

    def answers(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def kill(self) -> None:
        self.process.kill()

    def stop(self) -> None:
        if self.process:
            self.process.stop()


class Web:
    """The portal under gunicorn (one worker, as in production), on the test database."""

    def __init__(self, tmp: Path, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
        args += ["--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--timeout", "60"]
        self.process = Process(args, child_env(**env), tmp / f"gunicorn-{self.port}.log")
        wait_for(self._up, timeout=60, what="gunicorn")

    def _up(self) -> bool:
        try:
            requests.get(f"{self.url}/login/", timeout=1)
        except requests.RequestException:
            return False
        return True

    def session_of(self, user) -> requests.Session:
        """A browser session logged in as `user` (the session row is in the test database)."""
        client = Client()
        client.force_login(user)
        session = requests.Session()
        session.cookies.set(
            settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value
        )
        return session

    def stop(self) -> None:
        self.process.stop()


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
