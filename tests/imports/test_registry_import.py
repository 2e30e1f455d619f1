import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from apps.accounts.models import User
from apps.institutions.models import Institution
from apps.platforms.models import (
    CatalogueTable,
    Connection,
    ConnectionChange,
    Platform,
    TableEdition,
)
from apps.regions.models import Region

REGIONS = "code,name,level,parent_code\n410000,河南省,province,\n411500,信阳市,city,410000\n411526,潢川县,county,411500\n"


def call(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def refused(*args):
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(*args, stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def write(tmp_path, text, name, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


@pytest.fixture
def regions(db, tmp_path):
    call("import_regions", write(tmp_path, REGIONS, "r.csv"))


def test_regions_build_the_tree_with_paths(regions):
    county = Region.objects.get(code="411526")
    assert county.path == "410000/411500/411526/"
    assert set(Region.objects.get(code="411500").descendants().values_list("code", flat=True)) == {
        "411500",
        "411526",
    }


def test_region_reimport_and_move(regions, tmp_path):
    assert "未变 3 条" in call("import_regions", write(tmp_path, REGIONS, "r.csv"))
    moved = REGIONS + "411501,市辖区,county,411500\n"
    call("import_regions", write(tmp_path, moved, "r2.csv"))
    assert Region.objects.get(code="411501").path == "410000/411500/411501/"


@pytest.mark.parametrize(
    "row, message",
    [
        ("41152,短代码,county,411500", "不是 6 位数字"),
        ("411527,淮滨县,town,411500", "级别“town”无法识别"),
        ("411527,淮滨县,county,419999", "未知的上级区划代码 419999"),
        ("411527,,county,411500", "名称为空"),
        ("411526,潢川县,county,411500", "在文件中重复"),
        ("411527,淮滨县,province,411500", "级别不高于本区划"),
    ],
)
def test_bad_region_rows(db, tmp_path, row, message):
    problems = refused("import_regions", write(tmp_path, REGIONS + row + "\n", "r.csv"))
    assert message in problems and "第 5 行" in problems
    assert Region.objects.count() == 0


INSTITUTIONS = "机构代码,机构名称,主管区划代码,机构类别,等级\n41150000001,信阳市中心医院,411500,综合医院,三级甲等\n41152600001,潢川县人民医院,411526,综合医院,二级甲等\n"


def test_institutions_in_gbk_with_chinese_headers(regions, tmp_path):
    call("import_institutions", write(tmp_path, INSTITUTIONS, "i.csv", encoding="gbk"))
    assert Institution.objects.get(org_code="41152600001").region_id == "411526"
    assert "未变 2 条" in call("import_institutions", write(tmp_path, INSTITUTIONS, "i.csv"))


@pytest.mark.parametrize(
    "row, message",
    [
        ("41152600002,某医院,999999,综合医院,二级", "未知的主管区划代码“999999”"),
        ("41152600002,某医院,411526,诊所,二级", "未知的机构类别“诊所”"),
        ("41152600002,某医院,411526,综合医院,特级", "未知的等级“特级”"),
        ("4 1,某医院,411526,综合医院,二级", "机构代码“4 1”格式不正确"),
        ("41150000001,重复,411500,综合医院,二级", "在文件中重复"),
    ],
)
def test_bad_institution_rows_write_nothing(regions, tmp_path, row, message):
    problems = refused("import_institutions", write(tmp_path, INSTITUTIONS + row + "\n", "i.csv"))
    assert message in problems and "第 4 行" in problems
    assert Institution.objects.count() == 0


def test_tables_edition_from_xlsx_for_named_categories(db, tmp_path):
    call("add_platform", "city", "信阳市全民健康信息平台")
    book = Workbook()
    book.active.append(["表代码", "表名称", "类别"])
    book.active.append(["T1", "挂号表", "门急诊业务"])
    book.active.append(["T2", "出院记录表", "住院业务"])
    path = tmp_path / "t.xlsx"
    book.save(path)
    args = (
        "import_tables",
        str(path),
        "--platform",
        "city",
        "--edition",
        "2023平台",
        "--valid-from",
        "2023-01-01",
        "--categories",
        "区域平台",
    )
    call(*args)
    edition = TableEdition.objects.get()
    assert edition.categories == ["区域平台"] and str(edition.valid_from) == "2023-01-01"
    assert CatalogueTable.objects.count() == 2
    assert "未变 2 条" in call(*args)


def test_tables_refused_for_bad_rows_and_unknown_categories(db, tmp_path):
    call("add_platform", "city", "市平台")
    path = write(tmp_path, "code,name,category\nT1,挂号表,x\nT1,重复,x\nT 2,,x\n", "t.csv")
    problems = refused("import_tables", path, "--platform", "city", "--edition", "e")
    assert "第 3 行：表代码 T1 在文件中重复" in problems
    assert "第 4 行：表代码“T 2”格式不正确" in problems and "表名称为空" in problems
    good = write(tmp_path, "code,name,category\nT1,挂号表,x\n", "g.csv")
    problems = refused(
        "import_tables", good, "--platform", "city", "--edition", "e", "--categories", "诊所"
    )
    assert "未知的机构类别：诊所" in problems
    assert TableEdition.objects.count() == 0


def test_set_connection_records_history(city):
    call(
        "set_connection",
        "--platform",
        "city",
        "--status",
        "integrating",
        "--since",
        "2023-01-01",
        "41150000001",
        "41152600001",
    )
    out = call(
        "set_connection",
        "--platform",
        "city",
        "--status",
        "connected",
        "--since",
        "2023-03-01",
        "41150000001",
    )
    assert "1 家机构改为“已联通”" in out
    connection = Connection.objects.get(institution=city.central)
    assert connection.status == "connected"
    history = list(
        connection.changes.values_list("effective_date", "from_status", "to_status", "source")
    )
    assert [(str(d), f, t, s) for d, f, t, s in history] == [
        ("2023-01-01", "not_connected", "integrating", "set_connection"),
        ("2023-03-01", "integrating", "connected", "set_connection"),
    ]
    # Same status again: no new change.
    call("set_connection", "--platform", "city", "--status", "connected", "41150000001")
    assert ConnectionChange.objects.filter(connection=connection).count() == 2


def test_set_connection_refuses_unknown_codes_entirely(city):
    with pytest.raises(CommandError, match="未知的机构代码：NOPE0001"):
        call(
            "set_connection",
            "--platform",
            "city",
            "--status",
            "connected",
            "41150000001",
            "NOPE0001",
        )
    assert ConnectionChange.objects.count() == 0


def test_future_change_does_not_alter_todays_status(city):
    call(
        "set_connection",
        "--platform",
        "city",
        "--status",
        "connected",
        "--since",
        "2023-01-01",
        "41150000001",
    )
    call(
        "set_connection",
        "--platform",
        "city",
        "--status",
        "not_connected",
        "--since",
        "2099-01-01",
        "41150000001",
    )
    assert Connection.objects.get(institution=city.central).status == "connected"


def test_add_user_for_each_role(city):
    call(
        "add_user",
        "u1",
        "--role",
        "city",
        "--scope",
        "411500",
        "--password",
        "Xinyang-officer-2023",
    )
    call("add_user", "u2", "--role", "county", "--scope", "411526")
    call("add_user", "u3", "--role", "hospital", "--scope", "41150000001")
    assert User.objects.get(username="u1").check_password("Xinyang-officer-2023")
    assert User.objects.get(username="u3").institution == city.central
    with pytest.raises(CommandError, match="未知的区划代码"):
        call("add_user", "u4", "--role", "county", "--scope", "000000")
    with pytest.raises(CommandError, match="县区用户的管辖区划须为县/区"):
        call("add_user", "u5", "--role", "county", "--scope", "411500")


def test_add_platform_levels(db):
    call("add_platform", "hn", "河南省全民健康信息平台", "--level", "province")
    assert Platform.objects.get(code="hn").level == "province"
