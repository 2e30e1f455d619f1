"""How a message leaves the portal: email through Django's mail API, and the WeCom
and DingTalk group robots through their webhooks. Each raises DeliveryError on any
failure (refused, HTTP error, timeout, non-zero errcode) so the caller can retry."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse

import requests
from django.conf import settings
from django.core.mail import send_mail


class DeliveryError(Exception):
    pass


def send_email(*, to: str, subject: str, body: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
    except Exception as exc:  # smtplib, socket and backend errors alike
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """The webhook URL with DingTalk's `timestamp` and `sign`: the base64 HMAC-SHA256,
    keyed by the secret, of "timestamp\\nsecret", URL-encoded."""
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp}&sign={sign}"


def post_robot(*, url: str, content: str, secret: str = "") -> None:
    """Post a text message to a WeCom or DingTalk group robot; both take the same
    body and both answer {"errcode": 0, ...} when they accept it."""
    if secret:
        url = dingtalk_signed_url(url, secret)
    timeout = settings.HIPWATCH_ALERTS["timeout"]
    try:
        response = requests.post(
            url, json={"msgtype": "text", "text": {"content": content}}, timeout=timeout
        )
    except requests.RequestException as exc:
        # The webhook's query holds its key: keep it out of the log.
        query = urllib.parse.urlsplit(url).query
        message = str(exc).replace(query, "…") if query else str(exc)
        raise DeliveryError(f"{type(exc).__name__}: {message}") from exc
    if response.status_code != 200:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")
    try:
        answer = response.json()
    except ValueError as exc:
        raise DeliveryError(f"not JSON: {response.text[:200]}") from exc
    if not isinstance(answer, dict) or answer.get("errcode") != 0:
        raise DeliveryError(f"refused: {response.text[:200]}")
