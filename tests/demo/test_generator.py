"""The demo data generator reproduces the bulletin's attachment exactly.

Plain pytest, no database: run with ``pytest tests/demo -p no:django``.
"""

import csv
import datetime
import hashlib
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from apps.demo import generator as g

DATA = Path(g.__file__).resolve().parent / "data"
START, END = datetime.date(2023, 4, 1), datetime.date(2023, 6, 30)
NO_DATA_REMARKS = {"未上传数据", "未联通", "已联通省全民健康信息平台"}


def read(name):
    with open(DATA / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def attachment():
    return g.load_attachment(DATA / "attachment.csv")


@pytest.fixture(scope="module")
def table_codes():
    return g.load_table_codes(DATA / "tables-51.csv")


@pytest.fixture(scope="module")
def targets(attachment):
    return g.targets_from_attachment(attachment)


@pytest.fixture(scope="module")
def rows(targets, table_codes):
    return g.generate_uploads(targets, table_codes, START, END)


@pytest.fixture(scope="module")
def by_org(rows):
    out = defaultdict(list)
    for row in rows:
        out[row[1]].append(row)
    return out


# --- registry files -------------------------------------------------------


def test_catalogue_has_51_unique_tables(table_codes):
    assert len(table_codes) == 51
    assert len(set(table_codes)) == 51


def test_regions_file():
    regions = read("regions.csv")
    assert list(regions[0]) == ["code", "name", "level", "parent_code"]
    by_code = {r["code"]: r for r in regions}
    assert len(by_code) == len(regions) == 12
    assert by_code["410000"] == {
        "code": "410000",
        "name": "河南省",
        "level": "province",
        "parent_code": "",
    }
    assert by_code["411500"]["parent_code"] == "410000"
    assert by_code["411500"]["level"] == "city"
    counties = [r for r in regions if r["level"] == "county"]
    assert len(counties) == 10
    assert all(r["parent_code"] == "411500" for r in counties)
    assert by_code["411502"]["name"] == "浉河区"
    assert by_code["411528"]["name"] == "息县"


def test_institutions_file():
    institutions = read("institutions.csv")
    assert list(institutions[0]) == ["org_code", "name", "region_code", "category", "grade"]
    assert len(institutions) == 41
    codes = [i["org_code"] for i in institutions]
    assert len(set(codes)) == 41
    assert len({i["name"] for i in institutions}) == 41
    region_codes = {r["code"] for r in read("regions.csv")}
    categories = {
        "综合医院",
        "中医医院",
        "中西医结合医院",
        "妇幼保健院",
        "精神病医院",
        "传染病医院",
        "专科医院",
    }
    grades = {"三级甲等", "三级乙等", "三级", "二级甲等", "二级乙等", "二级"}
    for inst in institutions:
        assert inst["region_code"] in region_codes
        assert inst["org_code"].startswith(inst["region_code"])
        assert len(inst["org_code"]) == 11 and inst["org_code"].isdigit()
        assert inst["category"] in categories
        assert inst["grade"] in grades
    by_name = {i["name"]: i for i in institutions}
    assert by_name["信阳市中心医院"]["org_code"] == "41150000001"
    assert by_name["信阳市人民医院"]["org_code"] == "41150000002"
    assert by_name["信阳市第三人民医院"]["org_code"] == "41150200001"
    assert by_name["信阳市第五人民医院"]["category"] == "传染病医院"


def test_attachment_matches_institutions_order(attachment):
    institutions = read("institutions.csv")
    assert [int(r["seq"]) for r in attachment] == list(range(1, 42))
    assert [r["name"] for r in attachment] == [i["name"] for i in institutions]
    assert all(r["region"] for r in attachment)
    assert {r["remark"] for r in attachment} <= {""} | NO_DATA_REMARKS
    for r in attachment:
        has_data = bool(r["records"])
        assert has_data == (r["remark"] == "")
        assert has_data == bool(r["tables_uploaded"]) == bool(r["last_upload_date"])
    first = attachment[0]
    fields = ("name", "tables_uploaded", "records", "last_upload_date")
    assert tuple(first[f] for f in fields) == ("信阳市中心医院", "30", "7131933", "2023-06-22")
    assert sum(r["remark"] == "未联通" for r in attachment) == 6
    assert sum(r["remark"] == "未上传数据" for r in attachment) == 14
    assert sum(r["remark"] == "已联通省全民健康信息平台" for r in attachment) == 3


def test_targets(targets):
    assert len(targets) == 18
    assert sum(t.records for t in targets) == sum(
        int(r["records"]) for r in read("attachment.csv") if r["records"]
    )


# --- generated uploads ----------------------------------------------------


def test_every_hospital_with_data_matches_attachment(attachment, by_org, table_codes):
    catalogue = set(table_codes)
    checked = 0
    for row in attachment:
        if not row["records"]:
            continue
        got = by_org[row["org_code"]]
        assert got, row["name"]
        tables = {r[2] for r in got if r[3] > 0}
        assert tables <= catalogue
        assert len(tables) == int(row["tables_uploaded"]), row["name"]
        assert sum(r[3] for r in got) == int(row["records"]), row["name"]
        last = datetime.date.fromisoformat(row["last_upload_date"])
        assert max(r[0] for r in got if r[3] > 0) == last, row["name"]
        assert all(START <= r[0] <= last for r in got), row["name"]
        checked += 1
    assert checked == 18


def test_hospitals_without_data_get_no_rows(attachment, by_org):
    silent = [r for r in attachment if r["remark"] in NO_DATA_REMARKS]
    assert len(silent) == 23
    for r in silent:
        assert r["org_code"] not in by_org, r["name"]


def test_no_zero_rows_and_unique_keys(rows):
    assert all(r[3] >= 1 for r in rows)
    keys = [(r[0], r[1], r[2]) for r in rows]
    assert len(keys) == len(set(keys))
    assert len(rows) < 60_000


def test_rejected_is_small(rows):
    for _day, _org, _table, records, rejected in rows:
        assert isinstance(rejected, int) and rejected >= 0
        assert rejected <= records * 0.02
        if records < 20:
            assert rejected == 0


def test_deterministic(targets, table_codes, rows):
    assert g.generate_uploads(targets, table_codes, START, END) == rows
    assert g.generate_uploads(targets, table_codes, START, END, seed=7) != rows


def test_independent_of_hash_seed(rows):
    def digest(hashseed):
        code = (
            "import hashlib; from apps.demo import generator as g; "
            "print(hashlib.sha256(repr(g.demo_uploads()).encode()).hexdigest())"
        )
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        return out.stdout.strip()

    here = hashlib.sha256(repr(rows).encode()).hexdigest()
    assert digest("1") == digest("12345") == here


def test_large_senders_upload_most_days(targets, by_org):
    for t in targets:
        days = {r[0] for r in by_org[t.org_code]}
        span = (t.last_upload_date - START).days + 1
        if t.records >= 100_000:
            assert len(days) >= span * 0.8, t.org_code
        if t.records >= 500_000 and t.last_upload_date == END:
            interruption = (END - START).days + 1 - len(days)
            assert interruption <= 7, t.org_code  # continuity 良好
        if t.records < 100_000:
            assert len(days) <= 12, t.org_code


def test_records_split_unevenly(targets, by_org):
    for t in targets:
        if t.records < 100_000:
            continue
        per_table = Counter()
        for r in by_org[t.org_code]:
            per_table[r[2]] += r[3]
        biggest, smallest = max(per_table.values()), min(per_table.values())
        assert biggest > 10 * smallest, t.org_code


def test_small_sender_example(by_org):
    got = by_org["41150200001"]  # 信阳市第三人民医院: 1 table, 4 records, 2023-04-29
    assert sum(r[3] for r in got) == 4
    assert len({r[2] for r in got}) == 1
    assert max(r[0] for r in got) == datetime.date(2023, 4, 29)


def test_rejects_impossible_targets(table_codes):
    day = datetime.date(2023, 5, 1)
    with pytest.raises(ValueError):
        g.generate_uploads([g.Target("1", 3, 2, day)], table_codes, START, END)
    with pytest.raises(ValueError):
        g.generate_uploads([g.Target("1", 52, 10**6, day)], table_codes, START, END)
    with pytest.raises(ValueError):
        late = datetime.date(2023, 7, 1)
        g.generate_uploads([g.Target("1", 1, 5, late)], table_codes, START, END)


def test_write_uploads_csv(rows, tmp_path):
    path = tmp_path / "uploads.csv"
    g.write_uploads_csv(rows[:50], path)
    with open(path, encoding="utf-8", newline="") as fh:
        read_back = list(csv.reader(fh))
    assert read_back[0] == ["date", "org_code", "table_code", "records", "rejected"]
    assert len(read_back) == 51
    d, org, table, records, rejected = rows[0]
    assert read_back[1] == [d.isoformat(), org, table, str(records), str(rejected)]


def test_project_does_not_read_shared():
    source = Path(g.__file__).read_text(encoding="utf-8")
    assert "shared" not in source
