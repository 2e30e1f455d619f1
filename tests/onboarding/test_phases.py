"""Build-out phases (建设分期, metrics.md): a phase's targets and their go-live dates
(from a file), what a go-live date does to the figures (interruption days counted
from it; after the period: 未到期, in no tier, out of the connection rate, no score),
the coverage per phase on the onboarding page and in the bulletin."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils.translation import gettext

from apps.bulletins.checks import bulletin_check
from apps.bulletins.content import bulletin_build
from apps.core.tabular import FileRefused
from apps.institutions.models import Institution
from apps.metrics.figures import period_figures
from apps.metrics.phases import phase_coverage
from apps.onboarding.models import PhaseTarget
from apps.onboarding.services import phase_targets_import, plan_create
from tests.conftest import Q2, make_bulletin

D = dt.date


def figures(city):
    return period_figures(
        institutions=Institution.objects.all(), platform=city.platform, start=Q2[0], end=Q2[1]
    )


def target(plan, institution, go_live=None):
    return PhaseTarget.objects.create(
        plan=plan, platform=plan.platform, institution=institution, go_live=go_live
    )


def test_interruption_days_count_from_the_go_live_date(quarter):
    before = figures(quarter).by_org_code()["41152600001"]
    # Connected since 2023-01-01, one upload on 04-10: every other day of Q2 counts.
    assert (before.interruption_days, before.longest_gap, before.go_live) == (90, 81, None)
    plan = plan_create(platform=quarter.platform, name="二期", deadline=D(2023, 5, 1))
    target(plan, quarter.hc_people)
    after = figures(quarter).by_org_code()["41152600001"]
    # From 05-01 (the go-live date, later than the start and the connection day).
    assert (after.interruption_days, after.longest_gap) == (61, 61)
    assert after.go_live == D(2023, 5, 1) and not after.not_yet_due
    assert after.tier == before.tier == 3
    # A target's own date outranks the phase's deadline.
    own_date = PhaseTarget.objects.get(institution=quarter.hc_people)
    own_date.go_live = D(2023, 6, 1)
    own_date.save()  # as the import does: the figures' cache hears of it
    own = figures(quarter).by_org_code()["41152600001"]
    assert own.interruption_days == 30


def test_a_go_live_date_before_the_connection_changes_nothing(quarter):
    before = figures(quarter).by_org_code()["41152600001"]
    plan = plan_create(platform=quarter.platform, name="一期", deadline=D(2022, 12, 31))
    target(plan, quarter.hc_people)
    after = figures(quarter).by_org_code()["41152600001"]
    assert (after.interruption_days, after.tier, after.score) == (
        before.interruption_days,
        before.tier,
        before.score,
    )


def test_after_the_period_an_institution_is_not_yet_due(quarter):
    before = figures(quarter)
    assert before.summary.connection_rate == 75  # 3 of 4 joined
    plan = plan_create(platform=quarter.platform, name="二期", deadline=D(2023, 7, 1))
    target(plan, quarter.hc_people)
    after = figures(quarter)
    row = after.by_org_code()["41152600001"]
    assert row.not_yet_due and row.connection_status == "connected"
    assert (row.tier, row.score, row.interruption_days, row.continuity) == (None, None, None, None)
    assert row.tier_label == gettext("Not yet due")
    # Its figures of what arrived stay: the table uploaded, the records.
    assert (row.tables_uploaded, row.records) == (1, 50)
    s = after.summary
    assert (s.institutions, s.not_yet_due, s.due, s.connected, s.joined) == (4, 1, 3, 1, 2)
    assert s.connection_rate == 67  # 2 of the 3 due
    assert s.tiers == {1: 1, 2: 0, 3: 0, 4: 0}
    # On the period's last day the date is not after it: due again.
    plan.deadline = D(2023, 6, 30)
    plan.save()
    assert not figures(quarter).by_org_code()["41152600001"].not_yet_due


def test_the_bulletin_lists_the_not_yet_due_and_the_coverage_by_phase(quarter, users):
    one = plan_create(platform=quarter.platform, name="一期", deadline=D(2022, 12, 31))
    two = plan_create(platform=quarter.platform, name="二期", deadline=D(2023, 9, 30))
    target(one, quarter.central)
    target(one, quarter.gs_people)
    target(two, quarter.hc_people)
    bulletin = make_bulletin(users.alice, quarter.platform)
    content = bulletin_build(bulletin)
    assert bulletin_check(content) == []
    sections = {s["key"]: [i["name"] for i in s["institutions"]] for s in content["sections"]}
    assert sections["not_yet_due"] == ["潢川县人民医院"]
    assert "潢川县人民医院" not in sections["tier3"]
    access = content["access"]
    assert (access["institutions"], access["due"], access["not_yet_due"]) == (4, 3, 1)
    assert access["not_yet_due_institutions"][0]["go_live"] == "2023-09-30"
    attachment = {r["name"]: r for r in content["attachment"]}
    assert attachment["潢川县人民医院"]["remark"] == gettext("Not yet due (go-live %(day)s)") % {
        "day": "2023-09-30"
    }
    # Coverage on the period's end: 一期 1 of 2 (光山县人民医院 never connected), 二期 1 of 1.
    assert [(p["name"], p["targets"], p["joined"], p["coverage"]) for p in content["phases"]] == [
        ("一期", 2, 1, "50"),
        ("二期", 1, 1, "100"),
    ]


def test_coverage_is_within_the_scope_asked_about(quarter):
    one = plan_create(platform=quarter.platform, name="一期", deadline=D(2022, 12, 31))
    plan_create(platform=quarter.platform, name="空", deadline=D(2022, 12, 31))  # no targets
    for inst in (quarter.central, quarter.hc_people, quarter.gs_people, quarter.gs_tcm):
        target(one, inst)
    everyone = phase_coverage(
        institutions=Institution.objects.all(), platform=quarter.platform, day=Q2[1]
    )
    # The upstream 光山县中医院 counts as covered; a phase without targets has no coverage.
    assert [(c.plan.name, c.targets, c.joined, c.coverage) for c in everyone] == [
        ("一期", 4, 3, 75)
    ]
    guangshan = phase_coverage(
        institutions=Institution.objects.filter(region=quarter.guangshan),
        platform=quarter.platform,
        day=Q2[1],
    )
    assert [(c.targets, c.joined) for c in guangshan] == [(2, 1)]
    # Before anyone was connected, nobody is covered.
    early = phase_coverage(
        institutions=Institution.objects.all(), platform=quarter.platform, day=D(2022, 12, 1)
    )
    assert [(c.targets, c.joined) for c in early] == [(4, 0)]


def targets_file(*rows):
    return ("机构代码,应接入日期\n" + "".join(f"{a},{b}\n" for a, b in rows)).encode()


def test_targets_import_from_a_file_and_the_file_is_the_whole_list(quarter, tmp_path):
    plan_create(platform=quarter.platform, name="一期", deadline=D(2023, 6, 30))
    result = phase_targets_import(
        source=targets_file(("41150000001", ""), ("41152600001", "2023-09-30")),
        platform=quarter.platform,
        phase="一期",
    )
    assert (result.created, result.updated, result.deleted) == (2, 0, 0)
    stored = dict(PhaseTarget.objects.values_list("institution__org_code", "go_live"))
    assert stored == {"41150000001": None, "41152600001": D(2023, 9, 30)}
    # The same file again changes nothing; a file without one of them removes it.
    again = phase_targets_import(
        source=targets_file(("41150000001", ""), ("41152600001", "2023-09-30")),
        platform=quarter.platform,
        phase="一期",
    )
    assert (again.created, again.updated, again.unchanged, again.deleted) == (0, 0, 2, 0)
    path = tmp_path / "targets.csv"
    path.write_bytes(targets_file(("41152600001", "2023-10-31")))
    call_command("import_phase_targets", str(path), "--platform", "city", "--phase", "一期")
    stored = dict(PhaseTarget.objects.values_list("institution__org_code", "go_live"))
    assert stored == {"41152600001": D(2023, 10, 31)}


def test_a_bad_targets_file_is_refused_row_by_row_and_nothing_is_written(quarter):
    plan_create(platform=quarter.platform, name="一期", deadline=D(2023, 6, 30))
    two = plan_create(platform=quarter.platform, name="二期", deadline=D(2023, 12, 31))
    target(two, quarter.gs_people)
    with pytest.raises(FileRefused) as refused:
        phase_targets_import(
            source=targets_file(
                ("41150000001", "2023-13-01"),
                ("41152600001", ""),
                ("41152600001", ""),
            ),
            platform=quarter.platform,
            phase="一期",
        )
    problems = refused.value.problems
    assert len(problems) == 2
    assert problems[0].startswith(gettext("Row %(row)d: ") % {"row": 2})
    assert problems[1].startswith(gettext("Row %(row)d: ") % {"row": 4})
    with pytest.raises(FileRefused) as refused:
        phase_targets_import(
            source=targets_file(("41150000001", ""), ("41152200001", "")),
            platform=quarter.platform,
            phase="一期",
        )
    assert refused.value.problems == [
        gettext("Row %(row)d: ") % {"row": 3}
        + gettext("Institution %(code)s is already a target of the phase “%(phase)s”.")
        % {"code": "41152200001", "phase": "二期"}
    ]
    with pytest.raises(FileRefused):
        phase_targets_import(
            source=targets_file(("41150000001", "")), platform=quarter.platform, phase="三期"
        )
    assert list(PhaseTarget.objects.values_list("institution__org_code", flat=True)) == [
        "41152200001"
    ]


def test_a_county_officer_imports_only_within_the_county(quarter):
    plan = plan_create(platform=quarter.platform, name="一期", deadline=D(2023, 6, 30))
    target(plan, quarter.central)
    with pytest.raises(FileRefused):
        phase_targets_import(
            source=targets_file(("41152200001", "")),
            platform=quarter.platform,
            phase="一期",
            within=quarter.huangchuan,
        )
    # Within the county, the file is the county's list: 市直 targets stay.
    phase_targets_import(
        source=targets_file(("41152600001", "")),
        platform=quarter.platform,
        phase="一期",
        within=quarter.huangchuan,
    )
    assert sorted(plan.targets.values_list("institution__org_code", flat=True)) == [
        "41150000001",
        "41152600001",
    ]


def test_the_onboarding_page_shows_each_phase_and_its_targets(quarter, users, login):
    one = plan_create(platform=quarter.platform, name="一期", deadline=D(2022, 12, 31))
    two = plan_create(platform=quarter.platform, name="二期", deadline=D(2023, 9, 30))
    target(one, quarter.central)
    target(two, quarter.hc_people, go_live=D(2023, 10, 31))
    target(two, quarter.gs_people)
    client = login(users.alice)
    page = client.get("/onboarding/", {"platform": "city"})
    assert page.context["plan"] == one
    coverage = [[str(c) for c in row] for row in page.context["coverage"].rows]
    assert [r[0] for r in coverage] == ["一期", "二期"]
    # targets, connected, of which late, not connected, coverage: 信阳市中心医院 was
    # connected on 1 January 2023, a day after 一期's date.
    assert [r[2:] for r in coverage] == [["1", "1", "1", "0", "100"], ["2", "1", "0", "1", "50"]]
    second = client.get("/onboarding/", {"platform": "city", "phase": two.pk})
    rows = second.context["institutions"].rows
    # Only the phase's targets, each with its go-live date.
    assert [(r[3], r[8]) for r in rows] == [
        ("41152200001", D(2023, 9, 30)),
        ("41152600001", D(2023, 10, 31)),
    ]
    # A county officer sees the county's part of each phase.
    bob = login(users.bob).get("/onboarding/", {"platform": "city", "phase": two.pk})
    assert [r[3] for r in bob.context["institutions"].rows] == ["41152600001"]
    assert [[str(c) for c in r][2:4] for r in bob.context["coverage"].rows] == [["1", "1"]]
    # The edit page of an institution that is no target of the phase is 404.
    url = f"/onboarding/phases/{one.pk}/41152600001/"
    assert login(users.alice).get(url).status_code == 404
    assert login(users.alice).get(f"/onboarding/phases/{two.pk}/41152600001/").status_code == 200


def test_the_institution_page_shows_the_go_live_date_and_not_yet_due(quarter, users, login):
    plan = plan_create(platform=quarter.platform, name="二期", deadline=D(2023, 9, 30))
    target(plan, quarter.hc_people)
    page = login(users.alice).get(
        "/institutions/41152600001/", {"platform": "city", "period": "2023Q2"}
    )
    html = page.content.decode()
    assert 'id="go-live"' in html and "2023-09-30" in html
    assert gettext("Not yet due") in html
    assert page.context["row"].not_yet_due


def test_the_demos_first_phase_shows_its_late_completions(client, demo, officer):
    """一期's date is 31 December 2022: two of its hospitals connected in 2023's first
    quarter, completed late, and are shown as such — not as plainly done."""
    client.force_login(officer)
    page = client.get("/onboarding/", {"platform": "xinyang"})
    assert page.context["plan"].name == "一期"
    late = [r for r in page.context["institutions"].rows if str(r[-2]).startswith("逾期")]
    assert len(late) == 2 and all(str(r[-2]).endswith("天完成") for r in late)
    assert page.context["late"] == 2 and "2 家逾期完成" in page.content.decode()
    first = next(r for r in page.context["coverage"].rows if r[0] == "一期")
    assert first[4] == 2  # of which late
