import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.institutions.models import Institution
from apps.metrics.figures import (
    Continuity,
    FiguresReader,
    Tier,
    edition_in_force,
    period_figures,
    rank_by_score,
)
from tests.conftest import connect, every_day, upload
from tests.factories import EditionFactory, InstitutionFactory

D = dt.date
Q2 = (D(2023, 4, 1), D(2023, 6, 30))


def figures(city, start=Q2[0], end=Q2[1], institutions=None):
    qs = institutions if institutions is not None else Institution.objects.all()
    return period_figures(institutions=qs, platform=city.platform, start=start, end=end)


def test_tables_records_and_last_upload(city):
    connect(city.central, city.platform)
    upload(
        city.platform,
        [
            (D(2023, 4, 3), "41150000001", "T1", 10, 1),
            (D(2023, 4, 4), "41150000001", "T2", 5, 0),
            (D(2023, 4, 5), "41150000001", "T3", 0, 7),
            (D(2023, 4, 6), "41150000001", "UNKNOWN_X", 100, 2),
        ],
    )
    row = figures(city).by_org_code()["41150000001"]
    assert row.required_tables == 4
    # T3 sent only rejected records: not uploaded. UNKNOWN_X is outside the catalogue.
    assert row.tables_uploaded == 2
    assert row.missing_tables == 2
    assert row.completeness == Decimal("50.0")
    assert row.records == 115  # every table, in the catalogue or not
    assert row.rejected == 10
    assert row.upload_days == 3  # Apr 3, 4, 6 (Apr 5 had no accepted records)
    assert row.last_upload_date == D(2023, 4, 6)
    assert row.unknown_tables == ["UNKNOWN_X"]


def test_completeness_rounds_half_up(city):
    EditionFactory(
        platform=city.platform,
        name="2023b",
        valid_from=D(2023, 2, 1),
        codes=[f"C{i}" for i in range(51)],
    )
    connect(city.central, city.platform)
    upload(city.platform, [(D(2023, 4, 3), "41150000001", f"C{i}", 1) for i in range(30)])
    row = figures(city).by_org_code()["41150000001"]
    assert row.required_tables == 51
    assert row.completeness == Decimal("58.8")  # 30/51 = 58.82…
    assert row.tier == Tier.SECOND


def test_last_upload_looks_before_the_period_but_not_after(city):
    connect(city.central, city.platform)
    upload(
        city.platform,
        [
            (D(2023, 3, 15), "41150000001", "T1", 3),
            (D(2023, 7, 1), "41150000001", "T1", 3),
        ],
    )
    row = figures(city).by_org_code()["41150000001"]
    assert row.last_upload_date == D(2023, 3, 15)
    assert row.records == 0  # nothing inside the period
    assert row.tier == Tier.FOURTH
    assert row.continuity is None  # uploaded nothing in the period


def test_period_boundaries_are_inclusive(city):
    connect(city.central, city.platform)
    upload(
        city.platform,
        [
            (D(2023, 3, 31), "41150000001", "T1", 1),
            (D(2023, 4, 1), "41150000001", "T2", 2),
            (D(2023, 6, 30), "41150000001", "T3", 4),
            (D(2023, 7, 1), "41150000001", "T4", 8),
        ],
    )
    row = figures(city).by_org_code()["41150000001"]
    assert row.records == 6
    assert row.tables_uploaded == 2
    assert row.upload_days == 2


def test_interruption_days_and_longest_gap(city):
    connect(city.central, city.platform)
    days = [d for d in every_day(*Q2) if not (D(2023, 5, 10) <= d <= D(2023, 5, 19))]
    days.remove(D(2023, 6, 1))
    upload(city.platform, [(d, "41150000001", "T1", 1) for d in days])
    row = figures(city).by_org_code()["41150000001"]
    assert row.interruption_days == 11
    assert row.longest_gap == 10
    assert row.continuity == Continuity.INTERRUPTED


def test_connection_mid_period_counts_interruptions_from_connection_day(city):
    connect(city.central, city.platform, since=D(2023, 6, 20))
    upload(city.platform, [(d, "41150000001", "T1", 1) for d in every_day(D(2023, 6, 24), Q2[1])])
    row = figures(city).by_org_code()["41150000001"]
    assert row.connected_since == D(2023, 6, 20)
    assert row.interruption_days == 4  # Jun 20–23
    assert row.longest_gap == 4
    assert row.continuity == Continuity.GOOD


