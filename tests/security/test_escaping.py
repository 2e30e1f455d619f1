"""Names and texts with HTML, script or spreadsheet formulas are shown as text: on
pages (escaped), in PDFs (the literal characters) and in every Excel export (text
cells, exactly as typed, never formulas)."""

import datetime as dt
import io
import re
import zipfile

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from apps.rectification.models import RectificationTask
from apps.rectification.services import task_open

from .conftest import bulletin

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'
PERIOD = "platform=city&period=2023Q2"


@pytest.fixture
def hostile(world):
    world.hc.name = SCRIPT
    world.hc.save()
    world.central.name = FORMULA
    world.central.save()
    RectificationTask.objects.filter(pk=world.task_hc.pk).update(
        problem='<img src=x onerror="alert(2)">数据不全'
    )
    task_open(
        user=world.alice,
        institution=world.central,
        problem="@SUM(1+1)*cmd|' /C calc'!A0",
        requirement="-2+3",
        due_date=dt.date(2023, 7, 31),
    )
    world.draft = bulletin(
        world.alice,
        world.platform,
        "信卫〔2023〕8号",
        world.city,
        title="<b>粗体</b>通报<script>alert(3)</script>",
        opening="<b>开头</b>：<script>alert(4)</script>",
    )
    return world


PAGES = [
    f"/?{PERIOD}",
    f"/dashboard/?{PERIOD}",
    f"/institutions/?{PERIOD}",
    f"/institutions/41152600001/?{PERIOD}",
    "/assessment/?platform=city&year=2023",
    "/rectification/",
    "/alerts/silent/",
    "/alerts/",
    "/onboarding/?platform=city",
    "/audit/",
]


def test_pages_escape_names_and_texts(client, hostile):
    client.force_login(hostile.alice)
    for url in [*PAGES, f"/rectification/{hostile.task_hc.pk}/", f"/bulletins/{hostile.draft.pk}/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert SCRIPT not in html, url
        assert "<script>alert(3)" not in html and "<b>粗体</b>" not in html, url
        assert 'onerror="alert(2)"' not in html, url
    task_page = client.get(f"/rectification/{hostile.task_hc.pk}/").content.decode()
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in task_page
    bulletin_page = client.get(f"/bulletins/{hostile.draft.pk}/").content.decode()
    assert "&lt;b&gt;粗体&lt;/b&gt;" in bulletin_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in bulletin_page


def test_the_pdf_shows_the_literal_text(client, hostile):
    client.force_login(hostile.alice)
    response = client.get(f"/bulletins/{hostile.draft.pk}/pdf/")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join((page.extract_text() or "") for page in reader.pages).replace("\n", "")
    assert "<b>开头</b>" in text
    assert SCRIPT in text
    assert "HYPERLINK" in text


EXPORTS = [
    f"/institutions/?{PERIOD}&export=xlsx",
    f"/dashboard/?{PERIOD}&export=all",
    "/assessment/xlsx/?platform=city&year=2023",
    "/rectification/?export=tasks",
    "/onboarding/?platform=city&export=institutions",
    "/alerts/silent/xlsx/",
]


def _cells(content):
    book = load_workbook(io.BytesIO(content))
    return [c for ws in book for row in ws.iter_rows() for c in row if c.value is not None]


def _formulas(content) -> list[str]:
    """Every formula element (<f>) of every worksheet, read from the file's XML."""
    with zipfile.ZipFile(io.BytesIO(content)) as xlsx:
        sheets = [n for n in xlsx.namelist() if n.startswith("xl/worksheets/")]
        return [f for name in sheets for f in re.findall(rb"<f[ >]", xlsx.read(name))]


@pytest.mark.parametrize("url", [*EXPORTS, "bulletin"])
def test_exports_keep_formula_looking_text_as_typed_in_text_cells(client, hostile, url):
    client.force_login(hostile.alice)
    if url == "bulletin":
        url = f"/bulletins/{hostile.draft.pk}/xlsx/"
    response = client.get(url)
    assert response.status_code == 200
    assert not _formulas(response.content), url
    cells = _cells(response.content)
    assert all(c.data_type != "f" for c in cells), url
    named = [c for c in cells if "HYPERLINK" in str(c.value)]
    assert named, f"{url} does not show the institution"
    # The name as typed, no apostrophe added: a text cell is never evaluated.
    assert any(c.value == FORMULA for c in named), (url, [c.value for c in named])
    for cell in named:
        assert cell.data_type == "s" and not str(cell.value).startswith("'"), (url, cell.value)
    assert any(SCRIPT in str(c.value) for c in cells), url
    assert not any(str(c.value).startswith("'") for c in cells), url


def test_the_rectification_export_keeps_a_typed_problem_as_typed(client, hostile):
    client.force_login(hostile.alice)
    response = client.get("/rectification/?export=tasks")
    assert not _formulas(response.content)
    texts = {c.value: c.data_type for c in _cells(response.content)}
    assert texts["@SUM(1+1)*cmd|' /C calc'!A0"] == "s"
