"""The simulator's data published as the other kinds of source do it: a vendor's
database (an upload log with its own column names, one row per record batch, so
the query must aggregate; daily indicator and quality tables; the rules; the
institutions) and a folder of daily files. For development, the demo and the
tests of `sql_source` and `file_source`; `VENDOR_QUERIES` are the queries an
officer would write against this schema."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import sqlalchemy as sa

from .simulator import SimulatorData

metadata = sa.MetaData()
# A row id: BIGINT, but INTEGER on SQLite (the only type it numbers by itself).
ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
# 数据上传日志: one row per batch a front-end server sent; 校验结果 '1' accepted, '0' refused.
UPLOAD_LOG = sa.Table(
    "sjsc_rz",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("jgdm", sa.String(32), nullable=False),  # 机构代码
    sa.Column("bm", sa.String(64), nullable=False),  # 表名
    sa.Column("scrq", sa.Date, nullable=False),  # 上传日期 (the log's partition key)
    sa.Column("scsj", sa.DateTime, nullable=False),  # 上传时间
    sa.Column("jls", sa.BigInteger, nullable=False),  # 记录数
    sa.Column("jyjg", sa.String(1), nullable=False),  # 校验结果
)
INDICATORS = sa.Table(
    "ywzb_rtj",  # 业务指标日统计
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("jgdm", sa.String(32), nullable=False),
    sa.Column("zbdm", sa.String(64), nullable=False),  # 指标代码
    sa.Column("tjrq", sa.Date, nullable=False),  # 统计日期
    sa.Column("zbz", sa.BigInteger, nullable=False),  # 指标值
)
QUALITY = sa.Table(
    "zlkz_jg",  # 质控结果
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("jgdm", sa.String(32), nullable=False),
    sa.Column("gzdm", sa.String(64), nullable=False),  # 规则代码
    sa.Column("jcrq", sa.Date, nullable=False),  # 检查日期
    sa.Column("jcs", sa.BigInteger, nullable=False),  # 检查数
    sa.Column("btgs", sa.BigInteger, nullable=False),  # 不通过数
)
RULES = sa.Table(
    "zlkz_gz",  # 质控规则
    metadata,
    sa.Column("gzdm", sa.String(64), primary_key=True),
    sa.Column("gzmc", sa.String(128), nullable=False),
    sa.Column("wd", sa.String(16), nullable=False),  # 维度
    sa.Column("bm", sa.String(64), nullable=True),
    sa.Column("sm", sa.String(500), nullable=False),
)
INSTITUTIONS = sa.Table(
    "jg_lt",  # 机构联通
    metadata,
    sa.Column("jgdm", sa.String(32), primary_key=True),
    sa.Column("jgmc", sa.String(128), nullable=False),
    sa.Column("ltzt", sa.String(16), nullable=False),  # 联通状态
    sa.Column("ltrq", sa.Date, nullable=True),  # 联通日期
    sa.Column("qzjxt", sa.DateTime, nullable=True),  # 前置机心跳
)

VENDOR_QUERIES = {
    "uploads": (
        "SELECT scrq AS date, jgdm AS org_code, bm AS table_code, "
        "SUM(CASE WHEN jyjg = '1' THEN jls ELSE 0 END) AS records, "
        "SUM(CASE WHEN jyjg = '0' THEN jls ELSE 0 END) AS rejected "
        "FROM sjsc_rz WHERE scrq BETWEEN :start AND :end "
        "GROUP BY scrq, jgdm, bm"
    ),
    "indicators": (
        "SELECT tjrq AS date, jgdm AS org_code, zbdm AS indicator, zbz AS value "
        "FROM ywzb_rtj WHERE tjrq BETWEEN :start AND :end"
    ),
    "quality": (
        "SELECT jcrq AS date, jgdm AS org_code, gzdm AS rule, jcs AS checked, btgs AS failed "
        "FROM zlkz_jg WHERE jcrq BETWEEN :start AND :end"
    ),
    "quality_rules": (
        "SELECT gzdm AS code, gzmc AS name, wd AS dimension, bm AS table_code, "
        "sm AS description FROM zlkz_gz"
    ),
    "institutions": (
        "SELECT jgdm AS org_code, jgmc AS name, ltzt AS status, ltrq AS connected_since, "
        "qzjxt AS front_server_last_seen FROM jg_lt"
    ),
}


def _batches(records: int) -> list[int]:
    """A day's accepted records as the front-end server sent them: in up to three
    batches (at least one, of 0 where nothing was accepted but rows were refused)."""
    if records < 3:
        return [records]
    third = records // 3
    return [third, third, records - 2 * third]


def publish_sql(data: SimulatorData, url: str) -> None:
    """Write `data` into the vendor's tables at `url` (created afresh)."""
    engine = sa.create_engine(url)
    try:
        metadata.drop_all(engine)
        metadata.create_all(engine)
        with engine.begin() as connection:
            log = []
            for day, items in sorted(data.days.items()):
                for n, item in enumerate(items):
                    at = dt.datetime.combine(day, dt.time(8)) + dt.timedelta(seconds=n)
                    for b, records in enumerate(_batches(item["records"])):
                        log.append(
                            {
                                "jgdm": item["org_code"],
                                "bm": item["table_code"],
                                "scrq": day,
                                "scsj": at + dt.timedelta(hours=4 * b),
                                "jls": records,
                                "jyjg": "1",
                            }
                        )
                    if item["rejected"]:
                        log.append(
                            {
                                "jgdm": item["org_code"],
                                "bm": item["table_code"],
                                "scrq": day,
                                "scsj": at + dt.timedelta(hours=15, minutes=59),
                                "jls": item["rejected"],
                                "jyjg": "0",
                            }
                        )
            _insert(connection, UPLOAD_LOG, log)
            _insert(
                connection,
                INDICATORS,
                [
                    {"jgdm": i["org_code"], "zbdm": i["indicator"], "tjrq": day, "zbz": i["value"]}
                    for day, items in sorted(data.indicators.items())
                    for i in items
                ],
            )
            _insert(
                connection,
                QUALITY,
                [
                    {
                        "jgdm": i["org_code"],
                        "gzdm": i["rule"],
                        "jcrq": day,
                        "jcs": i["checked"],
                        "btgs": i["failed"],
                    }
                    for day, items in sorted(data.quality.items())
                    for i in items
                ],
            )
            _insert(
                connection,
                RULES,
                [
                    {
                        "gzdm": r["code"],
                        "gzmc": r["name"],
                        "wd": r["dimension"],
                        "bm": r.get("table_code"),
                        "sm": r.get("description") or "",
                    }
                    for r in data.quality_rules
                ],
            )
            _insert(
                connection,
                INSTITUTIONS,
                [
                    {
                        "jgdm": i["org_code"],
                        "jgmc": i["name"],
                        "ltzt": i["status"],
                        "ltrq": dt.date.fromisoformat(i["connected_since"])
                        if i.get("connected_since")
                        else None,
                        "qzjxt": None,
                    }
                    for i in data.institutions
                ],
            )
    finally:
        engine.dispose()