def test_status_is_judged_at_the_end_of_the_period(city):
    connect(city.central, city.platform, since=D(2023, 1, 1))
    connect(city.central, city.platform, since=D(2023, 8, 1), status="not_connected")
    assert figures(city).by_org_code()["41150000001"].connection_status == "connected"
    q3 = figures(city, D(2023, 7, 1), D(2023, 9, 30)).by_org_code()["41150000001"]
    assert q3.connection_status == "not_connected"
    assert q3.tier is None
    assert q3.interruption_days is None
    assert q3.tier_label == "未联通"


def test_connected_since_is_the_start_of_the_current_run(city):
    connect(city.central, city.platform, since=D(2022, 1, 1))
    connect(city.central, city.platform, since=D(2022, 6, 1), status="integrating")
    connect(city.central, city.platform, since=D(2023, 5, 1))
    row = figures(city).by_org_code()["41150000001"]
    assert row.connected_since == D(2023, 5, 1)
    assert row.interruption_days == 61  # May 1 – Jun 30, nothing uploaded


def test_tiers_and_severely_missing(city):
    EditionFactory(
        platform=city.platform,
        name="big",
        valid_from=D(2023, 2, 1),
        codes=[f"C{i}" for i in range(20)],
    )
    insts = [InstitutionFactory(region=city.huangchuan) for _ in range(5)]
    for inst, n in zip(insts, [12, 8, 7, 1, 0], strict=True):
        connect(inst, city.platform)
        upload(city.platform, [(D(2023, 4, 3), inst.org_code, f"C{i}", 1) for i in range(n)])
    rows = figures(city).by_org_code()
    got = [(rows[i.org_code].tier, rows[i.org_code].severely_missing) for i in insts]
    # 60% → 1st, 40% → 2nd, 35% → 3rd, 5% → 3rd and 严重缺失, none → 4th
    assert got == [(1, False), (2, False), (3, False), (3, True), (4, False)]


def test_upstream_and_unconnected_have_no_tier_and_count_in_connection_rate(city):
    connect(city.central, city.platform)
    connect(city.hc_people, city.platform, status="upstream")
    connect(city.gs_people, city.platform, status="integrating")
    result = figures(city)
    rows = result.by_org_code()
    assert rows["41152600001"].tier is None and rows["41152600001"].tier_label == "已联通省平台"
    assert rows["41152200001"].tier_label == "未联通"
    summary = result.summary
    assert (summary.institutions, summary.connected, summary.upstream) == (3, 1, 1)
    assert summary.connection_rate == Decimal("67")  # 2 of 3, no decimals


def test_inactive_institutions_are_left_out(city):
    city.gs_people.active = False
    city.gs_people.save()
    assert "41152200001" not in figures(city).by_org_code()


def test_edition_for_named_categories_outranks_the_general_one(city):
    specific = EditionFactory(
        platform=city.platform,
        name="平台版",
        valid_from=D(2022, 1, 1),
        categories=["区域平台"],
        codes=["P1", "P2"],
    )
    editions = list(city.platform.editions.all())
    assert edition_in_force(editions, "区域平台", D(2023, 6, 30)) == specific
    assert edition_in_force(editions, "综合医院", D(2023, 6, 30)) == city.edition
    assert edition_in_force(editions, "综合医院", D(2022, 6, 30)) is None


@pytest.mark.parametrize("count", [3, 30])
def test_query_count_does_not_grow_with_institutions(city, count, django_assert_max_num_queries):
    for _ in range(count):
        inst = InstitutionFactory(region=city.guangshan)
        connect(inst, city.platform)
        upload(city.platform, [(D(2023, 4, 3), inst.org_code, "T1", 5)])
    # Institutions, changes, heartbeats, editions (2), declarations, the sums, the
    # days, the last uploads, the phases' go-live dates, the scores' peers, the
    # platform's data day…: a fixed set, whatever the count.
    with django_assert_max_num_queries(15):
        result = figures(city)
        assert len(result.rows) == count + 3


def test_partial_and_whole_months_sum_the_same_as_the_days(city):
    """Whole months come from the monthly roll-up, edges from the daily rows: any
    period must give the sums of its own days."""
    connect(city.central, city.platform)
    rows = [
        (d, "41150000001", f"T{d.day % 4 + 1}", d.day, d.day % 3)
        for d in every_day(D(2023, 3, 20), D(2023, 7, 10))
    ]
    upload(city.platform, rows)
    for start, end in [
        (D(2023, 3, 25), D(2023, 7, 5)),  # edges on both sides of three whole months
        (D(2023, 4, 1), D(2023, 6, 30)),  # whole months only
        (D(2023, 5, 3), D(2023, 5, 20)),  # inside one month
        (D(2023, 4, 15), D(2023, 5, 31)),  # edge, then a whole month
    ]:
        row = figures(city, start, end).by_org_code()["41150000001"]
        inside = [r for r in rows if start <= r[0] <= end]
        assert row.records == sum(r[3] for r in inside), (start, end)
        assert row.rejected == sum(r[4] for r in inside), (start, end)
        assert row.tables_uploaded == len({r[2] for r in inside})


