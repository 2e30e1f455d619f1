"""Property-based tests of the importers: arbitrary rows (good and bad values,
Chinese and other unicode, whitespace, control characters, huge and negative
numbers, bad dates, unknown codes, repeated keys, missing columns), as CSV in
UTF-8, UTF-8 with BOM or GB18030, or as XLSX, through the real import services.

Whatever the file, either it is stored exactly (the database then holds exactly the
rows given, normalized the way the importer documents: cells trimmed, levels and
numbers parsed) or it is refused with reasons naming the rows, and the database is
unchanged: never half-stored. Each example runs in a savepoint rolled back after it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import string

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from apps.core.tabular import MAX_COUNT, FileRefused
from apps.institutions.models import Institution
from apps.institutions.services import INSTITUTION_COLUMNS, institutions_import
from apps.platforms.models import (
    CatalogueTable,
    Connection,
    ConnectionChange,
    ConnectionStatus,
    TableEdition,
    status_on,
)
from apps.platforms.services import (
    TABLE_COLUMNS,
    CommandRefused,
    connections_set_status,
    tables_import,
)
from apps.regions.models import Region
from apps.regions.services import LEVEL_WORDS, REGION_COLUMNS, regions_import
from apps.uploads.models import DailyTotal, DailyUpload, MonthlyTableTotal
from apps.uploads.services import UPLOAD_COLUMNS, uploads_import
from tests.conftest import upload
from tests.simulated import assert_rollups_match

pytestmark = pytest.mark.django_db

PROPERTY = settings(
    max_examples=80,
    database=None,  # nothing written into the working tree
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ROW_REASON = re.compile(r"第 \d+ 行|Row \d+")


class _Rollback(Exception):
    pass


def in_savepoint(check) -> None:
    """Run one example and undo whatever it wrote, so the next starts from the same state."""
    try:
        with transaction.atomic():
            check()
            raise _Rollback
    except _Rollback:
        pass


# --- values -----------------------------------------------------------------------

chinese = st.text(
    alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=12
)
anything = st.text(max_size=12)  # any unicode: control characters, surrogates excluded
padded = st.builds(
    lambda pre, core, post: pre + core + post,
    st.sampled_from(["", " ", "\t", "\u3000", "  "]),
    chinese,
    st.sampled_from(["", " ", "\u3000"]),
)
names = st.one_of(chinese, padded, anything, st.text(min_size=60, max_size=140), st.just(""))
counts = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(str),
    st.integers(min_value=0, max_value=10**7).map(lambda n: f"{n:,}"),
    st.integers(min_value=-(10**6), max_value=-1).map(str),
    st.integers(min_value=MAX_COUNT - 2, max_value=10**25).map(str),  # around the cap
    st.sampled_from(["", "1.5", "3e4", "²", "١٢", "０", "many", " 7 "]),
    anything,
)
valid_days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2026, 12, 31))
days = st.one_of(
    valid_days.map(lambda d: d.isoformat()),
    valid_days.map(lambda d: d.strftime("%Y/%m/%d")),
    valid_days.map(lambda d: d.strftime("%Y%m%d")),
    st.sampled_from(["2023-02-30", "2023-13-01", "30/06/2023", "", "昨天", "2023-6-31"]),
    anything,
)


# --- files ------------------------------------------------------------------------


@st.composite
def files(draw, columns: dict[str, list[str]], cells: dict[str, st.SearchStrategy], good_rows):
    """(bytes, the rows as written): a header in English or Chinese, maybe a column
    missing or an unknown one added, and rows that are good (`good_rows`), good but
    for one row drawn from `cells`, or all drawn from `cells`; as CSV or XLSX."""
    chinese_header = draw(st.booleans())
    header = [
        aliases[0] if chinese_header and aliases else name for name, aliases in columns.items()
    ]
    any_row = st.tuples(*(cells[n] for n in columns)).map(list)
    mode = draw(st.sampled_from(["good", "one bad row", "any"]))
    if mode == "any":
        rows = draw(st.lists(any_row, max_size=8))
    else:
        rows = [list(r) for r in draw(good_rows)]
    if mode == "one bad row":
        rows.insert(draw(st.integers(min_value=0, max_value=len(rows))), draw(any_row))
    damage = draw(st.sampled_from(["none"] * 8 + ["drop", "unknown"]))
    if damage == "drop":
        gone = draw(st.integers(min_value=0, max_value=len(header) - 1))
        header.pop(gone)
        for r in rows:
            r.pop(gone)
    elif damage == "unknown":
        header.append(draw(st.sampled_from(["备注", "note", "x"])))
        for r in rows:
            r.append("")
    how = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "xlsx"]))
    if how == "xlsx":
        rows = [[ILLEGAL_CHARACTERS_RE.sub("", c) for c in r] for r in rows]
        return xlsx(header, rows), rows
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    text = buffer.getvalue()
    if how == "gb18030":
        try:
            raw = text.encode("gb18030")
            # Bytes that also read as UTF-8 are read as UTF-8: not what this file means.
            raw.decode("utf-8")
        except UnicodeEncodeError:
            return text.encode("utf-8"), rows
        except UnicodeDecodeError:
            return raw, rows
        return text.encode("utf-8"), rows
    return text.encode(how), rows


def xlsx(header, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # "=…" is text here, not a formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def data_rows(rows):
    """The rows the importer reads: blank rows are skipped."""
    return [r for r in rows if any(c.strip() for c in r)]


def assert_refused_properly(refused: FileRefused, allowed=()) -> None:
    assert refused.problems
    for problem in refused.problems:
        assert ROW_REASON.search(problem) or any(a in problem for a in allowed), problem


def snapshot(*models):
    return [sorted(map(repr, m.objects.values_list())) for m in models]


# --- regions ----------------------------------------------------------------------

EXISTING_REGIONS = ["410000", "411500", "411526", "411522"]
region_codes = st.one_of(
    st.sampled_from(EXISTING_REGIONS),
    st.sampled_from(["411501", "411502", "411503", "411504"]),
    st.text(alphabet=string.digits, min_size=5, max_size=7),
    anything,
)
region_cells = {
    "code": region_codes,
    "name": names,
    "level": st.one_of(
        st.sampled_from(sorted(LEVEL_WORDS)), st.sampled_from(["Town", " 市 ", "乡"])
    ),
    "parent_code": st.one_of(st.just(""), region_codes),
}


good_names = st.one_of(chinese, padded)
good_regions = st.lists(
    st.one_of(
        st.tuples(
            st.integers(min_value=1, max_value=99).map(lambda n: f"4115{n:02d}"),
            good_names,
            st.sampled_from(["county", "县", "区", "County", " 县区 "]),
            st.just("411500"),
        ),
        st.tuples(
            st.integers(min_value=1, max_value=99).map(lambda n: f"4116{n:02d}"),
            good_names,
            st.sampled_from(["city", "市"]),
            st.just("410000"),
        ),
    ),
    max_size=6,
    unique_by=lambda r: r[0],
)


def assert_tree_consistent():
    regions = {r.code: r for r in Region.objects.all()}
    rank = {"province": 0, "city": 1, "county": 2}
    for region in regions.values():
        parent = regions.get(region.parent_id)
        assert region.path == (parent.path if parent else "") + region.code + "/"
        if parent:
            assert rank[parent.level] < rank[region.level], (parent, region)


@PROPERTY
@given(file=files(REGION_COLUMNS, region_cells, good_regions))
def test_a_regions_file_is_stored_exactly_or_refused_whole(city, file):
    raw, rows = file

    def check():
        before = snapshot(Region)
        try:
            regions_import(source=raw)
        except FileRefused as refused:
            event("refused")
            assert_refused_properly(refused)
            assert snapshot(Region) == before
            return
        event("stored")
        given_rows = data_rows(rows)
        for code, name, level, parent in given_rows:
            region = Region.objects.get(code=code.strip())
            assert region.name == name.strip()
            assert region.level == LEVEL_WORDS[level.strip().lower()]
            assert region.parent_id == (parent.strip() or None)
        assert Region.objects.count() == len(
            set(EXISTING_REGIONS) | {r[0].strip() for r in given_rows}
        )
        assert_tree_consistent()

    in_savepoint(check)


# --- institutions -----------------------------------------------------------------

EXISTING_INSTITUTIONS = ["41150000001", "41152600001", "41152200001"]
org_codes = st.one_of(
    st.sampled_from(EXISTING_INSTITUTIONS),
    st.text(alphabet=string.digits, min_size=11, max_size=11),
    st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=40),
    anything,
)
institution_cells = {
    "org_code": org_codes,
    "name": names,
    "region_code": st.one_of(st.sampled_from(EXISTING_REGIONS), region_codes),
    "category": st.one_of(st.sampled_from(Institution.Category.values), anything),
    "grade": st.one_of(st.sampled_from(Institution.Grade.values), anything),
}
good_institutions = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from(EXISTING_INSTITUTIONS),
            st.integers(min_value=0, max_value=10**7 - 1).map(lambda n: f"4115{n:07d}"),
        ),
        good_names,
        st.sampled_from(EXISTING_REGIONS),
        st.sampled_from(Institution.Category.values),
        st.sampled_from(Institution.Grade.values),
    ),
    max_size=6,
    unique_by=lambda r: r[0],
)
INSTITUTION_FIELDS = ("org_code", "name", "region_id", "category", "grade")


@PROPERTY
@given(file=files(INSTITUTION_COLUMNS, institution_cells, good_institutions))
def test_an_institutions_file_is_stored_exactly_or_refused_whole(city, file):
    raw, rows = file

    def check():
        before = snapshot(Institution)
        untouched = {
            code: fields
            for code, *fields in Institution.objects.values_list(*INSTITUTION_FIELDS)
            if code not in {r[0].strip() for r in rows}
        }
        try:
            institutions_import(source=raw)
        except FileRefused as refused:
            event("refused")
            assert_refused_properly(refused)
            assert snapshot(Institution) == before
            return
        event("stored")
        given_rows = data_rows(rows)
        stored = {
            code: fields for code, *fields in Institution.objects.values_list(*INSTITUTION_FIELDS)
        }
        for code, name, region, category, grade in given_rows:
            assert stored.pop(code.strip()) == [
                name.strip(),
                region.strip(),
                category.strip(),
                grade.strip(),
            ]
        assert stored == untouched

    in_savepoint(check)


# --- the catalogue ----------------------------------------------------------------

table_codes = st.one_of(
    st.sampled_from(["T1", "T2", "T3", "T4", "T_NEW", "hdsd00.01"]),
    st.text(alphabet=string.ascii_letters + string.digits + "_-.", min_size=1, max_size=70),
    anything,
)
table_cells = {
    "code": table_codes,
    "name": names,
    "category": st.one_of(st.just(""), chinese, names),
}

good_tables = st.lists(
    st.tuples(
        st.from_regex(r"[A-Za-z0-9_.-]{1,64}", fullmatch=True),
        good_names,
        st.one_of(st.just(""), good_names),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda r: r[0],
)


@PROPERTY
@given(
    file=files(TABLE_COLUMNS, table_cells, good_tables),
    edition=st.sampled_from(["2023", "2024"]),
    categories=st.one_of(
        st.just([]),
        st.lists(st.sampled_from(Institution.Category.values), max_size=2, unique=True),
        st.lists(anything, min_size=1, max_size=2),
    ),
)
def test_a_catalogue_file_is_stored_exactly_or_refused_whole(city, file, edition, categories):
    raw, rows = file
    city.edition.name = "2023"
    city.edition.save()

    def check():
        before = snapshot(TableEdition, CatalogueTable)
        try:
            tables_import(
                source=raw,
                platform=city.platform,
                edition=edition,
                valid_from=dt.date(2023, 1, 1),
                categories=categories,
            )
        except FileRefused as refused:
            event("refused")
            assert_refused_properly(
                refused,
                allowed=("文件中没有数据表", "未知的机构类别", "Unknown institution categories"),
            )
            assert snapshot(TableEdition, CatalogueTable) == before
            return
        event("stored")
        given_rows = data_rows(rows)
        has_category = len(rows[0]) == 3 if rows else True
        wanted = sorted(
            (r[0].strip(), r[1].strip(), r[2].strip() if has_category else "") for r in given_rows
        )
        stored_edition = TableEdition.objects.get(platform=city.platform, name=edition)
        assert stored_edition.categories == sorted(categories)
        assert sorted(stored_edition.tables.values_list("code", "name", "category")) == wanted

    in_savepoint(check)


# --- connection statuses ----------------------------------------------------------


@PROPERTY
@given(
    codes=st.lists(st.one_of(st.sampled_from(EXISTING_INSTITUTIONS), org_codes), max_size=5),
    status=st.one_of(st.sampled_from(ConnectionStatus.values), anything),
    since=st.one_of(st.none(), valid_days),
)
def test_connection_statuses_are_set_for_every_code_or_for_none(city, codes, status, since):
    def check():
        before = snapshot(Connection, ConnectionChange)
        try:
            connections_set_status(
                org_codes=codes, platform=city.platform, status=status, since=since, source="test"
            )
        except CommandRefused as refused:
            event("refused")
            assert str(refused)
            assert snapshot(Connection, ConnectionChange) == before
            return
        event("stored")
        on = since or timezone.localdate()
        for code in codes:
            connection = Connection.objects.get(platform=city.platform, institution__org_code=code)
            changes = list(connection.changes.order_by("effective_date", "id"))
            assert status_on(changes, on) == status
        touched = Connection.objects.exclude(institution__org_code__in=codes)
        assert not touched.exists()

    in_savepoint(check)


# --- upload statistics ------------------------------------------------------------

upload_cells = {
    "date": days,
    "org_code": st.one_of(st.sampled_from(EXISTING_INSTITUTIONS), org_codes),
    "table_code": table_codes,
    "records": counts,
    "rejected": counts,
}
BASE_DAY = dt.date(2023, 6, 30)
good_uploads = st.lists(
    st.tuples(
        st.dates(min_value=dt.date(2023, 6, 28), max_value=dt.date(2023, 7, 2)),
        st.sampled_from(["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"]),
        st.sampled_from(EXISTING_INSTITUTIONS),
        st.sampled_from(["T1", "T2", "T3", "X_NEW"]),
        st.integers(min_value=0, max_value=MAX_COUNT),
        st.integers(min_value=0, max_value=10**6),
        st.booleans(),
    ),
    max_size=8,
    unique_by=lambda r: (r[0], r[2], r[3]),
).map(
    lambda rows: [
        [day.strftime(fmt), org, table, f"{rec:,}" if commas else str(rec), str(rej)]
        for day, fmt, org, table, rec, rej, commas in rows
    ]
)


def _count(text: str) -> int:
    return int(text.strip().replace(",", ""))


@PROPERTY
@given(file=files(UPLOAD_COLUMNS, upload_cells, good_uploads))
def test_a_statistics_file_is_stored_exactly_or_refused_whole(city, file):
    from apps.core.tabular import parse_date

    raw, rows = file
    upload(city.platform, [(BASE_DAY, "41150000001", "T1", 100, 1)])

    def check():
        tables = (DailyUpload, DailyTotal, MonthlyTableTotal)
        before = snapshot(*tables)
        try:
            uploads_import(source=raw, platform=city.platform)
        except FileRefused as refused:
            event("refused")
            assert_refused_properly(refused, allowed=("未知的机构代码", "Unknown institution code"))
            assert snapshot(*tables) == before
            return
        event("stored")
        wanted = {(BASE_DAY, "41150000001", "T1"): (100, 1)}
        for day, org, table, records, rejected in data_rows(rows):
            wanted[(parse_date(day), org.strip(), table.strip())] = (
                _count(records),
                _count(rejected),
            )
        stored = {
            (u.day, u.institution.org_code, u.table_code): (u.records, u.rejected)
            for u in DailyUpload.objects.select_related("institution")
        }
        assert stored == wanted
        assert_rollups_match(city.platform)

    in_savepoint(check)
