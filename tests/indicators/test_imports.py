"""Indicator values, references and declared tables from files: the commands and
the importers behind the web import, refused whole on a bad row, idempotent, a
replaced reference audited with both values."""

import io

import pytest
from django.core.management import CommandError, call_command

from apps.audit.models import AuditEvent
from apps.core.tabular import FileRefused
from apps.indicators.models import DailyIndicator, Reference
from apps.indicators.services import indicators_import, references_import
from apps.institutions.models import Institution
from apps.metrics.figures import period_figures
from apps.platforms.models import TableDeclaration
from apps.platforms.services import declarations_import
from tests.conftest import Q2, D

CENTRAL = "41150000001"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_indicators_command_in_chinese_headers(city, tmp_path):
    path = write(
        tmp_path,
        "指标.csv",
        f"日期,机构代码,指标代码,数值\n2023-06-30,{CENTRAL},outpatient_visits,3210\n",
    )
    out = io.StringIO()
    call_command("import_indicators", path, "--platform", city.platform.code, stdout=out)
    assert "新增 1 条" in out.getvalue()
    assert DailyIndicator.objects.get().value == 3210
    # The same file again changes nothing.
    out = io.StringIO()
    call_command("import_indicators", path, "--platform", city.platform.code, stdout=out)
    assert "未变 1 条" in out.getvalue()


def test_unknown_institutions_and_indicators_refuse_the_file(city):
    text = (
        "date,org_code,indicator,value\n"
        f"2023-06-30,{CENTRAL},outpatient_visits,1\n"
        "2023-06-30,49999999999,outpatient_visits,1\n"
        f"2023-06-30,{CENTRAL},kiosk_payments,1\n"
    )
    with pytest.raises(FileRefused) as refused:
        indicators_import(source=text.encode(), platform=city.platform)
    problems = " ".join(refused.value.problems)
    assert "未知的机构代码 49999999999" in problems
    assert not DailyIndicator.objects.exists()
    with pytest.raises(FileRefused) as refused:
        indicators_import(
            source=f"date,org_code,indicator,value\n2023-06-30,{CENTRAL},kiosk_payments,1\n".encode(),
            platform=city.platform,
        )
    assert "未知的指标 kiosk_payments" in " ".join(refused.value.problems)


def test_a_later_reference_replaces_the_earlier_and_is_audited(city, tmp_path):
    first = f"期间,机构代码,指标代码,应报数,来源\n2023-05,{CENTRAL},outpatient_visits,95210,卫生统计直报\n"
    references_import(source=first.encode(), platform=city.platform)
    assert references_import(source=first.encode(), platform=city.platform).unchanged == 1
    later = first.replace("95210", "96000")
    result = references_import(source=later.encode(), platform=city.platform)
    assert result.updated == 1
    assert Reference.objects.get().value == 96000
    event = AuditEvent.objects.get(action=AuditEvent.Action.REFERENCE_REPLACED)
    assert event.details["value"] == {"old": 95210, "new": 96000}
    path = write(tmp_path, "refs.csv", later)
    call_command("import_references", path, "--platform", city.platform.code, stdout=io.StringIO())
    assert Reference.objects.count() == 1


def test_declared_tables_per_edition_and_not_answered(city, tmp_path):
    central, hc = city.central, city.hc_people
    text = f"org_code,table_code\n{CENTRAL},T1\n{CENTRAL},T2\n"
    declarations_import(source=text.encode(), platform=city.platform, edition="2023")
    figures = period_figures(
        institutions=Institution.objects.all(), platform=city.platform, start=Q2[0], end=Q2[1]
    ).by_org_code()
    assert figures[CENTRAL].declared_tables == 2
    assert figures[hc.org_code].declared_tables is None  # 未反馈
    # The file again with one table less withdraws it.
    result = declarations_import(
        source=f"org_code,table_code\n{CENTRAL},T1\n".encode(),
        platform=city.platform,
        edition="2023",
    )
    assert (result.unchanged, result.deleted) == (1, 1)
    assert list(
        TableDeclaration.objects.filter(institution=central).values_list("table_code", flat=True)
    ) == ["T1"]
    with pytest.raises(FileRefused) as refused:
        declarations_import(
            source=f"org_code,table_code\n{CENTRAL},T9\n".encode(),
            platform=city.platform,
            edition="2023",
        )
    assert "不在目录版本 2023 中" in " ".join(refused.value.problems)
    path = write(tmp_path, "申明.csv", f"机构代码,表代码\n{hc.org_code},T3\n")
    call_command(
        "import_declarations",
        path,
        "--platform",
        city.platform.code,
        "--edition",
        "2023",
        stdout=io.StringIO(),
    )
    assert TableDeclaration.objects.filter(institution=hc).count() == 1
    with pytest.raises(CommandError):
        call_command(
            "import_declarations",
            path,
            "--platform",
            city.platform.code,
            "--edition",
            "2099",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert D(2023, 4, 1) == Q2[0]