def test_a_revised_day_updates_the_monthly_rollup(city):
    connect(city.central, city.platform)
    upload(city.platform, [(D(2023, 5, 2), "41150000001", "T1", 10, 1)])
    upload(city.platform, [(D(2023, 5, 2), "41150000001", "T1", 0, 4)])
    row = figures(city, D(2023, 5, 1), D(2023, 5, 31)).by_org_code()["41150000001"]
    assert (row.records, row.rejected, row.tables_uploaded) == (0, 4, 0)


def test_score_follows_the_assessment_formula(city):
    """40 × (0.3·C + 0.4·K + 0.3·V), V against the median records of connected
    institutions of the same category that uploaded."""
    a, b, c = (InstitutionFactory(region=city.huangchuan) for _ in range(3))
    tcm = InstitutionFactory(region=city.huangchuan, category=Institution.Category.TCM)
    for inst in (a, b, c, tcm):
        connect(inst, city.platform)
    connect(city.hc_people, city.platform, status="upstream")
    upload(
        city.platform,
        [
            (D(2023, 4, 3), a.org_code, "T1", 100),  # 1 of 4 tables
            (D(2023, 4, 3), b.org_code, "T1", 300),
            (D(2023, 4, 3), b.org_code, "T2", 100),  # 2 of 4 tables, 400 records
            (D(2023, 4, 3), tcm.org_code, "T1", 5),
        ],
    )
    rows = figures(city).by_org_code()
    # 综合医院 that uploaded: a (100) and b (400): median 250.
    assert rows[a.org_code].score == Decimal("40") * (
        Decimal("0.3") + Decimal("0.4") * Decimal("0.25") + Decimal("0.3") * Decimal("0.4")
    )  # 20.80
    assert rows[a.org_code].score == Decimal("20.80")
    assert rows[b.org_code].score == Decimal("32.00")  # 12 + 40·0.4·0.5 + 12·min(1, 1.6)
    assert rows[c.org_code].score == Decimal("12.00")  # connected, nothing uploaded
    assert rows[tcm.org_code].score == Decimal("28.00")  # its own category's median
    assert rows["41152600001"].score is None  # upstream: the city platform cannot assess it
    assert rows["41152200001"].score == Decimal("0.00")  # not connected


def test_score_is_the_same_whoever_looks(city):
    """The median is taken over the city's institutions of the category, so a
    county's page and the city's bulletin give a hospital the same score."""
    others = [InstitutionFactory(region=city.guangshan) for _ in range(2)]
    for inst in (city.hc_people, *others):
        connect(inst, city.platform)
    upload(
        city.platform,
        [
            (D(2023, 4, 3), "41152600001", "T1", 100),
            (D(2023, 4, 3), others[0].org_code, "T1", 1000),
            (D(2023, 4, 3), others[1].org_code, "T1", 3000),
        ],
    )
    whole_city = figures(city).by_org_code()["41152600001"].score
    county_only = (
        figures(city, institutions=Institution.objects.filter(region=city.huangchuan))
        .by_org_code()["41152600001"]
        .score
    )
    assert county_only == whole_city
    # median of 100, 1000, 3000 is 1000: V = 0.1 → 12 + 40·0.4·0.25 + 1.2
    assert whole_city == Decimal("17.20")


def test_rank_by_score_shares_ranks_and_leaves_upstream_unranked(city):
    a, b, c = (InstitutionFactory(region=city.huangchuan) for _ in range(3))
    for inst in (a, b, c):
        connect(inst, city.platform)
    connect(city.hc_people, city.platform, status="upstream")
    upload(
        city.platform,
        [
            (D(2023, 4, 3), a.org_code, "T1", 100),
            (D(2023, 4, 3), b.org_code, "T1", 100),
            (D(2023, 4, 3), c.org_code, "T2", 100),
            (D(2023, 4, 3), c.org_code, "T3", 100),
        ],
    )
    ranked = rank_by_score(figures(city).rows)
    assert [(rank, row.org_code) for rank, row in ranked][:3] == [
        (1, c.org_code),
        (2, a.org_code),
        (2, b.org_code),
    ]
    assert ranked[-1] == (None, ranked[-1][1]) and ranked[-1][1].org_code == "41152600001"
    assert [rank for rank, _row in ranked[3:5]] == [4, 4]  # the two not connected, score 0