def _insert(connection, table: sa.Table, rows: list[dict]) -> None:
    for start in range(0, len(rows), 5000):
        connection.execute(table.insert(), rows[start : start + 5000])


FILE_HEADERS = {
    "uploads": ("日期", "机构代码", "表代码", "上传记录数", "校验未通过数"),
    "indicators": ("日期", "机构代码", "指标代码", "数值"),
    "quality": ("日期", "机构代码", "规则代码", "检查数", "不通过数"),
}
_FIELDS = {
    "uploads": ("org_code", "table_code", "records", "rejected"),
    "indicators": ("org_code", "indicator", "value"),
    "quality": ("org_code", "rule", "checked", "failed"),
}


def day_file(kind: str, day: dt.date, items: list[dict]) -> bytes:
    """A day's file of one kind as a platform writes it (CSV, UTF-8 with BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FILE_HEADERS[kind])
    for item in items:
        writer.writerow([day.isoformat(), *(item[f] for f in _FIELDS[kind])])
    return ("\ufeff" + out.getvalue()).encode()


def publish_files(data: SimulatorData, folder: str | Path, *, companions: bool = True) -> int:
    """Write `data` into `folder` as daily files (`<kind>-YYYY-MM-DD.csv`), each
    with its `.ok` companion unless `companions` is False. Returns the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for kind, days in (
        ("uploads", data.days),
        ("indicators", data.indicators),
        ("quality", data.quality),
    ):
        for day, items in sorted(days.items()):
            path = folder / f"{kind}-{day.isoformat()}.csv"
            path.write_bytes(day_file(kind, day, items))
            if companions:
                (folder / f"{path.name}.ok").write_bytes(b"")
            written += 1
    return written
