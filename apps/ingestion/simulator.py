"""A platform simulator: a real HTTP server speaking platform-api.md
(/institutions, /upload-stats, /indicator-stats, /quality-rules, /quality-stats), for development, demos and the
ingestion tests. It serves a `SimulatorData` (the truth) and can misbehave on request: slow answers, 429/503 with Retry-After,
dropped connections, revisions, malformed items and unknown codes."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@dataclass
class Faults:
    slow: float = 0.0  # seconds before every answer
    throttle: int = 0  # the first N requests answer 429
    unavailable: int = 0  # the next N answer 503 (still computing)
    server_error: int = 0  # the next N answer 500
    drop: int = 0  # the next N requests: connection closed without an answer
    retry_after: int = 1  # seconds, in the Retry-After of 429 and 503
    malformed: int = 0  # extra malformed items on the first page of every day
    unknown: int = 0  # extra items of unknown institutions on every day
    unknown_rules: int = 0  # extra quality items of rules /quality-rules does not list
    revise: bool = False  # every request of a day republishes it (new generated_at)
    page_size: int = 100
    fail_after: int = 0  # every request after the N-th answers 503 (0: never)


@dataclass
class SimulatorData:
    """The truth the simulator serves: institutions and, per day, the upload items
    (`days`) and the indicator items (`indicators`), both stamped with the day's
    `generated_at`."""

    institutions: list[dict] = field(default_factory=list)
    days: dict[dt.date, list[dict]] = field(default_factory=dict)
    generated_at: dict[dt.date, dt.datetime] = field(default_factory=dict)
    indicators: dict[dt.date, list[dict]] = field(default_factory=dict)
    quality_rules: list[dict] = field(default_factory=list)
    quality: dict[dt.date, list[dict]] = field(default_factory=dict)

    def stamp(self, day: dt.date) -> dt.datetime:
        if day not in self.generated_at:
            base = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(1, 5), SHANGHAI)
            self.generated_at[day] = base
        return self.generated_at[day]

    def revise(self, day: dt.date) -> None:
        """Republish a day: a later generated_at, one more record per upload item
        and one more per indicator value."""
        self.generated_at[day] = self.stamp(day) + dt.timedelta(hours=1)
        for item in self.days.get(day, []):
            item["records"] += 1
        for item in self.indicators.get(day, []):
            item["value"] += 1
        for item in self.quality.get(day, []):
            item["checked"] += 1


class Simulator:
    def __init__(self, data: SimulatorData, faults: Faults | None = None, token: str = "secret"):
        self.data, self.faults, self.token = data, faults or Faults(), token
        self.requests = 0
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    # What the next request gets; counters are consumed under the lock.
    def _fault(self) -> str | None:
        with self.lock:
            self.requests += 1
            f = self.faults
            if f.fail_after and self.requests > f.fail_after:
                return "unavailable"
            for name in ("throttle", "unavailable", "server_error", "drop"):
                if getattr(f, name) > 0:
                    setattr(f, name, getattr(f, name) - 1)
                    return name
        return None

    def upload_page(self, day: dt.date, page: int) -> dict:
        unknown = [
            {"org_code": f"UNKNOWN{n:05d}", "table_code": "T_UNKNOWN", "records": 5, "rejected": 0}
            for n in range(self.faults.unknown)
        ]
        malformed = [
            {"org_code": "41150000001", "table_code": "T1", "records": -3, "rejected": 0},
            {"org_code": "41150000001", "records": "many"},
            "not an object",
        ]
        return self._page(day, page, self.data.days.get(day, []), unknown, malformed)

    def indicator_page(self, day: dt.date, page: int) -> dict:
        unknown = [
            {"org_code": f"UNKNOWN{n:05d}", "indicator": "outpatient_visits", "value": 5}
            for n in range(self.faults.unknown)
        ]
        malformed = [
            {"org_code": "41150000001", "indicator": "outpatient_visits", "value": -3},
            {"org_code": "41150000001", "indicator": "Not A Code", "value": 1},
            "not an object",
        ]
        return self._page(day, page, self.data.indicators.get(day, []), unknown, malformed)

    def quality_page(self, day: dt.date, page: int) -> dict:
        unknown = [
            {"org_code": f"UNKNOWN{n:05d}", "rule": "R_KNOWN", "checked": 5, "failed": 0}
            for n in range(self.faults.unknown)
        ]
        if self.data.quality_rules:
            for item in unknown:
                item["rule"] = self.data.quality_rules[0]["code"]
        unknown += [
            {"org_code": "41150000001", "rule": f"UNLISTED_{n}", "checked": 9, "failed": 1}
            for n in range(self.faults.unknown_rules)
        ]
        malformed = [
            {"org_code": "41150000001", "rule": "R_ANY", "checked": 3, "failed": 4},
            {"org_code": "41150000001", "rule": "Not A Code", "checked": 1, "failed": 0},
            "not an object",
        ]
        return self._page(day, page, self.data.quality.get(day, []), unknown, malformed)

    def quality_rules_page(self, page: int) -> dict:
        size = self.faults.page_size
        items = [dict(r) for r in self.data.quality_rules]
        pages = max(1, (len(items) + size - 1) // size)
        chunk = items[(page - 1) * size : page * size]
        if page == 1:
            chunk += [
                {"code": "R_BAD_DIM", "name": "维度不明", "dimension": "beauty"},
                {"code": "bad code", "name": "代码不合规", "dimension": "completeness"},
                "not an object",
            ][: self.faults.malformed]
        return {
            "generated_at": dt.datetime.now(SHANGHAI).replace(microsecond=0).isoformat(),
            "page": page,
            "pages": pages,
            "items": chunk,
        }

    def _page(self, day, page: int, items: list, unknown: list, malformed: list) -> dict:
        size = self.faults.page_size
        pages = (len(items) + len(unknown) + size - 1) // size
        start, end = (page - 1) * size, page * size
        chunk = [dict(item) for item in items[start:end]]
        chunk += unknown[max(start - len(items), 0) : max(end - len(items), 0)]
        if page == 1:
            chunk += malformed[: self.faults.malformed]
        return {
            "date": day.isoformat(),
            "generated_at": self.data.stamp(day).isoformat(),
            "page": page,
            "pages": pages,
            "items": chunk,
        }

    def institutions_page(self, page: int) -> dict:
        size = self.faults.page_size
        items = self.data.institutions
        pages = (len(items) + size - 1) // size
        stamp = dt.datetime.now(SHANGHAI).replace(microsecond=0)
        return {
            "generated_at": stamp.isoformat(),
            "page": page,
            "pages": pages,
            "items": items[(page - 1) * size : page * size],
        }

    def handler(self):
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _json(self, status: int, body: dict, headers: dict | None = None):
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if simulator.faults.slow:
                    time.sleep(simulator.faults.slow)
                fault = simulator._fault()
                retry = {"Retry-After": str(simulator.faults.retry_after)}
                if fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if fault == "throttle":
                    return self._json(429, {"error": "too many requests"}, retry)
                if fault == "unavailable":
                    return self._json(503, {"error": "still computing"}, retry)
                if fault == "server_error":
                    return self._json(500, {"error": "internal error"})
                if self.headers.get("Authorization") != f"Bearer {simulator.token}":
                    return self._json(401, {"error": "bad token"})
                url = urlparse(self.path)
                query = parse_qs(url.query)
                try:
                    page = int(query.get("page", ["1"])[0])
                except ValueError:
                    return self._json(400, {"error": "bad page"})
                path = url.path.rstrip("/").rsplit("/", 1)[-1]
                if path == "institutions":
                    return self._json(200, simulator.institutions_page(page))
                if path == "quality-rules":
                    return self._json(200, simulator.quality_rules_page(page))
                daily = {
                    "upload-stats": (simulator.data.days, simulator.upload_page),
                    "indicator-stats": (simulator.data.indicators, simulator.indicator_page),
                    "quality-stats": (simulator.data.quality, simulator.quality_page),
                }
                if path in daily:
                    try:
                        day = dt.date.fromisoformat(query["date"][0])
                    except (KeyError, ValueError):
                        return self._json(400, {"error": "bad date"})
                    served, page_of = daily[path]
                    if day not in served:
                        return self._json(404, {"error": "no statistics for that day"})
                    if simulator.faults.revise and page == 1:
                        simulator.data.revise(day)
                    return self._json(200, page_of(day, page))
                return self._json(404, {"error": "unknown path"})

        return Handler

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a background thread; returns the base URL."""
        self.server = ThreadingHTTPServer((host, port), self.handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://{host}:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


def data_from_database(platform) -> SimulatorData:
    """The statistics and connections stored for a platform (e.g. the demo's), as
    the truth a simulator serves."""
    from apps.indicators.models import DailyIndicator
    from apps.platforms.models import Connection
    from apps.quality.models import DailyQuality, QualityRule
    from apps.uploads.models import DailyUpload

    data = SimulatorData()
    for code, table, day, records, rejected in (
        DailyUpload.objects.filter(platform=platform)
        .values_list("institution__org_code", "table_code", "day", "records", "rejected")
        .order_by("day", "institution__org_code", "table_code")
    ):
        data.days.setdefault(day, []).append(
            {"org_code": code, "table_code": table, "records": records, "rejected": rejected}
        )
    for code, indicator, day, value in (
        DailyIndicator.objects.filter(platform=platform)
        .values_list("institution__org_code", "indicator__code", "day", "value")
        .order_by("day", "institution__org_code", "indicator__position", "indicator__code")
    ):
        data.indicators.setdefault(day, []).append(
            {"org_code": code, "indicator": indicator, "value": value}
        )
    for rule in QualityRule.objects.filter(platform=platform).order_by("code"):
        data.quality_rules.append(
            {
                "code": rule.code,
                "name": rule.name,
                "dimension": rule.dimension,
                "table_code": rule.table_code or None,
                "description": rule.description,
            }
        )
    for code, rule, day, checked, failed in (
        DailyQuality.objects.filter(platform=platform)
        .values_list("institution__org_code", "rule__code", "day", "checked", "failed")
        .order_by("day", "institution__org_code", "rule__code")
    ):
        data.quality.setdefault(day, []).append(
            {"org_code": code, "rule": rule, "checked": checked, "failed": failed}
        )
    for connection in Connection.objects.filter(platform=platform).select_related("institution"):
        last = connection.front_server_last_seen
        data.institutions.append(
            {
                "org_code": connection.institution.org_code,
                "name": connection.institution.name,
                "status": connection.status,
                "connected_since": None,
                "front_server_last_seen": last.isoformat() if last else None,
            }
        )
    return data
