"""The review queue: an unknown code's rows wait until an officer maps the code to
an institution or registers it; then they count, and later pulls map it too."""

import pytest

from apps.ingestion.models import OrgCodeAlias, SyncRun, UnknownUpload
from apps.ingestion.pull import platform_pull_day
from apps.ingestion.review import ResolveRefused, unknown_code_map, unknown_code_register
from apps.ingestion.simulator import Faults
from apps.institutions.models import Institution
from apps.metrics.figures import period_figures
from apps.uploads.models import DailyTotal, DailyUpload
from tests.simulated import DAY, assert_rollups_match, expected, stored, truth

NEW_CODE = "41152600099"  # the platform's code for 潢川县人民医院


def with_new_code():
    data = truth()
    data.days[DAY] += [
        {"org_code": NEW_CODE, "table_code": "T2", "records": 40, "rejected": 1},
        {"org_code": NEW_CODE, "table_code": "T3", "records": 60, "rejected": 0},
    ]
    return data


def records_of(institution, platform):
    figures = period_figures(
        institutions=Institution.objects.filter(pk=institution.pk),
        platform=platform,
        start=DAY,
        end=DAY,
    )
    return figures.rows[0].records


def test_mapping_a_code_stores_its_rows_and_later_pulls_follow(platform_sim, city, users):
    platform, sim = platform_sim(Faults(page_size=3, retry_after=0), data=with_new_code())
    platform_pull_day(platform=platform, day=DAY)
    assert UnknownUpload.objects.filter(org_code=NEW_CODE).count() == 2
    assert records_of(city.hc_people, platform) == 99  # only T1 counts so far

    n = unknown_code_map(
        platform=platform, org_code=NEW_CODE, institution=city.hc_people, user=users.alice
    )
    assert n == 2
    assert not UnknownUpload.objects.exists()
    alias = OrgCodeAlias.objects.get()
    assert (alias.org_code, alias.institution, alias.created_by) == (
        NEW_CODE,
        city.hc_people,
        users.alice,
    )
    assert records_of(city.hc_people, platform) == 99 + 40 + 60
    assert DailyTotal.objects.get(institution=city.hc_people, day=DAY).records == 199
    assert_rollups_match(platform)

    # The platform revises the day: the alias maps the code, nothing waits, nothing doubles.
    sim.data.revise(DAY)
    run = platform_pull_day(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.SUCCESS and run.unknown_codes == 0
    assert not UnknownUpload.objects.exists()
    assert records_of(city.hc_people, platform) == 100 + 41 + 61
    truth_rows = [r for r in expected(sim) if r[0] != NEW_CODE]
    mapped = [("41152600001", t, rec, rej) for c, t, rec, rej in expected(sim) if c == NEW_CODE]
    assert stored(platform) == sorted(truth_rows + mapped)
    assert_rollups_match(platform)


def test_a_mapping_that_would_add_up_is_refused_whole(platform_sim, city):
    data = with_new_code()
    data.days[DAY].append({"org_code": NEW_CODE, "table_code": "T1", "records": 5, "rejected": 0})
    platform, _sim = platform_sim(Faults(page_size=10, retry_after=0), data=data)
    platform_pull_day(platform=platform, day=DAY)
    before = stored(platform)
    with pytest.raises(ResolveRefused) as refused:
        unknown_code_map(platform=platform, org_code=NEW_CODE, institution=city.hc_people)
    assert "T1" in refused.value.problems[0] and "2023-06-30" in refused.value.problems[0]
    assert stored(platform) == before
    assert UnknownUpload.objects.filter(org_code=NEW_CODE).count() == 3
    assert not OrgCodeAlias.objects.exists()


def test_both_codes_of_one_institution_on_one_table_are_refused_not_added(platform_sim, city):
    platform, sim = platform_sim(Faults(page_size=10, retry_after=0), data=with_new_code())
    OrgCodeAlias.objects.create(platform=platform, org_code=NEW_CODE, institution=city.hc_people)
    sim.data.days[DAY].append(
        {"org_code": NEW_CODE, "table_code": "T1", "records": 5, "rejected": 0}
    )
    run = platform_pull_day(platform=platform, day=DAY)
    assert run.rows_rejected == 1
    assert run.rejections[0]["data"]["org_code"] == NEW_CODE
    t1 = DailyUpload.objects.get(institution=city.hc_people, table_code="T1", day=DAY)
    assert t1.records == 99


def test_registering_the_institution_behind_a_code(platform_sim, city, users):
    platform, sim = platform_sim(Faults(page_size=10, unknown=1, retry_after=0))
    platform_pull_day(platform=platform, day=DAY)
    institution = unknown_code_register(
        platform=platform,
        org_code="UNKNOWN00000",
        name="潢川县第二人民医院",
        region=city.huangchuan,
        category=Institution.Category.GENERAL,
        grade=Institution.Grade.G2A,
        user=users.alice,
    )
    assert institution.org_code == "UNKNOWN00000"
    assert records_of(institution, platform) == 5
    assert not OrgCodeAlias.objects.exists()  # the code is the registry's own now
    assert not UnknownUpload.objects.exists()
    # A later pull of a revised day knows the code.
    sim.data.revise(DAY)
    run = platform_pull_day(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.SUCCESS and run.unknown_codes == 0
    assert records_of(institution, platform) == 5
    assert not UnknownUpload.objects.exists()


def test_a_registered_code_cannot_become_an_alias(platform_sim, city):
    platform, _sim = platform_sim(Faults(page_size=10, unknown=1, retry_after=0))
    platform_pull_day(platform=platform, day=DAY)
    with pytest.raises(ResolveRefused):
        unknown_code_map(platform=platform, org_code="41150000001", institution=city.hc_people)
    with pytest.raises(ResolveRefused):
        unknown_code_register(
            platform=platform,
            org_code="41150000001",
            name="重名",
            region=city.city,
            category=Institution.Category.GENERAL,
            grade=Institution.Grade.G2,
        )
    assert UnknownUpload.objects.count() == 1
