"""The portal is Chinese-first through Django's i18n: English msgids in the code,
Simplified Chinese in locale/zh_Hans/LC_MESSAGES/django.po, and the compiled
django.mo committed beside it (so setup needs no gettext)."""

import ast
import gettext as gnu_gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from apps.institutions.models import Institution
from apps.metrics.periods import Period
from tests.factories import UserFactory

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"
CJK = re.compile(r"[\u3400-\u9fff]")


def parse_po(path: Path) -> list[dict]:
    """The entries of a .po file: each a dict with `msgid`, optional `msgid_plural`,
    `msgstr` (or `msgstr[N]`) and `flags`. Handles strings continued over lines."""
    entries: list[dict] = []
    entry: dict = {"flags": set()}
    key = None

    def finish():
        nonlocal entry, key
        if "msgid" in entry:
            entries.append(entry)
        entry, key = {"flags": set()}, None

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            finish()
        elif line.startswith("#,"):
            if "msgid" in entry:
                finish()
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            if key == "msgid" and "msgid" in entry:
                finish()
                key = "msgid"
            entry[key] = ast.literal_eval(value)
    finish()
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[dict]:
    return parse_po(PO)


def translations(entries: list[dict]) -> list[dict]:
    return [e for e in entries if e["msgid"]]


def test_the_default_language_is_simplified_chinese():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert translation.get_language() == "zh-hans"


def test_the_catalogue_translates_the_english_msgids():
    assert gettext("Log in") == "登录"
    assert gettext("Institution list") == "机构列表"
    assert gettext("Row %(row)d: ") % {"row": 3} == "第 3 行："
    assert gettext("%(created)d created, %(updated)d updated, %(unchanged)d unchanged") % {
        "created": 1,
        "updated": 2,
        "unchanged": 3,
    } == ("新增 1 条，更新 2 条，未变 3 条")
    assert ngettext("%(n)d entry", "%(n)d entries", 5) % {"n": 5} == "5 条"
    assert Period.quarter(2023, 2).label == "2023年第二季度"
    assert Period.month(2023, 5).label == "2023年5月"


def test_model_labels_are_chinese_but_category_values_stay_data():
    assert str(Institution._meta.get_field("org_code").verbose_name) == "机构代码"
    assert str(Institution._meta.verbose_name) == "医疗机构"
    assert Institution.Category.GENERAL.value == "综合医院"
    assert str(Institution.Category.GENERAL.label) == "综合医院"
    with translation.override("en"):
        assert str(Institution.Category.GENERAL.label) == "General hospital"
        assert gettext("Log in") == "Log in"


def test_every_entry_is_translated_and_none_is_fuzzy(po_entries):
    header = next(e for e in po_entries if e["msgid"] == "")
    assert "fuzzy" not in header["flags"]
    entries = translations(po_entries)
    assert len(entries) > 250
    for entry in entries:
        assert "fuzzy" not in entry["flags"], entry["msgid"]
        strings = [v for k, v in entry.items() if k.startswith("msgstr")]
        assert strings and all(s.strip() for s in strings), entry["msgid"]


def test_msgids_are_english(po_entries):
    for entry in translations(po_entries):
        assert not CJK.search(entry["msgid"]), entry["msgid"]
        assert not CJK.search(entry.get("msgid_plural", "")), entry["msgid"]


def test_the_committed_mo_matches_the_po(po_entries):
    with MO.open("rb") as f:
        catalog = gnu_gettext.GNUTranslations(f)._catalog
    expected = {}
    for entry in translations(po_entries):
        # gettext keys a message with a context as "context\x04msgid".
        msgid = f"{entry['msgctxt']}\x04{entry['msgid']}" if "msgctxt" in entry else entry["msgid"]
        if "msgid_plural" in entry:
            for key, value in entry.items():
                if match := re.fullmatch(r"msgstr\[(\d+)\]", key):
                    expected[(msgid, int(match[1]))] = value
        else:
            expected[msgid] = entry["msgstr"]
    compiled = {k: v for k, v in catalog.items() if k != ""}
    assert compiled == expected


def test_pages_render_in_chinese_with_the_language_set(db, client):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert '<html lang="zh-hans"' in html
    assert "登录" in html and "Log in" not in html

    client.force_login(UserFactory())
    for url in (reverse("login"), reverse("home")):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert '<html lang="zh-hans"' in html
        assert "健康信息平台互联互通监管门户" in html
    assert "退出" in html


def test_pages_are_chinese_whatever_the_browser_asks_for(client, users):
    client.force_login(users.alice)
    response = client.get("/bulletins/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert "通报" in response.content.decode()
    assert "Bulletins" not in response.content.decode()


GETTEXT_CALLS = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
}
TEMPLATE_TRANSLATE = re.compile(r"""{%\s*(?:translate|trans)\s+(?:"([^"]*)"|'([^']*)')""")
TEMPLATE_UNDERSCORE = re.compile(r"""_\((?:"([^"]*)"|'([^']*)')\)""")
BLOCK = re.compile(
    r"{%\s*blocktranslate([^%]*)%}(.*?)(?:{%\s*plural\s*%}.*?)?{%\s*endblocktranslate\s*%}", re.S
)
ROOT = Path(settings.BASE_DIR)


def _python_msgids() -> set[str]:
    found = set()
    for path in [*ROOT.joinpath("apps").rglob("*.py"), *ROOT.joinpath("config").rglob("*.py")]:
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in GETTEXT_CALLS:
                continue
            arg = (
                node.args[1] if name.startswith("pgettext") and len(node.args) > 1 else node.args[0]
            )
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
    return found


def _template_msgids() -> set[str]:
    found = set()
    for path in ROOT.joinpath("templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern in (TEMPLATE_TRANSLATE, TEMPLATE_UNDERSCORE):
            found.update(a or b for a, b in pattern.findall(text))
        for options, body in BLOCK.findall(text):
            msgid = re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", body.replace("%", "%%"))
            if "trimmed" in options:
                msgid = " ".join(msgid.split())
            found.add(msgid)
    return found


def test_every_message_of_the_code_is_in_the_catalogue(po_entries):
    """A msgid missing from the .po would show English on a Chinese page."""
    catalogue = {e["msgid"] for e in po_entries}
    missing = sorted((_python_msgids() | _template_msgids()) - catalogue - {""})
    assert not missing, f"not in the catalogue (run make messages and translate): {missing}"
