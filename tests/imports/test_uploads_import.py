import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from apps.uploads.models import DailyTotal, DailyUpload

HEADER = "date,org_code,table_code,records,rejected\n"
GOOD = HEADER + (
    "2023-04-01,41150000001,T1,10,1\n"
    "2023-04-01,41150000001,T2,5,0\n"
    "2023-04-02,41152600001,NEW_TABLE,7,0\n"
)


def run(path, platform="city"):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_uploads", str(path), "--platform", platform, stdout=out, stderr=err)
    return out.getvalue()


def refused(path, platform="city"):
    err = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command(
            "import_uploads", str(path), "--platform", platform, stdout=io.StringIO(), stderr=err
        )
    return str(info.value), err.getvalue()


def write(tmp_path, text, encoding="utf-8", name="u.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_import_stores_rows_and_rollup(city, tmp_path):
    assert "新增 3 条" in run(write(tmp_path, GOOD))
    assert DailyUpload.objects.count() == 3
    total = DailyTotal.objects.get(institution=city.central, day=dt.date(2023, 4, 1))
    assert (total.records, total.rejected, total.tables) == (15, 1, 2)
    # A table outside the catalogue is stored as it came.
    assert DailyUpload.objects.filter(table_code="NEW_TABLE").exists()


def test_reimport_changes_nothing(city, tmp_path):
    path = write(tmp_path, GOOD)
    run(path)
    before = list(DailyUpload.objects.order_by("pk").values())
    assert "未变 3 条" in run(path)
    assert list(DailyUpload.objects.order_by("pk").values()) == before


def test_a_later_export_replaces_a_day(city, tmp_path):
    run(write(tmp_path, GOOD))
    run(write(tmp_path, HEADER + "2023-04-01,41150000001,T1,12,0\n", name="v2.csv"))
    assert DailyUpload.objects.get(table_code="T1").records == 12
    total = DailyTotal.objects.get(institution=city.central, day=dt.date(2023, 4, 1))
    assert (total.records, total.rejected) == (17, 0)


@pytest.mark.parametrize(
    "line, message",
    [
        ("2023-13-01,41150000001,T1,1,0", "日期“2023-13-01”无法识别"),
        ("2023-04-02,41150000001,T1,-5,0", "上传记录数“-5”应为 0 或正整数"),
        ("2023-04-02,41150000001,T1,1.5,0", "上传记录数“1.5”"),
        ("2023-04-02,41150000001,T1,1,x", "校验未通过数“x”"),
        ("2023-04-01,4115 01,T1,1,0", "机构代码“4115 01”格式不正确"),
        ("2023-04-01,41150000001,表一,1,0", "表代码“表一”格式不正确"),
        ("2023-04-01,41150000001,T1,1,0", "与第 2 行重复"),
    ],
)
def test_a_bad_row_refuses_the_whole_file(city, tmp_path, line, message):
    # Row 2 is valid; row 3 carries the fault (or repeats row 2's key).
    text = HEADER + "2023-04-01,41150000001,T1,1,0\n" + line + "\n"
    summary, problems = refused(write(tmp_path, text))
    assert "未写入任何数据" in summary
    assert "第 3 行" in problems and message in problems
    assert DailyUpload.objects.count() == 0 and DailyTotal.objects.count() == 0


def test_unknown_institutions_are_listed_by_code(city, tmp_path):
    text = GOOD + "2023-04-01,99999999999,T1,1,0\n2023-04-02,99999999999,T1,1,0\n"
    _summary, problems = refused(write(tmp_path, text))
    assert "未知的机构代码 99999999999（2 行）" in problems
    assert DailyUpload.objects.count() == 0


def test_unknown_platform_is_refused(city, tmp_path):
    with pytest.raises(CommandError, match="未知的平台代码"):
        run(write(tmp_path, GOOD), platform="nowhere")


def test_chinese_headers_in_gbk(city, tmp_path):
    text = "日期,机构代码,表代码,上传记录数,校验未通过数\n2023-04-01,41150000001,T1,3,0\n"
    run(write(tmp_path, text, encoding="gbk"))
    assert DailyUpload.objects.get().records == 3


def test_utf8_with_bom(city, tmp_path):
    run(write(tmp_path, GOOD, encoding="utf-8-sig"))
    assert DailyUpload.objects.count() == 3


def test_xlsx_first_sheet(city, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["日期", "机构代码", "表代码", "上传记录数", "校验未通过数"])
    sheet.append([dt.datetime(2023, 4, 1), 41150000001, "T1", 8, 0])
    sheet.append(["2023-04-02", "41150000001", "T2", 2, 1])
    path = tmp_path / "u.xlsx"
    book.save(path)
    run(path)
    assert sorted(DailyUpload.objects.values_list("table_code", "records")) == [
        ("T1", 8),
        ("T2", 2),
    ]


def test_unknown_and_missing_columns_refuse_the_file(city, tmp_path):
    _s, problems = refused(write(tmp_path, "date,org_code,table_code,records,备注\n"))
    assert "未知的列“备注”" in problems
    assert "缺少列“rejected / 校验未通过数”" in problems
