"""A bulletin may rank its units by data quality (its definitions say so, with the
thresholds of the bands): the best first in 良好 / between / 较差, those with no
check apart, on the page, in the PDF's text and in the snapshot."""

from decimal import Decimal

import pytest
from django.utils.translation import gettext

from apps.bulletins.checks import bulletin_check
from apps.bulletins.content import bulletin_build
from apps.bulletins.services import bulletin_publish
from apps.metrics.definitions import DEFAULT, Definitions
from apps.quality.services import quality_import, quality_rules_import
from tests.conftest import make_bulletin

pytestmark = pytest.mark.django_db

RULES = "code,name,dimension,table_code,description\nOPV_ID,门诊身份证号不为空,完整性,T1,\nOPV_SEX,性别符合值域,规范性,T1,\n"


@pytest.fixture
def checked(quarter):
    """中心医院 scores 98 (both rules 98%), 潢川县人民医院 92.5 (95% and 90%)."""
    quality_rules_import(source=RULES.encode(), platform=quarter.platform)
    rows = [
        "2023-05-10,41150000001,OPV_ID,1000,20",
        "2023-05-10,41150000001,OPV_SEX,1000,20",
        "2023-05-10,41152600001,OPV_ID,1000,50",
        "2023-05-10,41152600001,OPV_SEX,1000,100",
    ]
    quality_import(
        source=("date,org_code,rule,checked,failed\n" + "\n".join(rows) + "\n").encode(),
        platform=quarter.platform,
    )
    return quarter


def ranked_bulletin(users, platform, number="信卫信息函〔2023〕4号", **definitions):
    values = {**DEFAULT.as_dict(), "quality_ranking": "1", **definitions}
    return make_bulletin(
        users.alice, platform, number, definitions=Definitions.from_dict(values).as_dict()
    )


def test_the_bands_follow_the_definitions(checked, users):
    content = bulletin_build(ranked_bulletin(users, checked.platform))
    q = content["quality"]
    assert [(e["name"], e["score"]) for e in q["good"]] == [("信阳市中心医院", "98.00")]
    assert [(e["name"], e["score"]) for e in q["fair"]] == [("潢川县人民医院", "92.50")]
    assert q["poor"] == []
    # 光山县人民医院 (never connected, nothing checked); the upstream 光山县中医院 is not ranked.
    assert [e["name"] for e in q["unchecked"]] == ["光山县人民医院"]
    assert bulletin_check(content) == []
    stricter = bulletin_build(
        ranked_bulletin(
            users,
            checked.platform,
            "信卫信息函〔2023〕5号",
            quality_good_min="99",
            quality_poor_below="95",
        )
    )["quality"]
    assert [e["name"] for e in stricter["fair"]] == ["信阳市中心医院"]
    assert [e["name"] for e in stricter["poor"]] == ["潢川县人民医院"]


def test_without_the_definition_there_is_no_ranking(checked, users):
    content = bulletin_build(make_bulletin(users.alice, checked.platform))
    assert content["quality"] is None
    assert Definitions.from_dict(content["definitions"]).quality_ranking == 0


def test_the_document_names_the_bands_and_the_snapshot_keeps_them(checked, users, login):
    bulletin = ranked_bulletin(users, checked.platform)
    page = login(users.alice).get(f"/bulletins/{bulletin.pk}/").content.decode()
    assert gettext("4. Data quality") in page
    assert gettext("5. Work requirements") in page
    assert (
        gettext("%(name)s (%(score)s points)") % {"name": "信阳市中心医院", "score": "98.00"}
        in page
    )
    published = bulletin_publish(bulletin=bulletin, user=users.alice)
    # New results after publishing change nothing in the published bulletin.
    quality_import(
        source=b"date,org_code,rule,checked,failed\n2023-05-11,41152600001,OPV_ID,1000,900\n",
        platform=checked.platform,
    )
    assert published.snapshot["quality"]["fair"][0]["score"] == "92.50"


def test_the_form_offers_the_ranking_and_its_thresholds(checked, users, login):
    from apps.bulletins.forms import BulletinForm

    fields = BulletinForm.initial_for(ranked_bulletin(users, checked.platform))
    assert fields["def_quality_ranking"] is True
    assert fields["def_quality_good_min"] == Decimal("95")
    with pytest.raises(ValueError):
        Definitions.from_dict({"quality_good_min": "80", "quality_poor_below": "90"})
    with pytest.raises(ValueError):
        Definitions.from_dict({"quality_ranking": "2"})
