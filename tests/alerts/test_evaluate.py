"""Who is silent: no records on any of the N days before today (N per platform,
default 3), for institutions connected on all of them; a flip on each change only."""

import datetime as dt

import pytest

from apps.alerts.models import AlertRule, Flip, Status, Watch
from apps.alerts.services import alerts_evaluate
from tests.conftest import connect
from tests.factories import InstitutionFactory, PlatformFactory

from .conftest import upload_on

JUNE = dt.date(2023, 6, 1)


def day(n: int) -> dt.date:
    return JUNE + dt.timedelta(days=n - 1)


def statuses(platform):
    return dict(Watch.objects.filter(platform=platform).values_list("institution__name", "status"))


def test_two_days_without_records_is_not_silent_with_the_default_three(watched):
    # Last upload 6-05: 6-06 and 6-07 have no records.
    assert alerts_evaluate(platform=watched.platform, today=day(8)) == []
    assert set(statuses(watched.platform).values()) == {Status.OK}
    assert Watch.objects.get(institution=watched.hc_people).silent_days == 2


def test_three_days_without_records_is_silent(watched):
    alerts_evaluate(platform=watched.platform, today=day(8))
    upload_on(watched, watched.central, day(8))
    flips = alerts_evaluate(platform=watched.platform, today=day(9))
    assert {f.institution.name for f in flips} == {"潢川县人民医院", "光山县人民医院"}
    flip = Flip.objects.get(institution=watched.hc_people)
    assert (flip.old_status, flip.new_status) == (Status.OK, Status.SILENT)
    assert flip.last_upload_date == day(5)
    assert flip.silent_days == 3
    assert statuses(watched.platform)["信阳市中心医院"] == Status.OK


def test_the_number_of_days_is_set_per_platform(watched):
    AlertRule.objects.create(platform=watched.platform, silent_after_days=5)
    other = PlatformFactory(code="province", name="省平台")
    connect(watched.hc_people, other)
    upload_on(watched, watched.hc_people, day(5))  # on the city platform only
    assert alerts_evaluate(platform=watched.platform, today=day(10)) == []  # 4 days
    assert len(alerts_evaluate(platform=watched.platform, today=day(11))) == 3  # 5 days
    # The province platform keeps the default 3: never uploaded since 2023-01-01.
    flips = alerts_evaluate(platform=other, today=day(2))
    assert [f.institution for f in flips] == [watched.hc_people]
    assert flips[0].last_upload_date is None


def test_an_institution_that_never_uploaded_counts_from_its_connection(watched):
    new = InstitutionFactory(org_code="41152600009", name="潢川县新医院", region=watched.huangchuan)
    connect(new, watched.platform, since=day(7))
    upload_on(watched, watched.central, day(6), day(7), day(8), day(9))
    alerts_evaluate(platform=watched.platform, today=day(9))  # 6-07, 6-08: two days
    assert statuses(watched.platform)["潢川县新医院"] == Status.OK
    flips = alerts_evaluate(platform=watched.platform, today=day(10))  # 6-07 … 6-09
    assert new in [f.institution for f in flips]


def test_institutions_not_connected_are_not_watched(watched):
    connect(watched.gs_people, watched.platform, since=day(7), status="integrating")
    flips = alerts_evaluate(platform=watched.platform, today=day(10))
    assert watched.gs_people not in [f.institution for f in flips]
    assert not Watch.objects.filter(institution=watched.gs_people).exists()


def test_an_institution_is_back_when_its_uploads_resume(watched):
    alerts_evaluate(platform=watched.platform, today=day(9))
    upload_on(watched, watched.hc_people, day(10))
    flips = alerts_evaluate(platform=watched.platform, today=day(11))
    assert [(f.institution, f.old_status, f.new_status) for f in flips] == [
        (watched.hc_people, Status.SILENT, Status.OK)
    ]
    watch = Watch.objects.get(institution=watched.hc_people)
    assert (watch.status, watch.last_upload_date, watch.silent_days) == (Status.OK, day(10), 0)


def test_evaluating_twice_records_one_change(watched):
    first = alerts_evaluate(platform=watched.platform, today=day(9))
    assert len(first) == 3
    assert alerts_evaluate(platform=watched.platform, today=day(9)) == []
    assert alerts_evaluate(platform=watched.platform, today=day(10)) == []
    assert Flip.objects.count() == 3
    assert Watch.objects.get(institution=watched.central).silent_days == 4  # 6-06 … 6-09


def test_an_older_evaluation_does_not_turn_the_clock_back(watched):
    alerts_evaluate(platform=watched.platform, today=day(9))
    assert alerts_evaluate(platform=watched.platform, today=day(7)) == []
    assert set(statuses(watched.platform).values()) == {Status.SILENT}


@pytest.mark.parametrize("extra", [0, 30])
def test_evaluation_takes_the_same_queries_whatever_the_number_of_institutions(
    watched, extra, django_assert_max_num_queries
):
    for n in range(extra):
        inst = InstitutionFactory(org_code=f"4115269{n:04d}", region=watched.huangchuan)
        connect(inst, watched.platform)
    # The figures' fixed set of queries (declared tables and the institutions'
    # regions among them; the platform's data day and the data version its key reads),
    # and the watches' own reads and writes: the same for 3 institutions as for 33.
    with django_assert_max_num_queries(21):
        alerts_evaluate(platform=watched.platform, today=day(9))
    assert Flip.objects.count() == 3 + extra