def one_by_one(city, periods):
    """Each period's figures from period_figures, as a page alone would read them."""
    return [
        period_figures(
            institutions=Institution.objects.all(),
            platform=city.platform,
            start=start,
            end=end,
            with_scores=False,
        )
        for start, end in periods
    ]


def test_a_reader_gives_the_same_figures_reading_the_registry_once(
    city, django_assert_max_num_queries
):
    """FiguresReader (the dashboard's period, the one before and the months): the
    figures and summaries period_figures gives, with the registry read for the first
    period computed only."""
    connect(city.central, city.platform)
    upload(
        city.platform,
        [
            (D(2023, 3, 30), "41150000001", "T1", 4),
            (D(2023, 4, 3), "41150000001", "T1", 10, 1),
            (D(2023, 5, 4), "41150000001", "T2", 5, 0),
            (D(2023, 6, 17), "41152600001", "T1", 3, 0),
        ],
    )
    periods = [Q2, (D(2023, 1, 1), D(2023, 3, 31)), (D(2023, 4, 1), D(2023, 4, 30))]
    expected = one_by_one(city, periods)
    cache.clear()
    reader = FiguresReader(institutions=Institution.objects.all(), platform=city.platform)
    first = reader.figures(*periods[0], with_scores=False)
    # Later periods read their uploads (and the cache), not the registry again.
    with django_assert_max_num_queries(8):
        later = [reader.figures(*periods[1], with_scores=False), reader.summary(*periods[2])]

    def plain(result):
        return [
            (
                r.org_code,
                r.connection_status,
                r.tables_uploaded,
                r.records,
                r.rejected,
                r.upload_days,
                r.interruption_days,
                r.last_upload_date,
                r.tier,
            )
            for r in result.rows
        ]

    assert plain(first) == plain(expected[0])
    assert plain(later[0]) == plain(expected[1])
    assert later[1] == expected[2].summary
    assert first.summary.records == 18 and later[1].records == 10


def test_a_reader_prefetching_months_gives_the_same_figures_reading_them_once(city):
    """FiguresReader.prefetch (a dashboard's span): the periods inside it take their
    whole months from one read of the monthly roll-up, with the figures
    period_figures gives; a period reaching outside it reads its own."""
    connect(city.central, city.platform)
    upload(
        city.platform,
        [
            (D(2023, 1, 9), "41150000001", "T1", 7),
            (D(2023, 3, 30), "41150000001", "T1", 4),
            (D(2023, 4, 3), "41150000001", "T1", 10, 1),
            (D(2023, 5, 4), "41150000001", "T2", 5, 0),
            (D(2023, 6, 17), "41152600001", "T1", 3, 0),
            (D(2023, 7, 2), "41152600001", "T2", 8, 0),
        ],
    )
    periods = [
        Q2,
        (D(2023, 1, 1), D(2023, 3, 31)),
        (D(2023, 5, 1), D(2023, 5, 31)),
        (D(2023, 4, 15), D(2023, 6, 20)),
        (D(2023, 6, 1), D(2023, 7, 31)),
    ]
    expected = one_by_one(city, periods)
    cache.clear()
    reader = FiguresReader(institutions=Institution.objects.all(), platform=city.platform)
    reader.prefetch(D(2023, 1, 1), D(2023, 6, 30))
    first = reader.figures(*periods[0], with_scores=False)
    with CaptureQueriesContext(connection) as queries:
        inside = [reader.figures(*p, with_scores=False) for p in periods[1:4]]
    month_reads = [q for q in queries if '"uploads_monthlytotal"."upload_days"' in q["sql"]]
    assert month_reads == []
    outside = reader.figures(*periods[4], with_scores=False)

    def plain(result):
        return [
            (r.org_code, r.tables_uploaded, r.records, r.rejected, r.upload_days)
            + (r.interruption_days, r.longest_gap, r.last_upload_date, r.tier)
            for r in result.rows
        ]

    for got, want in zip([first, *inside, outside], expected, strict=True):
        assert plain(got) == plain(want)
    assert [r.records for r in first.rows if r.records] == [15, 3]
    assert sum(r.records for r in outside.rows) == 11
