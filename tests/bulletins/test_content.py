"""The golden test of the bulletin: with the demo data, the Q2 2023 bulletin's
attachment equals the seed's attachment hospital by hospital, and its sections are
what the definitions give.

Where our sections differ from the seed's hand-made text, and why:
- 第二梯队: the seed names 7 hospitals; 信阳职业技术学院附属医院 (26 of 51 tables,
  51.0%) is in the seed's own table but in no tier of its text. We list 8.
- 第三梯队: the seed says "11 所" but names 10; we list the 10 its table gives.
- 数据连续性: the seed calls 信阳市中心医院 good though its last upload is 06-22
  (8 days without data before the quarter's end > 7), 潢川县人民医院 good with 9
  records in the quarter, and 商城县人民医院 good though it uploaded nothing
  (未上传数据). By the definition (≤ 7 interruption days) the first two are
  interrupted and the third has no continuity at all.
- 接入情况: the seed's text says 36 of 41 (88%); its table gives 6 未联通 and
  3 connected to the provincial platform, so 35 of 41 (85%).
"""

import csv
from pathlib import Path

from apps.bulletins.content import bulletin_build

ATTACHMENT = Path(__file__).resolve().parents[2] / "apps" / "demo" / "data" / "attachment.csv"
REMARKS = {
    "": "",
    "未上传数据": "未上传数据",
    "未联通": "未联通",
    "已联通省全民健康信息平台": "已联通省平台",
}


def seed_rows():
    with open(ATTACHMENT, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def names(items):
    return [i["name"] for i in items]


def test_attachment_equals_the_seed_hospital_by_hospital(draft):
    content = bulletin_build(draft)
    rows = content["attachment"]
    seed = seed_rows()
    assert [r["name"] for r in rows] == [s["name"] for s in seed]  # the seed's order, 市直 first
    assert content["required_tables"] == 51
    for ours, theirs in zip(rows, seed, strict=True):
        assert ours["seq"] == int(theirs["seq"])
        assert ours["region"] == theirs["region"]
        assert ours["remark"] == REMARKS[theirs["remark"]], ours["name"]
        if theirs["tables_uploaded"]:
            assert ours["tables_uploaded"] == int(theirs["tables_uploaded"]), ours["name"]
            assert ours["records"] == int(theirs["records"]), ours["name"]
            assert ours["last_upload_date"] == theirs["last_upload_date"], ours["name"]
        else:
            assert ours["records"] == 0 and ours["last_upload_date"] is None
    firsts = [r["region"] for r in rows if r["first_in_region"]]
    assert firsts == [
        "市直",
        "浉河区",
        "平桥区",
        "罗山县",
        "潢川县",
        "息县",
        "淮滨县",
        "光山县",
        "商城县",
        "新县",
        "固始县",
    ]


def test_sections_follow_the_definitions(draft):
    content = bulletin_build(draft)
    sections = {s["key"]: s for s in content["sections"]}
    assert names(sections["tier1"]["institutions"]) == []
    assert names(sections["tier2"]["institutions"]) == [
        "信阳市中心医院",
        "信阳市妇幼保健院",
        "信阳职业技术学院附属医院",
        "信阳市精神病医院",
        "罗山县中医院",
        "潢川县中医院",
        "光山县第二人民医院",
        "商城县中医院",
    ]
    assert names(sections["tier3"]["institutions"]) == [
        "信阳市人民医院",
        "信阳市中医院",
        "信阳市第五人民医院",
        "信阳市第三人民医院",
        "潢川县人民医院",
        "息县妇幼保健院",
        "光山县人民医院",
        "光山县中医院",
        "商城县精神病医院",
        "新县人民医院",
    ]
    assert names(sections["tier3"]["severely_missing"]) == [
        "信阳市人民医院",
        "信阳市第三人民医院",
        "潢川县人民医院",
        "光山县人民医院",
        "商城县精神病医院",
    ]
    assert sections["tier4"]["count"] == 14
    assert "商城县人民医院" in names(sections["tier4"]["institutions"])
    assert names(sections["unconnected"]["institutions"]) == [
        "罗山县妇幼保健院",
        "潢川县妇幼保健院",
        "淮滨县妇幼保健院",
        "光山县妇幼保健院",
        "商城县妇幼保健院",
        "新县妇幼保健院",
    ]
    assert names(sections["upstream"]["institutions"]) == [
        "固始县人民医院",
        "固始县妇幼保健院",
        "固始县中医院",
    ]
    assert sum(s["count"] for s in content["sections"]) == 41


def test_connection_section_states_what_the_data_give(draft):
    access = bulletin_build(draft)["access"]
    assert (access["institutions"], access["joined"], access["upstream"]) == (41, 35, 3)
    assert access["connection_rate"] == "85"
    assert len(access["unconnected_institutions"]) == 6


def test_continuity_by_the_definition(draft):
    continuity = bulletin_build(draft)["continuity"]
    good = names(continuity["good"])
    assert "信阳市中心医院" not in good and "商城县人民医院" not in good
    assert "信阳市中心医院" in names(continuity["interrupted"])
    assert continuity["good_count"] + continuity["interrupted_count"] == 18  # those that uploaded


def test_content_is_plain_json(draft):
    import json

    content = bulletin_build(draft)
    assert json.loads(json.dumps(content)) == content
